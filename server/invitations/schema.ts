import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { organisations, users } from "../auth/schema";
import type { Permissions } from "../auth/permissions";

/** Stored states; "expired" is not stored but derived from `expiresAt` at read time, so no job has to flip it. */
export const INVITATION_STATES = ["pending", "accepted", "rejected", "revoked"] as const;
export type InvitationState = (typeof INVITATION_STATES)[number];

/**
 * An offer to join an organisation with given permissions. The link's token is a random secret of
 * which only the SHA-256 is stored; the user row is created only when the invitee accepts.
 */
export const invitations = sqliteTable(
  "invitations",
  {
    id: text("id").primaryKey(),
    organisationId: text("organisation_id")
      .notNull()
      .references(() => organisations.id),
    /** Stored lower-cased, like users' emails. */
    email: text("email").notNull(),
    firstName: text("first_name").notNull(),
    lastName: text("last_name").notNull(),
    permissions: text("permissions", { mode: "json" }).$type<Permissions>().notNull(),
    /** Set for the first user of an organisation created by a platform administrator. */
    isOrganisationAdmin: integer("is_organisation_admin", { mode: "boolean" }).notNull(),
    tokenHash: text("token_hash").notNull(),
    invitedBy: text("invited_by")
      .notNull()
      .references(() => users.id),
    state: text("state").$type<InvitationState>().notNull(),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
    respondedAt: text("responded_at"),
    /** The user created on acceptance. */
    userId: text("user_id").references(() => users.id),
  },
  (t) => [uniqueIndex("invitations_token_hash_unique").on(t.tokenHash), index("invitations_organisation").on(t.organisationId), index("invitations_email").on(t.email)],
);
