import { createUploadJob } from "../../server/devices/uploads";
import { aclMatrix, CALLERS, type AclRow, type AclWorld, type CallerName, type Expectation } from "../support/acl";
import { validDevice } from "./support";

/**
 * Every devices endpoint against every kind of caller (see test/support/acl.ts). Rows act on the
 * developer organisation's devices: the developer reader holds READ everywhere, the developer writer
 * nothing on devices, the API key READ and WRITE on devices; the buyer admin is the outsider.
 * POST /devices/uploads takes a CSV body, which the matrix cannot send: its roles are checked in uploads.test.ts.
 */

/** The device each caller acts on, so a caller's DELETE does not take away the next caller's target. */
const deviceOf = new Map<CallerName, string>();
let jobId = "";

async function prepare(world: AclWorld): Promise<void> {
  const { api, developer } = world;
  const response = await api.request("POST", "/devices", {
    token: developer.token,
    body: CALLERS.map((caller) => validDevice({ externalId: `acl-${caller}` })),
  });
  for (const [index, device] of ((await response.json()) as { id: string }[]).entries()) deviceOf.set(CALLERS[index], device.id);
  jobId = createUploadJob(api.database.db, {
    organisationId: developer.organisationId,
    createdBy: developer.userId,
    fileName: "devices.csv",
    content: "externalId,countryCode,commissioningDate,capacity\n",
    now: api.clock.now(),
  }).id;
}

const reads: Record<CallerName, Expectation> = {
  anonymous: 401,
  developerAdmin: "ok",
  developerReader: "ok",
  developerWriter: 403,
  buyerAdmin: "ok",
  auditor: "ok",
  platformAdmin: "ok",
  apiKey: "ok",
};
/** Reading one of the developer's records: the buyer is an outsider. */
const readOne = { ...reads, buyerAdmin: 404 } as const;
const home = (world: AclWorld) => world.developer.organisationId;

const rows: AclRow[] = [
  { method: "GET", label: "/devices", path: () => "/devices", expect: reads },
  { method: "GET", label: "/devices/{id}", path: (_world, caller) => `/devices/${deviceOf.get(caller)}`, expect: readOne },
  {
    method: "GET",
    label: "/devices/by-external-id/{externalId}",
    path: (world, caller) => `/devices/by-external-id/acl-${caller}?organisationId=${home(world)}`,
    expect: readOne,
  },
  {
    method: "POST",
    label: "/devices",
    path: (world) => `/devices?organisationId=${home(world)}`,
    body: (_world, caller) => validDevice({ externalId: `acl-new-${caller}` }),
    expect: { ...reads, developerReader: 403, buyerAdmin: 403, auditor: 403 },
  },
  {
    method: "PATCH",
    label: "/devices/{id}",
    path: (_world, caller) => `/devices/${deviceOf.get(caller)}`,
    body: () => ({ projectName: "Renamed by the matrix" }),
    expect: { ...readOne, developerReader: 403, auditor: 403, apiKey: 403 },
  },
  {
    method: "DELETE",
    label: "/devices/{id}",
    path: (_world, caller) => `/devices/${deviceOf.get(caller)}`,
    expect: { ...readOne, developerReader: 403, auditor: 403, apiKey: 403 },
  },
  { method: "GET", label: "/devices/uploads/template", path: () => "/devices/uploads/template", expect: { ...reads, anonymous: "ok", developerWriter: "ok" } },
  { method: "GET", label: "/devices/uploads", path: () => "/devices/uploads", expect: reads },
  { method: "GET", label: "/devices/uploads/{jobId}", path: () => `/devices/uploads/${jobId}`, expect: readOne },
  { method: "GET", label: "/devices/uploads/{jobId}/rows", path: () => `/devices/uploads/${jobId}/rows`, expect: readOne },
  { method: "GET", label: "/devices/uploads/{jobId}/file", path: () => `/devices/uploads/${jobId}/file`, expect: readOne },
];

aclMatrix("devices ACL matrix", rows, prepare);
