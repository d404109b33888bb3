import type { DemoContext, Session } from "../story";
import type { RegisteredDevice } from "./devices";
import { faultyReads, hourlyHistory, iso, type ReadSubmission } from "./fixtures";
import { DAY_MS } from "../../../server/time/durations";

export interface Rejection {
  externalId: string;
  start: string;
  end: string;
  value: string;
  codes: string[];
  messages: string[];
}

export interface ReadsSummary {
  posted: number;
  accepted: number;
  rejected: number;
  acceptedWh: bigint;
  rejections: Rejection[];
}

interface Ingestion {
  accepted: number;
  rejected: number;
  acceptedWh: number;
  results: { index: number; status: "accepted" | "rejected"; reasons: { code: string; message: string }[] }[];
}

/**
 * A meter gateway (an API key of the developer, with reads permissions only) posts each device's month of hourly
 * history, by the device's external id, as gateways know it. The first device's batch also carries the faulty
 * reads; every read comes back with its verdict.
 */
export async function postGatewayReads(context: DemoContext, developer: Session, devices: readonly RegisteredDevice[], from: number, days: number): Promise<ReadsSummary> {
  const key = await context.api.post<{ key: string; prefix: string }>(
    "/organisation/api-keys",
    { name: "meter gateway, Kenya sites", permissions: { reads: ["READ", "WRITE"] } },
    developer.as,
  );
  context.print.line(`POST /organisation/api-keys  gateway key ${key.prefix}… (reads READ, WRITE only)`);
  context.print.line(`history reads, hourly, ${iso(from)} to ${iso(from + days * DAY_MS)} (before each device's onboarding)`);

  const summary: ReadsSummary = { posted: 0, accepted: 0, rejected: 0, acceptedWh: 0n, rejections: [] };
  for (const [index, device] of devices.entries()) {
    const reads: ReadSubmission[] = hourlyHistory(device.spec, from, days * 24);
    if (index === 0) reads.push(...faultyReads(device.spec, from, device.onboardedAt).map((f) => f.read));
    const result = await context.api.post<Ingestion>(`/devices/by-external-id/${encodeURIComponent(device.externalId)}/reads`, { reads }, { apiKey: key.key });
    summary.posted += reads.length;
    summary.accepted += result.accepted;
    summary.rejected += result.rejected;
    summary.acceptedWh += BigInt(result.acceptedWh);
    for (const verdict of result.results.filter((r) => r.status === "rejected")) {
      const read = reads[verdict.index];
      summary.rejections.push({
        externalId: device.externalId,
        start: read.start,
        end: read.end,
        value: `${read.value} ${read.unit}`,
        codes: verdict.reasons.map((r) => r.code),
        messages: verdict.reasons.map((r) => r.message),
      });
    }
    context.print.progress(`devices read (${summary.posted} reads posted)`, index + 1, devices.length);
  }
  context.print.line(`${summary.accepted} accepted (${summary.acceptedWh} Wh), ${summary.rejected} rejected, kept with their reasons:`);
  for (const rejection of summary.rejections) {
    context.print.line(`  ${rejection.externalId} ${rejection.start} – ${rejection.end} ${rejection.value}: ${rejection.codes.join(", ")}: ${rejection.messages.join(" ")}`);
  }
  return summary;
}
