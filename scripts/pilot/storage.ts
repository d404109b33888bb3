/**
 * Seed 000's storage pilot against the API on the in-process chain, printing every step: users, accounts,
 * whitelists, the storage device, import, transfer, query, storage records, allocation, SD-GC issuance,
 * transfer back and export. Run: npm run pilot:storage
 */
import { createTestApi } from "../../test/support/api";
import { alignClockToChain } from "../../test/support/chainTime";
import { consolePrinter } from "../demo/print";
import { runStoragePilot } from "./storagePilot";
import { inProcessPilotApi } from "./inProcessApi";

async function main() {
  const api = await createTestApi();
  await alignClockToChain(api.clock);
  try {
    await runStoragePilot(inProcessPilotApi(api), consolePrinter());
  } finally {
    api.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
