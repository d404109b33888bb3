import type { Context } from "hono";
import type { Principal } from "../auth/permissions";

/** Variables the middleware chain sets on every request's context. */
export interface AppEnv {
  Variables: {
    /** Set by `authenticate` when the request carries valid credentials. */
    principal?: Principal;
  };
}

/** The caller, for routes behind `requirePermission`/`requireAuthenticated` (which guarantee it). */
export function principalOf(c: Context<AppEnv>): Principal {
  const principal = c.get("principal");
  if (!principal) throw new Error("principalOf() used on a route without an authentication guard");
  return principal;
}
