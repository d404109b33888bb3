import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { OrganisationType, Permissions } from "./permissions";

export const organisations = sqliteTable(
  "organisations",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    type: text("type").$type<OrganisationType>().notNull(),
    address: text("address").notNull(),
    createdAt: text("created_at").notNull(),
  },
  // Names are unique regardless of case and surrounding spaces ("Acme" and "acme " are the same organisation).
  (t) => [uniqueIndex("organisations_name_unique").on(sql`lower(trim(${t.name}))`)],
);

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    organisationId: text("organisation_id")
      .notNull()
      .references(() => organisations.id),
    firstName: text("first_name").notNull(),
    lastName: text("last_name").notNull(),
    /** Stored lower-cased; unique across the platform. */
    email: text("email").notNull(),
    passwordHash: text("password_hash").notNull(),
    isOrganisationAdmin: integer("is_organisation_admin", { mode: "boolean" }).notNull(),
    permissions: text("permissions", { mode: "json" }).$type<Permissions>().notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [uniqueIndex("users_email_unique").on(t.email), index("users_organisation").on(t.organisationId)],
);

/** Bearer tokens; only a SHA-256 of the token is stored (tokens are random, so no KDF is needed). */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    tokenHash: text("token_hash").notNull(),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
    revokedAt: text("revoked_at"),
  },
  (t) => [uniqueIndex("sessions_token_hash_unique").on(t.tokenHash), index("sessions_user").on(t.userId)],
);

/**
 * Machine credentials. A key reads `eak_<publicId>_<secret>`: the public id finds the row through an
 * index, then one SHA-256 of the secret is compared, so a lookup never runs a KDF per stored key.
 */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    publicId: text("public_id").notNull(),
    organisationId: text("organisation_id")
      .notNull()
      .references(() => organisations.id),
    createdBy: text("created_by")
      .notNull()
      .references(() => users.id),
    name: text("name").notNull(),
    secretHash: text("secret_hash").notNull(),
    permissions: text("permissions", { mode: "json" }).$type<Permissions>().notNull(),
    createdAt: text("created_at").notNull(),
    lastUsedAt: text("last_used_at"),
    revokedAt: text("revoked_at"),
  },
  (t) => [uniqueIndex("api_keys_public_id_unique").on(t.publicId), index("api_keys_organisation").on(t.organisationId)],
);
