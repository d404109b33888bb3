import { seedOrganisation } from "../support/api";
import { aclMatrix, CALLERS, type AclRow, type AclWorld, type CallerName, type Expectation } from "../support/acl";
import { alignClockToChain } from "../support/chainTime";
import { issueOneCertificate, syncIndexer } from "./support";

/**
 * Every certificates endpoint against every kind of caller (see test/support/acl.ts). The certificate
 * comes from the matrix's developer organisation's device, reserved by a third buyer organisation: the
 * matrix's buyer admin is the outsider. The developer reader holds READ everywhere, the developer writer
 * nothing on certificates, the API key no certificates permission.
 */
let certificateId = "";

async function prepare(world: AclWorld): Promise<void> {
  // The chain's clock runs ahead of the API's: align them, then renew the callers' sessions at the new time.
  await alignClockToChain(world.api.clock);
  for (const name of CALLERS) world.callers[name].headers = world.freshSessionHeaders(name);
  const developer = { ...world.developer, token: world.callers.developerAdmin.headers.authorization.slice("Bearer ".length) };
  certificateId = await issueOneCertificate(world.api, developer, seedOrganisation(world.api, "buyer"));
  await syncIndexer(world.api);
}

const reads: Record<CallerName, Expectation> = {
  anonymous: 401,
  developerAdmin: "ok",
  developerReader: "ok",
  developerWriter: 403,
  buyerAdmin: "ok",
  auditor: "ok",
  platformAdmin: "ok",
  apiKey: 403,
};
const everyone = Object.fromEntries(CALLERS.map((caller) => [caller, "ok"])) as Record<CallerName, Expectation>;
/** Only buyers claim; this buyer does not hold the certificate, so it is not found for it. */
const claims: Record<CallerName, Expectation> = { ...reads, developerAdmin: 403, developerReader: 403, buyerAdmin: 404, auditor: 403, platformAdmin: 403 };

const rows: AclRow[] = [
  { method: "GET", label: "/certificates", path: () => "/certificates", expect: reads },
  { method: "GET", label: "/certificates/{id}", path: () => `/certificates/${certificateId}`, expect: { ...reads, buyerAdmin: 404 } },
  { method: "GET", label: "/certificates/{id}/evidence", path: () => `/certificates/${certificateId}/evidence`, expect: everyone },
  { method: "GET", label: "/metadata/{id}", path: () => `/metadata/${certificateId}`, expect: everyone },
  {
    method: "POST",
    label: "/certificates/{id}/claim",
    path: () => `/certificates/${certificateId}/claim`,
    body: () => ({ amountWh: "1", beneficiary: "B", purpose: "P", redeemAs: "D-REC" }),
    expect: claims,
  },
  {
    method: "POST",
    label: "/certificates/{id}/claim-details",
    path: () => `/certificates/${certificateId}/claim-details`,
    body: () => ({ holder: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8", amountWh: "1", beneficiary: "B", purpose: "P" }),
    expect: claims,
  },
];

aclMatrix("certificates: who may do what", rows, prepare);
