import { randomUUID } from "node:crypto";
import { and, asc, eq } from "drizzle-orm";
import { duplicateAccountFields, findUserByEmail, insertUser, type OrganisationRow } from "../auth/accounts";
import type { Permissions } from "../auth/permissions";
import { organisations } from "../auth/schema";
import { randomSecret, sha256Hex } from "../auth/secrets";
import type { AccountSettings } from "../config";
import type { Db, DbOrTx } from "../db/database";
import type { FieldError } from "../http/problem";
import { enqueueEmail } from "../notifications/outbox";
import { invitationEmail } from "./emails";
import { invitations, type InvitationState } from "./schema";

export type InvitationRow = typeof invitations.$inferSelect;
export type InvitationStatus = InvitationState | "expired";

/** The status a reader sees: a pending invitation past its expiry is expired. */
export function invitationStatus(row: Pick<InvitationRow, "state" | "expiresAt">, now: Date): InvitationStatus {
  return row.state === "pending" && row.expiresAt <= now.toISOString() ? "expired" : row.state;
}

export function invitationExpiry(now: Date, ttlHours: number): Date {
  return new Date(now.getTime() + ttlHours * 3_600_000);
}

/** An invitation as its organisation sees it (never the token, which only the invitee's email carries). */
export function invitationView(row: InvitationRow, now: Date) {
  return {
    id: row.id,
    organisationId: row.organisationId,
    email: row.email,
    firstName: row.firstName,
    lastName: row.lastName,
    permissions: row.permissions,
    isOrganisationAdmin: row.isOrganisationAdmin,
    status: invitationStatus(row, now),
    invitedBy: row.invitedBy,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    respondedAt: row.respondedAt,
  };
}

export interface NewInvitation {
  organisation: Pick<OrganisationRow, "id" | "name">;
  email: string;
  firstName: string;
  lastName: string;
  permissions: Permissions;
  isOrganisationAdmin: boolean;
  invitedBy: string;
}

/**
 * Why this email cannot be invited into this organisation: it already has an account (emails are unique
 * platform-wide), or the organisation already has a pending invitation for it. Another organisation's
 * pending invitation is not a conflict; whichever is accepted first wins.
 */
export function invitationConflicts(tx: DbOrTx, organisationId: string, email: string, now: Date): FieldError[] {
  const taken = duplicateAccountFields(tx, { email: { field: "email", value: email } });
  if (taken.length > 0) return taken;
  const pending = tx
    .select()
    .from(invitations)
    .where(and(eq(invitations.organisationId, organisationId), eq(invitations.email, email.toLowerCase()), eq(invitations.state, "pending")))
    .all()
    .some((row) => invitationStatus(row, now) === "pending");
  return pending ? [{ field: "body.email", message: "already has a pending invitation to this organisation" }] : [];
}

/**
 * Stores the invitation and writes its email to the outbox; call inside the caller's transaction, after
 * `invitationConflicts`. The token exists only in the email.
 */
export function createInvitation(tx: DbOrTx, invitation: NewInvitation, now: Date, settings: AccountSettings): InvitationRow {
  const token = randomSecret();
  const row = tx
    .insert(invitations)
    .values({
      id: randomUUID(),
      organisationId: invitation.organisation.id,
      email: invitation.email.toLowerCase(),
      firstName: invitation.firstName,
      lastName: invitation.lastName,
      permissions: invitation.permissions,
      isOrganisationAdmin: invitation.isOrganisationAdmin,
      tokenHash: sha256Hex(token),
      invitedBy: invitation.invitedBy,
      state: "pending",
      createdAt: now.toISOString(),
      expiresAt: invitationExpiry(now, settings.invitationTtlHours).toISOString(),
    })
    .returning()
    .get();
  enqueueEmail(
    tx,
    invitationEmail({
      to: row.email,
      firstName: row.firstName,
      organisationName: invitation.organisation.name,
      isOrganisationAdmin: row.isOrganisationAdmin,
      link: `${settings.publicUrl}/invitations/${token}`,
      expiresAt: row.expiresAt,
    }),
    now,
  );
  return row;
}

