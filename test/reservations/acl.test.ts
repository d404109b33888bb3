import { aclMatrix, CALLERS, type AclRow, type AclWorld, type CallerName, type Expectation } from "../support/acl";
import { bindWallet, createReservation, DAY, HOUR, registerDevices, reservationBody, type World } from "./support";

/**
 * Every reservations endpoint against every kind of caller (see test/support/acl.ts). Here the buyer is the
 * home organisation (it owns the reservations) and the developer's devices are what they reserve. The
 * developer reader holds READ everywhere, the developer writer nothing on reservations or devices, the API
 * key (the developer's gateway) nothing on reservations. Other buyers get 404: see listing.test.ts.
 */

let world: World;
let held = "";
/** Per caller: a device to reserve, a reservation to delete, and a finished reservation to release. */
const deviceOf = new Map<CallerName, string>();
const deletableOf = new Map<CallerName, string>();
const finishedOf = new Map<CallerName, string>();

async function prepare(acl: AclWorld): Promise<void> {
  world = { api: acl.api, buyer: acl.buyer, developer: acl.developer, wallet: bindWallet(acl.api, acl.buyer) };
  const devices = await registerDevices(acl.api, acl.developer, 1 + 3 * CALLERS.length);
  held = (await createReservation(world, [devices[0]])).id;
  const now = acl.api.clock.now().getTime();
  for (const [index, caller] of CALLERS.entries()) {
    deviceOf.set(caller, devices[1 + 3 * index]);
    deletableOf.set(caller, (await createReservation(world, [devices[2 + 3 * index]])).id);
    const finished = { start: new Date(now - 2 * DAY).toISOString(), end: new Date(now - HOUR).toISOString() };
    finishedOf.set(caller, (await createReservation(world, [devices[3 + 3 * index]], finished)).id);
  }
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
/** Only the buyer changes its reservations; everyone else who may read is refused by organisation type. */
const buyerOnly: Record<CallerName, Expectation> = { ...reads, developerAdmin: 403, developerReader: 403, auditor: 403, platformAdmin: 403 };

const rows: AclRow[] = [
  { method: "GET", label: "/reservations", path: () => "/reservations", expect: reads },
  { method: "GET", label: "/reservations/{id}", path: () => `/reservations/${held}`, expect: reads },
  {
    method: "GET",
    label: "/reservations/eligible-devices",
    path: () => "/reservations/eligible-devices",
    expect: { ...reads, developerAdmin: 403, developerReader: 403, auditor: 403 },
  },
  {
    method: "POST",
    label: "/reservations",
    path: () => "/reservations",
    body: (_acl, caller) => reservationBody(world, [deviceOf.get(caller)!]),
    expect: buyerOnly,
  },
  {
    method: "PATCH",
    label: "/reservations/{id}",
    path: () => `/reservations/${held}`,
    body: (_acl, caller) => ({ name: `Renamed by ${caller}` }),
    expect: buyerOnly,
  },
  { method: "DELETE", label: "/reservations/{id}", path: (_acl, caller) => `/reservations/${deletableOf.get(caller)}`, expect: buyerOnly },
  {
    method: "POST",
    label: "/reservations/{id}/release",
    path: (_acl, caller) => `/reservations/${finishedOf.get(caller)}/release`,
    // Administrators release everything, developers with UPDATE or DELETE on devices their own; a buyer ends it with DELETE.
    expect: { ...reads, developerReader: 403, buyerAdmin: 403, auditor: 403 },
  },
];

aclMatrix("reservations: access control matrix", rows, prepare);
