import { eq } from "drizzle-orm";
import type { Db } from "../db/database";
import type { OrganisationRow } from "./accounts";
import { canReadOrganisation, type Principal } from "./permissions";
import { organisations } from "./schema";

/**
 * The organisation a listing is about: the caller's own, or the one named by `?organisationId=` when the
 * caller sees every organisation (platform administrators, auditors). Undefined means "answer 404", for
 * an organisation that does not exist and one the caller may not see alike.
 */
export function organisationToRead(db: Db, principal: Principal, requestedId: string | undefined): OrganisationRow | undefined {
  const id = requestedId ?? principal.organisationId;
  if (!canReadOrganisation(principal, id)) return undefined;
  return db.select().from(organisations).where(eq(organisations.id, id)).get();
}
