import { runStoragePilot, type PilotSummary } from "../pilot/storagePilot";
import type { DemoStory } from "./story";

/**
 * Seed 000's storage pilot as the demo's second story, against the running stack's HTTP API: the same
 * steps `npm run pilot:storage` runs in-process, with the emails read from the stack's mail log.
 */
export const gcStoragePilotStory: DemoStory<PilotSummary> = {
  title: "The GC storage pilot of seed 000 (EnergyTag granular certificates through a battery)",
  run: (context) =>
    runStoragePilot(
      {
        request(method, path, options) {
          const headers: Record<string, string> = { ...(options.headers ?? {}) };
          if (options.token) headers.authorization = `Bearer ${options.token}`;
          if (options.body !== undefined) headers["content-type"] ??= "application/json";
          const body = options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body);
          return fetch(`${context.api.baseUrl}${path}`, { method, headers, body });
        },
        lastEmailTo: (to) => context.inbox.lastTo(to),
      },
      context.print,
    ),
  summaryLines: (summary) => [
    `GC pilot: ${summary.importedBundles.length} GC bundles imported, SDR ${summary.allocation.volumes.sdrVolumeWh} Wh, GCs cancelled ${summary.allocation.volumes.gcsCancelledWh} Wh, SD-GCs ${summary.allocation.volumes.sdgcVolumeWh} Wh`,
    `          SDR proportion ${summary.allocation.sdrProportion}, efficiency factor ${summary.allocation.efficiencyFactor}; ${summary.sdgcs.length} SD-GC bundles exported back`,
  ],
};
