import { z } from "@hono/zod-openapi";
import type { FieldError } from "../http/problem";
import { ACTIONS, MODULES, ORGANISATION_TYPES, permissionsBeyond, type Module, type Permissions, type Principal } from "./permissions";
import { PASSWORD_MAX_LENGTH } from "./passwordRules";

/** Request and response shapes shared by the account routes (auth, organisation, invitations, admin). */

export const EmailSchema = z.email().max(254).toLowerCase().openapi({ example: "ada@example.org", description: "Stored lower-cased" });
// Names end up in email subjects: control characters (line breaks included) could forge headers. The
// class spells out Unicode's Cc category (C0, DEL, C1) without the `u` flag, which the OpenAPI pattern
// cannot carry: its `source` is then a pattern every JSON Schema validator reads the same way.
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f-\u009f]*$/;
export const PersonNameSchema = z.string().trim().min(1).max(100).regex(NO_CONTROL_CHARACTERS, "must not contain control characters");
export const OrganisationNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(NO_CONTROL_CHARACTERS, "must not contain control characters")
  .openapi({ description: "Unique regardless of case" });
export const PostalAddressSchema = z.string().trim().min(1).max(500);
/** Rules for new passwords are checked by `newPasswordErrors`, which names each problem; this only bounds the size. */
export const PasswordSchema = z.string().max(PASSWORD_MAX_LENGTH);
export const IdParamSchema = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });

const ActionsSchema = z.array(z.enum(ACTIONS)).max(ACTIONS.length * 2);
export const PermissionsSchema = z
  .strictObject(Object.fromEntries(MODULES.map((m) => [m, ActionsSchema.optional()])) as Record<Module, z.ZodOptional<typeof ActionsSchema>>)
  .openapi("Permissions", { description: "Actions per module; a module left out grants nothing", example: { devices: ["READ", "WRITE"] } });

export const OrganisationSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.enum(ORGANISATION_TYPES),
    address: z.string(),
    createdAt: z.string(),
  })
  .openapi("Organisation");

export const UserSchema = z
  .object({
    id: z.string(),
    organisationId: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    email: z.string(),
    isOrganisationAdmin: z.boolean(),
    permissions: PermissionsSchema,
    createdAt: z.string(),
  })
  .openapi("User");


/** Field errors naming each permission the caller asked to grant (to a key or an invitee) without holding it. */
export function grantErrors(field: string, requested: Permissions, grantor: Principal): FieldError[] {
  return Object.entries(permissionsBeyond(requested, grantor)).map(([module, actions]) => ({
    field: `body.${field}.${module}`,
    message: `you do not hold ${actions!.join(", ")} on ${module}`,
  }));
}
