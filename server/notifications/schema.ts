import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Emails written in the same transaction as the change they report, then delivered after commit: a
 * rolled-back change sends nothing, and a failed delivery is retried instead of lost.
 */
export const outboxEmails = sqliteTable(
  "outbox_emails",
  {
    id: text("id").primaryKey(),
    to: text("to").notNull(),
    subject: text("subject").notNull(),
    body: text("body").notNull(),
    createdAt: text("created_at").notNull(),
    deliveredAt: text("delivered_at"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    /** When the dispatcher may next try; moved forward while a delivery is under way, null once it gives up. */
    nextAttemptAt: text("next_attempt_at"),
  },
  (t) => [index("outbox_emails_due").on(t.deliveredAt, t.nextAttemptAt)],
);
