/**
 * Device grouping for a buyer's reservation form (seed 001 "Device Grouping"): eligible devices are shown
 * grouped by the form's fields (country, fuel, device type, off-taker), across developer organisations,
 * and for a target capacity the platform suggests which devices of a group meet it. Pure, tested directly.
 */

export interface EligibleDevice {
  id: string;
  externalId: string;
  organisationId: string;
  organisationName: string;
  countryCode: string;
  fuelCode: string | null;
  deviceTypeCode: string | null;
  offTaker: string | null;
  capacityW: number;
  /** Device-local date, YYYY-MM-DD. */
  commissioningDate: string;
  timeZone: string;
}

export interface DeviceGroup {
  countryCode: string;
  fuelCode: string | null;
  deviceTypeCode: string | null;
  offTaker: string | null;
  /** Largest first, then by external id. */
  devices: EligibleDevice[];
  totalCapacityW: number;
  organisations: { id: string; name: string; deviceCount: number }[];
  commissioning: { from: string; to: string };
  /** The device-local zones in the group: one country can span several (seed 001 "TimeZone"). */
  timeZones: string[];
  /** Present when a target capacity was given. */
  suggestion?: Suggestion;
}

export interface Suggestion {
  deviceIds: string[];
  capacityW: number;
  /** False when the whole group falls short of the target; the suggestion is then every device. */
  meetsTarget: boolean;
}

const byCapacityThenExternalId = (a: EligibleDevice, b: EligibleDevice) =>
  b.capacityW - a.capacityW || compare(a.externalId, b.externalId) || compare(a.id, b.id);
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const keyOf = (d: EligibleDevice) => JSON.stringify([d.countryCode, d.fuelCode, d.deviceTypeCode, d.offTaker]);

/** Groups devices by (country, fuel, device type, off-taker); groups with the most capacity first. */
export function groupDevices(devices: readonly EligibleDevice[], targetCapacityW?: number): DeviceGroup[] {
  const byKey = new Map<string, EligibleDevice[]>();
  for (const device of devices) {
    const members = byKey.get(keyOf(device));
    if (members) members.push(device);
    else byKey.set(keyOf(device), [device]);
  }
  const groups = [...byKey.values()].map((members) => groupOf(members, targetCapacityW));
  return groups.sort((a, b) => b.totalCapacityW - a.totalCapacityW || compare(keyOf(a.devices[0]), keyOf(b.devices[0])));
}

function groupOf(members: EligibleDevice[], targetCapacityW: number | undefined): DeviceGroup {
  const devices = [...members].sort(byCapacityThenExternalId);
  const organisations = new Map<string, { id: string; name: string; deviceCount: number }>();
  for (const device of devices) {
    const organisation = organisations.get(device.organisationId);
    if (organisation) organisation.deviceCount += 1;
    else organisations.set(device.organisationId, { id: device.organisationId, name: device.organisationName, deviceCount: 1 });
  }
  const dates = devices.map((device) => device.commissioningDate).sort();
  const first = devices[0];
  return {
    countryCode: first.countryCode,
    fuelCode: first.fuelCode,
    deviceTypeCode: first.deviceTypeCode,
    offTaker: first.offTaker,
    devices,
    totalCapacityW: devices.reduce((sum, device) => sum + device.capacityW, 0),
    organisations: [...organisations.values()].sort((a, b) => b.deviceCount - a.deviceCount || compare(a.name, b.name)),
    commissioning: { from: dates[0], to: dates[dates.length - 1] },
    timeZones: [...new Set(devices.map((device) => device.timeZone))].sort(),
    ...(targetCapacityW === undefined ? {} : { suggestion: suggest(devices, targetCapacityW) }),
  };
}

/**
 * Devices whose capacity reaches `targetW` with little excess ("best fit decreasing"): largest first, each
 * device taken while it keeps the total at or under the target; if that falls short, the smallest device
 * passed over closes the gap (every one passed over is larger than what remains), and then any device the
 * target no longer needs is dropped, largest first. A heuristic, not an exact subset sum (NP-hard), but
 * deterministic and never more than one device's capacity beyond the target.
 */
export function suggest(devices: readonly EligibleDevice[], targetW: number): Suggestion {
  let chosen: EligibleDevice[] = [];
  const passed: EligibleDevice[] = [];
  let total = 0;
  for (const device of [...devices].sort(byCapacityThenExternalId)) {
    if (total + device.capacityW <= targetW) {
      chosen.push(device);
      total += device.capacityW;
    } else passed.push(device);
  }
  const closing = total < targetW ? passed.at(-1) : undefined;
  if (closing) {
    total += closing.capacityW;
    chosen = [...chosen, closing].sort(byCapacityThenExternalId);
    chosen = chosen.filter((device) => {
      if (total - device.capacityW < targetW) return true;
      total -= device.capacityW;
      return false;
    });
  }
  return { deviceIds: chosen.map((d) => d.id), capacityW: total, meetsTarget: total >= targetW };
}
