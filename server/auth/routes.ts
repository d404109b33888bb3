import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { principalOf, type AppEnv } from "../http/env";
import { json, jsonBody, problemResponses, SECURED } from "../http/openapi";
import { problem } from "../http/problem";
import { duplicateAccountFields, findUserByEmail, organisationView, signUp, userView } from "./accounts";
import { PostalAddressSchema, EmailSchema, OrganisationNameSchema, OrganisationSchema, PasswordSchema, PermissionsSchema, PersonNameSchema, UserSchema } from "./apiSchemas";
import { registerApiKeyRoutes } from "./apiKeyRoutes";
import { requireAuthenticated, requireSession } from "./authenticate";
import { deliverOutbox, type AccountDeps } from "./deps";
import { registerOrganisationRoutes } from "./organisationRoutes";
import { hashPassword, UNMATCHABLE_HASH, verifyPassword } from "./passwords";
import { newPasswordErrors } from "./passwordRules";
import { effectivePermissions, SELF_SERVICE_ORGANISATION_TYPES } from "./permissions";
import { organisations, users } from "./schema";
import { revokeOtherSessions, revokeSession, startSession } from "./sessions";

const SignUpBody = z
  .strictObject({
    firstName: PersonNameSchema,
    lastName: PersonNameSchema,
    email: EmailSchema,
    type: z.enum(SELF_SERVICE_ORGANISATION_TYPES).openapi({ description: "Administrator and auditor organisations are created by a platform administrator" }),
    organisationName: OrganisationNameSchema,
    address: PostalAddressSchema,
    password: PasswordSchema.openapi({ description: "At least 10 characters" }),
    passwordConfirmation: PasswordSchema,
  })
  .openapi("SignUp");

const signUpRoute = createRoute({
  method: "post",
  path: "/auth/signup",
  tags: ["auth"],
  summary: "Register an organisation (developer or buyer) with its first user as organisation admin",
  request: jsonBody(SignUpBody),
  responses: {
    201: json(z.object({ organisation: OrganisationSchema, user: UserSchema }), "Registered; a confirmation email is on its way"),
    ...problemResponses(400, 409, 413),
  },
});

const LoginBody = z.strictObject({ email: EmailSchema, password: PasswordSchema }).openapi("Login");
const SessionSchema = z
  .object({ token: z.string().openapi({ description: "Send as `Authorization: Bearer <token>`" }), expiresAt: z.string(), user: UserSchema })
  .openapi("Session");

const loginRoute = createRoute({
  method: "post",
  path: "/auth/login",
  tags: ["auth"],
  summary: "Exchange email and password for a bearer token",
  request: jsonBody(LoginBody),
  responses: { 200: json(SessionSchema, "Logged in"), ...problemResponses(400, 401) },
});

const logoutRoute = createRoute({
  method: "post",
  path: "/auth/logout",
  tags: ["auth"],
  summary: "Revoke the session whose token is sent",
  middleware: [requireSession] as const,
  security: [{ bearer: [] }],
  responses: { 204: { description: "The token no longer works" }, ...problemResponses(401, 403) },
});

const PasswordChangeBody = z
  .strictObject({ currentPassword: PasswordSchema, newPassword: PasswordSchema, newPasswordConfirmation: PasswordSchema })
  .openapi("PasswordChange");

const passwordRoute = createRoute({
  method: "post",
  path: "/auth/password",
  tags: ["auth"],
  summary: "Change one's password; every other session of the user is revoked",
  middleware: [requireSession] as const,
  security: [{ bearer: [] }],
  request: jsonBody(PasswordChangeBody),
  responses: { 204: { description: "Changed" }, ...problemResponses(400, 401, 403) },
});

const MeSchema = z
  .object({
    user: UserSchema.openapi({ description: "For an API key, the user who created it" }),
    organisation: OrganisationSchema,
    credential: z.enum(["session", "apiKey"]),
    permissions: PermissionsSchema.openapi({ description: "What the caller may do, after its organisation type and admin flag" }),
  })
  .openapi("Me");

