import { aclMatrix, CALLERS, type AclRow, type AclWorld, type CallerName, type Expectation } from "../support/acl";
import { validDevice } from "../devices/support";

/**
 * Every reads endpoint against every kind of caller (see test/support/acl.ts). Rows act on one device of
 * the developer organisation: the developer reader holds READ everywhere, the developer writer nothing
 * on reads, the API key READ and WRITE on reads; the buyer admin is the outsider, who gets 404.
 */
let deviceId = "";

async function prepare(world: AclWorld): Promise<void> {
  const response = await world.api.request("POST", "/devices", { token: world.developer.token, body: validDevice({ externalId: "acl-reads" }) });
  deviceId = ((await response.json()) as { id: string }).id;
}

const readOne: Record<CallerName, Expectation> = {
  anonymous: 401,
  developerAdmin: "ok",
  developerReader: "ok",
  developerWriter: 403,
  buyerAdmin: 404,
  auditor: "ok",
  platformAdmin: "ok",
  apiKey: "ok",
};
const write: Record<CallerName, Expectation> = { ...readOne, developerReader: 403, auditor: 403 };
const adminOnly = Object.fromEntries(CALLERS.map((c) => [c, c === "anonymous" ? 401 : c === "platformAdmin" ? "ok" : 403])) as Record<CallerName, Expectation>;
const oneRead = (world: AclWorld) => ({ reads: [{ type: "delta", end: world.api.clock.now().toISOString(), value: 1 }] });

const rows: AclRow[] = [
  { method: "POST", label: "/devices/{id}/reads", path: () => `/devices/${deviceId}/reads`, body: oneRead, expect: write },
  {
    method: "POST",
    label: "/devices/by-external-id/{externalId}/reads",
    path: (world) => `/devices/by-external-id/acl-reads/reads?organisationId=${world.developer.organisationId}`,
    body: oneRead,
    expect: write,
  },
  { method: "GET", label: "/devices/{id}/reads", path: () => `/devices/${deviceId}/reads`, expect: readOne },
  { method: "GET", label: "/devices/{id}/reads/latest", path: () => `/devices/${deviceId}/reads/latest`, expect: readOne },
  { method: "GET", label: "/reads/yields", path: () => "/reads/yields", expect: { ...readOne, buyerAdmin: "ok" } },
  { method: "PUT", label: "/reads/yields/{countryCode}", path: () => "/reads/yields/KE", body: () => ({ yieldKwhPerKwYear: 1_650 }), expect: adminOnly },
  { method: "DELETE", label: "/reads/yields/{countryCode}", path: () => "/reads/yields/KE", expect: adminOnly },
];

aclMatrix("reads ACL matrix", rows, prepare);