/** Checks conflicts and creates the invitation in one transaction. */
export function invite(
  db: Db,
  invitation: NewInvitation,
  now: Date,
  settings: AccountSettings,
): { ok: true; invitation: InvitationRow } | { ok: false; errors: FieldError[] } {
  return db.transaction((tx) => {
    const errors = invitationConflicts(tx, invitation.organisation.id, invitation.email, now);
    if (errors.length > 0) return { ok: false as const, errors };
    return { ok: true as const, invitation: createInvitation(tx, invitation, now, settings) };
  });
}

export function findInvitationByToken(db: DbOrTx, token: string): { invitation: InvitationRow; organisation: OrganisationRow } | undefined {
  return db
    .select({ invitation: invitations, organisation: organisations })
    .from(invitations)
    .innerJoin(organisations, eq(organisations.id, invitations.organisationId))
    .where(eq(invitations.tokenHash, sha256Hex(token)))
    .get();
}

export function findInvitation(db: Db, id: string): InvitationRow | undefined {
  return db.select().from(invitations).where(eq(invitations.id, id)).get();
}

export function listInvitations(db: Db, organisationId: string): InvitationRow[] {
  return db.select().from(invitations).where(eq(invitations.organisationId, organisationId)).orderBy(asc(invitations.createdAt), asc(invitations.id)).all();
}

export type Found = NonNullable<ReturnType<typeof findInvitationByToken>>;
type Closed = { ok: false; status: Exclude<InvitationStatus, "pending"> };

/**
 * Runs `respond` on the token's invitation if it is still pending, inside one transaction: the state is
 * read again there, so a token raced by two requests is used once. Undefined: no such invitation.
 */
function respondIfPending<T>(db: Db, token: string, now: Date, respond: (tx: DbOrTx, found: Found) => T): T | Closed | undefined {
  return db.transaction((tx) => {
    const found = findInvitationByToken(tx, token);
    if (!found) return undefined;
    const status = invitationStatus(found.invitation, now);
    if (status !== "pending") return { ok: false as const, status };
    return respond(tx, found);
  });
}

function close(tx: DbOrTx, id: string, state: "accepted" | "rejected", now: Date, userId: string | null): InvitationRow {
  return tx.update(invitations).set({ state, respondedAt: now.toISOString(), userId }).where(eq(invitations.id, id)).returning().get();
}

/** Creates the invitee's user in the inviting organisation, with the invitation's permissions, and closes it. */
export function acceptInvitation(db: Db, token: string, passwordHash: string, now: Date) {
  return respondIfPending(db, token, now, (tx, found) => {
    if (findUserByEmail(tx, found.invitation.email)) return { ok: false as const, emailTaken: true as const };
    const { invitation } = found;
    const user = insertUser(
      tx,
      {
        organisationId: invitation.organisationId,
        firstName: invitation.firstName,
        lastName: invitation.lastName,
        email: invitation.email,
        passwordHash,
        isOrganisationAdmin: invitation.isOrganisationAdmin,
        permissions: invitation.permissions,
      },
      now,
    );
    close(tx, invitation.id, "accepted", now, user.id);
    return { ok: true as const, user, organisation: found.organisation };
  });
}

export function rejectInvitation(db: Db, token: string, now: Date) {
  return respondIfPending(db, token, now, (tx, found) => ({
    ok: true as const,
    found: { invitation: close(tx, found.invitation.id, "rejected", now, null), organisation: found.organisation },
  }));
}

/** Withdraws a pending invitation; anything else is refused with its current status. */
export function revokeInvitation(db: Db, row: InvitationRow, now: Date): InvitationStatus {
  const status = invitationStatus(row, now);
  if (status === "pending") {
    db.update(invitations).set({ state: "revoked", respondedAt: now.toISOString() }).where(eq(invitations.id, row.id)).run();
  }
  return status;
}