const meRoute = createRoute({
  method: "get",
  path: "/auth/me",
  tags: ["auth"],
  summary: "The caller: user, organisation and effective permissions",
  middleware: [requireAuthenticated] as const,
  security: SECURED,
  responses: { 200: json(MeSchema, "The caller"), ...problemResponses(401) },
});

/** Accounts: /auth (sign-up, sessions, password), /organisation (organisation, users) and /organisation/api-keys. */
export function registerAuth(app: OpenAPIHono<AppEnv>, deps: AccountDeps): void {
  registerAuthRoutes(app, deps);
  registerOrganisationRoutes(app, deps);
  registerApiKeyRoutes(app, deps);
}

function registerAuthRoutes(app: OpenAPIHono<AppEnv>, deps: AccountDeps): void {
  const { db, clock, accounts } = deps;

  app.openapi(signUpRoute, async (c) => {
    const body = c.req.valid("json");
    const passwordErrors = newPasswordErrors(
      { field: "password", value: body.password },
      { field: "passwordConfirmation", value: body.passwordConfirmation },
      { email: body.email },
    );
    if (passwordErrors.length > 0) return problem(c, 400, "Invalid request", "The password is not acceptable.", passwordErrors);
    // Checked before hashing so a duplicate costs no KDF run; signUp checks again inside its transaction.
    const duplicates = duplicateAccountFields(db, { email: { field: "email", value: body.email }, organisationName: { field: "organisationName", value: body.organisationName } });
    if (duplicates.length > 0) return problem(c, 409, "Already registered", "An account with these details exists.", duplicates);
    const passwordHash = await hashPassword(body.password);
    const result = signUp(db, { ...body, passwordHash }, clock(), accounts.publicUrl);
    if (!result.ok) return problem(c, 409, "Already registered", "An account with these details exists.", result.errors);
    await deliverOutbox(deps);
    return c.json({ organisation: organisationView(result.organisation), user: userView(result.user) }, 201);
  });

  app.openapi(loginRoute, async (c) => {
    const { email, password } = c.req.valid("json");
    const user = findUserByEmail(db, email);
    // An unknown email costs the same KDF run as a known one, so response times do not reveal accounts.
    const matches = await verifyPassword(password, user?.passwordHash ?? UNMATCHABLE_HASH);
    if (!user || !matches) return problem(c, 401, "Unauthenticated", "The email or the password is wrong.");
    const session = startSession(db, user.id, clock(), accounts.sessionTtlMinutes);
    return c.json({ ...session, user: userView(user) }, 200);
  });

  app.openapi(logoutRoute, (c) => {
    revokeSession(db, principalOf(c).sessionId!, clock());
    return c.body(null, 204);
  });

  app.openapi(passwordRoute, async (c) => {
    const principal = principalOf(c);
    const body = c.req.valid("json");
    const user = db.select().from(users).where(eq(users.id, principal.userId)).get()!;
    if (!(await verifyPassword(body.currentPassword, user.passwordHash))) {
      return problem(c, 400, "Invalid request", "The current password is wrong.", [{ field: "body.currentPassword", message: "is not your current password" }]);
    }
    const errors = newPasswordErrors(
      { field: "newPassword", value: body.newPassword },
      { field: "newPasswordConfirmation", value: body.newPasswordConfirmation },
      { email: user.email },
    );
    if (errors.length > 0) return problem(c, 400, "Invalid request", "The new password is not acceptable.", errors);
    const passwordHash = await hashPassword(body.newPassword);
    db.transaction((tx) => {
      tx.update(users).set({ passwordHash }).where(eq(users.id, user.id)).run();
      revokeOtherSessions(tx, user.id, principal.sessionId!, clock());
    });
    return c.body(null, 204);
  });

  app.openapi(meRoute, (c) => {
    const principal = principalOf(c);
    const row = db
      .select({ user: users, organisation: organisations })
      .from(users)
      .innerJoin(organisations, eq(organisations.id, users.organisationId))
      .where(eq(users.id, principal.userId))
      .get()!;
    return c.json(
      {
        user: userView(row.user),
        organisation: organisationView(row.organisation),
        credential: principal.kind === "user" ? ("session" as const) : ("apiKey" as const),
        permissions: effectivePermissions(principal),
      },
      200,
    );
  });
}
