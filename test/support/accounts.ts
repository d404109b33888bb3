import { expect } from "chai";
import { uniqueEmail } from "./acl";
import type { TestApi } from "./api";

export const GOOD_PASSWORD = "correct horse battery staple";

/** A valid sign-up body with a fresh email and organisation name; override any field. */
export function signUpBody(overrides: Record<string, unknown> = {}) {
  const email = uniqueEmail("founder");
  return {
    firstName: "Ada",
    lastName: "Lovelace",
    email,
    type: "developer",
    organisationName: `Solar ${email}`,
    address: "1 Analytical Engine Way",
    password: GOOD_PASSWORD,
    passwordConfirmation: GOOD_PASSWORD,
    ...overrides,
  };
}

/** Logs in through the API (one KDF run) and returns the bearer token. */
export async function login(api: TestApi, email: string, password = GOOD_PASSWORD): Promise<string> {
  const response = await api.request("POST", "/auth/login", { body: { email, password } });
  expect(response.status, await response.clone().text()).to.equal(200);
  return ((await response.json()) as { token: string }).token;
}
