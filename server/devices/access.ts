/** Whose devices a request is about, from the caller and an optional `organisationId` query parameter. */
import { eq } from "drizzle-orm";
import type { Context } from "hono";
import type { Principal } from "../auth/permissions";
import { seesAllOrganisations } from "../auth/permissions";
import { organisations } from "../auth/schema";
import type { Db } from "../db/database";
import { problem, type FieldError } from "../http/problem";

export interface Refusal {
  status: 400 | 403 | 404;
  title: string;
  detail: string;
  errors?: FieldError[];
}

const unknownOrganisation: Refusal = {
  status: 404,
  title: "Not found",
  detail: "No such organisation.",
  errors: [{ field: "query.organisationId", message: "no such organisation" }],
};

/**
 * The organisation new devices go to. Developers register their own; a platform administrator names
 * the developer organisation. Buyers and auditors never own devices.
 */
export function owningOrganisation(db: Db, principal: Principal, requested: string | undefined): { organisationId: string } | Refusal {
  if (principal.organisationType === "developer") {
    if (requested !== undefined && requested !== principal.organisationId) return unknownOrganisation;
    return { organisationId: principal.organisationId };
  }
  if (principal.organisationType !== "admin") {
    return { status: 403, title: "Forbidden", detail: "Only developer organisations own devices." };
  }
  if (requested === undefined) {
    return {
      status: 400,
      title: "Invalid request",
      detail: "A platform administrator must name the developer organisation the devices belong to.",
      errors: [{ field: "query.organisationId", message: "is required for platform administrators" }],
    };
  }
  const organisation = db.select({ type: organisations.type }).from(organisations).where(eq(organisations.id, requested)).get();
  if (!organisation) return unknownOrganisation;
  if (organisation.type !== "developer") {
    return {
      status: 400,
      title: "Invalid request",
      detail: "Devices belong to developer organisations.",
      errors: [{ field: "query.organisationId", message: `is a ${organisation.type} organisation, not a developer` }],
    };
  }
  return { organisationId: requested };
}

/**
 * The organisation a read is limited to, or undefined for every organisation (administrators and
 * auditors who name none). Naming an organisation the caller may not see looks like naming none that exists.
 */
export function readScope(db: Db, principal: Principal, requested: string | undefined): { organisationId: string | undefined } | Refusal {
  if (!seesAllOrganisations(principal)) {
    if (requested !== undefined && requested !== principal.organisationId) return unknownOrganisation;
    return { organisationId: principal.organisationId };
  }
  if (requested !== undefined && !db.select({ id: organisations.id }).from(organisations).where(eq(organisations.id, requested)).get()) {
    return unknownOrganisation;
  }
  return { organisationId: requested };
}

export function refuse(c: Context, refusal: Refusal) {
  return problem(c, refusal.status, refusal.title, refusal.detail, refusal.errors);
}

export const noSuchDevice = (c: Context) => problem(c, 404, "Not found", "No such device.");

/** External ids are unique only within an organisation: callers who see every organisation must name one. */
export const organisationRequiredForExternalId: Refusal = {
  status: 400,
  title: "Invalid request",
  detail: "External ids are unique only within an organisation: name it.",
  errors: [{ field: "query.organisationId", message: "is required for platform administrators and auditors" }],
};
