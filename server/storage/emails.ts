import type { DeviceRow } from "../devices/store";
import type { OutgoingEmail } from "../notifications/transport";
import { ratioView } from "./views";
import type { BundleRow } from "../gc/accounts/bundles";
import type { StorageAllocationRow } from "./store";

/** Seed 000 step 13: "GCOS issues SDGCs using these records and notifies QT on completion." */
export function sdgcsIssuedEmail(input: { to: string; device: DeviceRow; allocation: StorageAllocationRow; sdgcs: readonly BundleRow[] }): OutgoingEmail {
  const { device, allocation, sdgcs } = input;
  const name = device.projectName ?? device.externalId;
  const wh = (value: number) => `${value.toLocaleString("en")} Wh`;
  const ratio = (text: string | null) => ratioView(text)?.value ?? "n/a";
  return {
    to: input.to,
    subject: `SD-GCs issued for ${name}: ${wh(allocation.sdgcVolumeWh)}`,
    body: [
      `The allocation ${allocation.id} for the storage device ${name} (${device.id}) is complete: ${sdgcs.length} SD-GC bundle${sdgcs.length === 1 ? "" : "s"} were issued into the account ${allocation.accountId}.`,
      "",
      `SDR volume:             ${wh(allocation.sdrVolumeWh)}`,
      `GCs cancelled:          ${wh(allocation.gcsCancelledWh)}`,
      `SD-GC volume:           ${wh(allocation.sdgcVolumeWh)}`,
      `SDR proportion:         ${ratio(allocation.sdrProportion)}`,
      `Efficiency factor:      ${ratio(allocation.efficiencyFactor)}`,
      "",
      "SD-GC bundles:",
      ...sdgcs.map((bundle) => `  - ${bundle.id} (token ${bundle.tokenId}): ${wh(bundle.energyWh)}, ${new Date(bundle.startAt).toISOString()} to ${new Date(bundle.endAt).toISOString()}`),
    ].join("\n"),
  };
}
