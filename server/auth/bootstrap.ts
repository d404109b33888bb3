import { eq } from "drizzle-orm";
import type { Db } from "../db/database";
import { duplicateAccountFields, insertOrganisation, insertUser } from "./accounts";
import { hashPassword } from "./passwords";
import { allPermissions } from "./permissions";
import { organisations } from "./schema";
import { randomSecret } from "./secrets";

export const PLATFORM_ORGANISATION_NAME = "Platform administration";
export const LOCAL_ADMIN_EMAIL = "admin@registry.local";

export type BootstrapPlan =
  | { action: "none"; reason: "admin organisation exists" | "no credentials configured" }
  | { action: "create"; email: string; password: string | "generate" };

/**
 * Whether the start creates the first platform administrator: only when no administration organisation
 * exists. Configured credentials win; local mode without them gets a generated password (printed once by
 * the stack); elsewhere nothing is invented, since a guessable default admin must never reach a real network.
 */
export function planPlatformAdmin(input: {
  adminOrganisationExists: boolean;
  configured?: { email: string; password: string };
  local: boolean;
}): BootstrapPlan {
  if (input.adminOrganisationExists) return { action: "none", reason: "admin organisation exists" };
  if (input.configured) return { action: "create", ...input.configured };
  if (input.local) return { action: "create", email: LOCAL_ADMIN_EMAIL, password: "generate" };
  return { action: "none", reason: "no credentials configured" };
}

export type BootstrapResult = { created: false; reason: string } | { created: true; email: string; generatedPassword?: string };

/** Creates the "Platform administration" organisation and its admin user when `planPlatformAdmin` says so. */
export async function bootstrapPlatformAdmin(
  db: Db,
  options: { configured?: { email: string; password: string }; local: boolean; now: Date },
): Promise<BootstrapResult> {
  const adminOrganisationExists = db.select({ id: organisations.id }).from(organisations).where(eq(organisations.type, "admin")).get() !== undefined;
  const plan = planPlatformAdmin({ adminOrganisationExists, configured: options.configured, local: options.local });
  if (plan.action === "none") return { created: false, reason: plan.reason };
  const generatedPassword = plan.password === "generate" ? randomSecret(18) : undefined;
  const passwordHash = await hashPassword(generatedPassword ?? plan.password);
  db.transaction((tx) => {
    const taken = duplicateAccountFields(tx, { email: { field: "email", value: plan.email }, organisationName: { field: "name", value: PLATFORM_ORGANISATION_NAME } });
    if (taken.length > 0) {
      throw new Error(`Cannot create the platform administrator: ${taken.map((e) => `${e.field.replace("body.", "")} ${e.message}`).join("; ")}.`);
    }
    const organisation = insertOrganisation(tx, { name: PLATFORM_ORGANISATION_NAME, type: "admin", address: "-" }, options.now);
    insertUser(
      tx,
      {
        organisationId: organisation.id,
        firstName: "Platform",
        lastName: "Administrator",
        email: plan.email,
        passwordHash,
        isOrganisationAdmin: true,
        permissions: allPermissions(),
      },
      options.now,
    );
  });
  return { created: true, email: plan.email, generatedPassword };
}
