import type { Address } from "viem";
import type { DemoContext, Session } from "../story";
import { iso } from "./fixtures";

interface EligibleDevices {
  deviceCount: number;
  groups: {
    countryCode: string;
    fuelCode: string | null;
    deviceTypeCode: string | null;
    offTaker: string | null;
    totalCapacity: number;
    devices: { id: string; externalId: string; organisationId: string }[];
  }[];
}

export interface Reservation {
  id: string;
  chainRef: string;
  createTxHash: string;
  targetMWh: string;
  deviceCount: number;
}

/**
 * The buyer looks at the devices it could reserve (grouped by country, fuel, type and off-taker), takes the
 * developer's, and reserves them for a past window: daily certificates, with authority to exceed the target.
 */
export async function reserveDevices(
  context: DemoContext,
  buyer: Session,
  developerOrganisationId: string,
  window: { start: number; end: number },
  wallet: Address,
): Promise<Reservation> {
  const eligible = await context.api.get<EligibleDevices>(`/reservations/eligible-devices?start=${encodeURIComponent(iso(window.start))}`, buyer.as);
  context.print.line(`GET /reservations/eligible-devices  ${eligible.deviceCount} devices in ${eligible.groups.length} groups:`);
  for (const group of eligible.groups) {
    context.print.line(`  ${group.countryCode} ${group.fuelCode} ${group.deviceTypeCode} ${group.offTaker}: ${group.devices.map((d) => d.externalId).join(", ")} (${group.totalCapacity} kW)`);
  }
  const deviceIds = eligible.groups.flatMap((group) => group.devices.filter((d) => d.organisationId === developerOrganisationId).map((d) => d.id));
  const reservation = await context.api.post<Reservation>(
    "/reservations",
    {
      name: "Kenya solar, last month",
      standard: "D-REC",
      frequency: "daily",
      start: iso(window.start),
      end: iso(window.end),
      targetMWh: "2",
      authorityToExceed: true,
      walletAddress: wallet,
      deviceIds,
    },
    buyer.as,
  );
  context.print.line(
    `POST /reservations  ${reservation.id}: ${reservation.deviceCount} devices, daily, ${iso(window.start)} to ${iso(window.end)}, target ${reservation.targetMWh} MWh with authority to exceed`,
  );
  context.print.line(`  written to the on-chain reservation log first (tx ${reservation.createTxHash}); the developer is emailed`);
  return reservation;
}
