import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../db/database";
import type { FieldError } from "../http/problem";
import { enqueueEmail } from "../notifications/outbox";
import { signUpEmail } from "./emails";
import { allPermissions, type OrganisationType, type Permissions } from "./permissions";
import { organisations, users } from "./schema";

export type OrganisationRow = typeof organisations.$inferSelect;
export type UserRow = typeof users.$inferSelect;

export function organisationView(row: OrganisationRow) {
  return { id: row.id, name: row.name, type: row.type, address: row.address, createdAt: row.createdAt };
}

/** A user as the API shows it: never the password hash. */
export function userView(row: UserRow) {
  return {
    id: row.id,
    organisationId: row.organisationId,
    firstName: row.firstName,
    lastName: row.lastName,
    email: row.email,
    isOrganisationAdmin: row.isOrganisationAdmin,
    permissions: row.permissions,
    createdAt: row.createdAt,
  };
}

export function findUserByEmail(db: DbOrTx, email: string): UserRow | undefined {
  return db.select().from(users).where(eq(users.email, email.toLowerCase())).get();
}

/** Compares the way the unique index does, so the answer is a 409 naming the field rather than a constraint error. */
function organisationNameTaken(db: DbOrTx, name: string): boolean {
  return db.select({ id: organisations.id }).from(organisations).where(sql`lower(trim(${organisations.name})) = lower(trim(${name}))`).get() !== undefined;
}

/** Which of the given email and organisation name are already taken, as field errors named like the request's fields. */
export function duplicateAccountFields(
  db: DbOrTx,
  check: { email?: { field: string; value: string }; organisationName?: { field: string; value: string } },
): FieldError[] {
  const errors: FieldError[] = [];
  if (check.email && findUserByEmail(db, check.email.value)) {
    errors.push({ field: `body.${check.email.field}`, message: "is already registered" });
  }
  if (check.organisationName && organisationNameTaken(db, check.organisationName.value)) {
    errors.push({ field: `body.${check.organisationName.field}`, message: "is already taken by another organisation" });
  }
  return errors;
}

export function insertOrganisation(tx: DbOrTx, values: { name: string; type: OrganisationType; address: string }, now: Date): OrganisationRow {
  return tx
    .insert(organisations)
    .values({ id: randomUUID(), ...values, createdAt: now.toISOString() })
    .returning()
    .get();
}

export interface NewUser {
  organisationId: string;
  firstName: string;
  lastName: string;
  email: string;
  passwordHash: string;
  isOrganisationAdmin: boolean;
  permissions: Permissions;
}

export function insertUser(tx: DbOrTx, values: NewUser, now: Date): UserRow {
  return tx
    .insert(users)
    .values({ id: randomUUID(), ...values, email: values.email.toLowerCase(), createdAt: now.toISOString() })
    .returning()
    .get();
}

export interface SignUp {
  firstName: string;
  lastName: string;
  email: string;
  type: OrganisationType;
  organisationName: string;
  address: string;
  passwordHash: string;
}

/**
 * Registers an organisation with its first user as its admin, and writes the confirmation email, all in
 * one transaction. Duplicates are checked again here because the password was hashed (slowly) after the
 * route's first check, and another sign-up may have taken the name meanwhile.
 */
export function signUp(
  db: Db,
  input: SignUp,
  now: Date,
  publicUrl: string,
): { ok: true; organisation: OrganisationRow; user: UserRow } | { ok: false; errors: FieldError[] } {
  return db.transaction((tx) => {
    const errors = duplicateAccountFields(tx, {
      email: { field: "email", value: input.email },
      organisationName: { field: "organisationName", value: input.organisationName },
    });
    if (errors.length > 0) return { ok: false as const, errors };
    const organisation = insertOrganisation(tx, { name: input.organisationName, type: input.type, address: input.address }, now);
    const user = insertUser(
      tx,
      {
        organisationId: organisation.id,
        firstName: input.firstName,
        lastName: input.lastName,
        email: input.email,
        passwordHash: input.passwordHash,
        isOrganisationAdmin: true,
        permissions: allPermissions(),
      },
      now,
    );
    enqueueEmail(tx, signUpEmail({ to: user.email, firstName: user.firstName, organisation, publicUrl }), now);
    return { ok: true as const, organisation, user };
  });
}
