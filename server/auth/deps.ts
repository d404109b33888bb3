import type { AccountSettings } from "../config";
import type { Db } from "../db/database";
import { dispatchOutbox } from "../notifications/outbox";
import type { MailTransport } from "../notifications/transport";

/** What the account routes (auth, organisation, invitations, admin) need from the app. */
export interface AccountDeps {
  db: Db;
  clock: () => Date;
  mail: MailTransport;
  accounts: AccountSettings;
}

/** Delivers what the request just wrote to the outbox; the request answers after a first attempt, failures are retried later. */
export function deliverOutbox(deps: AccountDeps): Promise<unknown> {
  return dispatchOutbox(deps.db, deps.mail, deps.clock);
}
