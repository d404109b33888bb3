import { expect } from "chai";
import { recordingPrinter } from "../../scripts/demo/print";
import { inProcessPilotApi } from "../../scripts/pilot/inProcessApi";
import { runStoragePilot, type PilotSummary } from "../../scripts/pilot/storagePilot";
import { createTestApi, type TestApi } from "../support/api";
import { alignClockToChain } from "../support/chainTime";

describe("npm run pilot:storage (seed 000's pilot through the API)", function () {
  this.timeout(180_000);
  let api: TestApi;
  let summary: PilotSummary;
  const printer = recordingPrinter();

  before(async () => {
    api = await createTestApi();
    await alignClockToChain(api.clock);
    summary = await runStoragePilot(inProcessPilotApi(api), printer);
  });
  after(() => api.close());

  it("prints every step of the seed, in order", () => {
    const headings = printer.lines.filter((line) => line.startsWith("== ")).map((line) => line.split(".")[0]);
    expect(headings).to.deep.equal(["== 1-2", "== 3", "== 4", "== 5", "== 6", "== 7", "== 8", "== 9-10", "== 11-13", "== 14"]);
  });

  it("comes out at the seed's worked example exactly", () => {
    expect(summary.allocation).to.deep.equal({
      volumes: { sdrVolumeWh: "5257248", gcsCancelledWh: "5210000", sdgcVolumeWh: "5004300" },
      sdrProportion: "0.95188585",
      efficiencyFactor: "0.96051823",
    });
    expect(printer.lines).to.include.members(["SDR volume          5,257,248 Wh", "GCs cancelled       5,210,000 Wh", "SD-GC volume        5,004,300 Wh"]);
    expect(summary.notification).to.equal("SD-GCs issued for Byrd Ranch: 5,004,300 Wh");
  });

  it("ends with the SD-GCs back in the LTE account, exported in the import format", () => {
    expect(summary.importedBundles).to.have.length(5);
    expect(summary.sdgcs.map((b) => b.accountId)).to.deep.equal(Array(4).fill(summary.lteAccountId));
    const [header, ...rows] = summary.exportCsv.trim().split(/\r?\n/);
    expect(header.split(",").slice(0, 6)).to.deep.equal(["source_registry", "source_id", "device_id", "production_start", "production_end", "energy_wh"]);
    expect(rows.map((row) => row.split(",")[1])).to.deep.equal(summary.sdgcs.map((b) => b.id));
    expect(rows.reduce((sum, row) => sum + BigInt(row.split(",")[5]), 0n)).to.equal(5_004_300n);
  });
});
