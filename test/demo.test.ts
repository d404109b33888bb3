import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { http, parseEventLogs, type Hex } from "viem";
import { connectChain, type ChainClients } from "../server/chain/clients";
import { REGISTRY_ABI } from "../server/chain/registryAbi";
import { loadConfig } from "../server/config";
import { demoEnvironment } from "../scripts/demo/command";
import { DEMO_DAYS } from "../scripts/demo/dRecStory";
import { DEVICES_BY_CSV, DEVICES_ONE_BY_ONE, faultyReads, hourlyHistory } from "../scripts/demo/dRec/fixtures";
import { createInbox } from "../scripts/demo/inbox";
import { recordingPrinter } from "../scripts/demo/print";
import { runDemo, type DemoSummary } from "../scripts/demo/runDemo";
import { startStack, type Stack } from "../scripts/stack";
import { DAY_MS } from "../server/time/durations";

describe("the demo (npm run demo), end to end against the local stack", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "registry-demo-"));
  const databasePath = path.join(dir, "registry.db");
  const printer = recordingPrinter();
  let stack: Stack;
  let chain: ChainClients;
  let summary: DemoSummary;

  before(async () => {
    const config = loadConfig(demoEnvironment({ PORT: "0", CHAIN_PORT: "0", DATABASE_PATH: databasePath, INDEXER_POLL_MS: "100" }).env);
    const inbox = createInbox(() => undefined);
    stack = await startStack(config, inbox.log);
    chain = await connectChain(http(stack.rpcUrl));
    summary = await runDemo(stack.apiUrl, { rpcUrl: stack.rpcUrl, admin: config.platformAdmin!, inbox, print: printer, databasePath });
  });

  after(async () => {
    await stack?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const onChain = async (holder: Hex, id: string) => {
    const read = (functionName: "balanceOf" | "claimedBalanceOf") =>
      chain.publicClient.readContract({ address: stack.registryAddress, abi: REGISTRY_ABI, functionName, args: [holder, BigInt(id)] });
    const [balance, claimed] = await Promise.all([read("balanceOf"), read("claimedBalanceOf")]);
    return { balance, claimed };
  };

  it("registers the devices one by one and by CSV, and keeps the faulty reads out with their reasons", () => {
    const { devices, reads } = summary.stories.dRec;
    expect(devices.map((d) => [d.externalId, d.via])).to.deep.equal([
      ...DEVICES_ONE_BY_ONE.map((d) => [d.externalId, "api"]),
      ...DEVICES_BY_CSV.map((d) => [d.externalId, "csv"]),
    ]);
    const expectedCodes = faultyReads(DEVICES_ONE_BY_ONE[0], 0, 0).map((f) => f.expected);
    expect(reads.rejections.map((r) => [r.externalId, r.codes])).to.deep.equal(expectedCodes.map((code) => [DEVICES_ONE_BY_ONE[0].externalId, [code]]));
    expect([reads.accepted, reads.rejected, reads.posted]).to.deep.equal([6 * DEMO_DAYS * 24, expectedCodes.length, 6 * DEMO_DAYS * 24 + expectedCodes.length]);
  });

  it("mints one certificate per day into the buyer's wallet, holding exactly the good reads' energy on chain", async () => {
    const { issuance, buyerWallet, claim, window, holdings } = summary.stories.dRec;
    const start = Date.parse(window.start);
    expect(issuance.certificates.map((c) => c.generationStart)).to.deep.equal(Array.from({ length: DEMO_DAYS }, (_, day) => new Date(start + day * DAY_MS).toISOString()));

    let heldAndClaimed = 0n;
    for (const certificate of issuance.certificates) {
      const { balance, claimed } = await onChain(buyerWallet, certificate.id);
      const claimedHere = certificate.id === claim.certificateId ? claim.amountWh : 0n;
      expect([balance, claimed], certificate.id).to.deep.equal([certificate.volumeWh - claimedHere, claimedHere]);
      expect(holdings.find((h) => h.certificateId === certificate.id), certificate.id).to.deep.equal({ certificateId: certificate.id, balanceWh: balance, claimedWh: claimed });
      heldAndClaimed += balance + claimed;
    }
    expect(claim.amountWh > 0n).to.equal(true);

    const generated = [...DEVICES_ONE_BY_ONE, ...DEVICES_BY_CSV]
      .flatMap((device) => hourlyHistory(device, start, DEMO_DAYS * 24))
      .reduce((sum, read) => sum + BigInt(read.value), 0n);
    expect(issuance.totalWh).to.equal(generated);
    expect(heldAndClaimed).to.equal(generated);
    expect(summary.stories.dRec.reads.acceptedWh).to.equal(generated);
  });

  it("had the developer's managed wallet pay the issuance gas, as its balance and the receipts show", async () => {
    const { issuance, developerWallet } = summary.stories.dRec;
    expect(issuance.payer).to.equal(developerWallet);
    expect(issuance.transactions).to.not.be.empty;
    let gasUsed = 0n;
    let paidWei = 0n;
    for (const hash of issuance.transactions) {
      const receipt = await chain.publicClient.getTransactionReceipt({ hash });
      expect(receipt.from.toLowerCase()).to.equal(developerWallet.toLowerCase());
      gasUsed += receipt.gasUsed;
      paidWei += receipt.gasUsed * receipt.effectiveGasPrice;
    }
    expect(issuance.gasUsed).to.equal(gasUsed);
    expect(issuance.paidWei).to.equal(paidWei);
    expect(issuance.balanceBeforeWei - issuance.balanceAfterWei).to.equal(paidWei);
    expect(await chain.publicClient.getBalance({ address: developerWallet })).to.equal(issuance.balanceAfterWei);
    expect(issuance.jobsGasPaidWei).to.equal(paidWei);
  });

  it("records the buyer's claim on chain with the published details hash", async () => {
    const { claim } = summary.stories.dRec;
    const receipt = await chain.publicClient.getTransactionReceipt({ hash: claim.txHash });
    expect(receipt.from.toLowerCase()).to.equal(claim.holder.toLowerCase());
    const [retired] = parseEventLogs({ abi: REGISTRY_ABI, eventName: "Retired", logs: receipt.logs });
    expect([retired.args.holder, retired.args.id, retired.args.amount, retired.args.beneficiary, retired.args.detailsHash]).to.deep.equal([
      claim.holder,
      BigInt(claim.certificateId),
      claim.amountWh,
      claim.beneficiary,
      claim.detailsHash,
    ]);
  });

  it("ends with the auditor's clean report and the summary", () => {
    const { audit, issuance } = summary.stories.dRec;
    expect(audit.passed).to.equal(true);
    expect(audit.checks.map((c) => [c.name, c.passed, c.findings])).to.deep.equal(audit.checks.map((c) => [c.name, true, 0]));
    expect(audit.checks).to.have.length(5);
    expect(audit.totals.certificates).to.equal(issuance.certificates.length);
    expect(summary.apiDocsUrl).to.equal(`${stack.apiUrl}/docs`);
    const closing = printer.lines.slice(printer.lines.indexOf("# Summary"));
    expect(closing.some((line) => line.includes(`${issuance.certificates.length} daily D-RECs, ${issuance.totalWh} Wh`))).to.equal(true);
    expect(closing.some((line) => line.includes(databasePath))).to.equal(true);
  });

  it("then runs seed 000's storage pilot through the same API: the worked example exactly, the SD-GCs on chain and exported", async () => {
    const { allocation, sdgcs, exportCsv } = summary.stories.gcStoragePilot;
    expect(allocation.volumes).to.deep.equal({ sdrVolumeWh: "5257248", gcsCancelledWh: "5210000", sdgcVolumeWh: "5004300" });
    expect([allocation.sdrProportion, allocation.efficiencyFactor]).to.deep.equal(["0.95188585", "0.96051823"]);
    expect(sdgcs.reduce((sum, b) => sum + BigInt(b.energyWh), 0n)).to.equal(5_004_300n);
    // Exported: every SD-GC was retired on chain with reason Exported (3).
    const logs = await chain.publicClient.getContractEvents({ address: stack.registryAddress, abi: REGISTRY_ABI, eventName: "Retired", fromBlock: 0n, strict: true });
    const exported = logs.filter((log) => Number(log.args.reason) === 3);
    expect(exported.reduce((sum, log) => sum + log.args.amount, 0n)).to.equal(5_004_300n);
    expect(exportCsv.trim().split("\n")).to.have.length(1 + sdgcs.length);
  });

  it("ends with the audit over everything, GCs included, clean", () => {
    const { closingAudit, dRec, gcStoragePilot } = summary.stories;
    expect(closingAudit.checks.map((c) => [c.name, c.passed, c.findings])).to.deep.equal(closingAudit.checks.map((c) => [c.name, true, 0]));
    expect(closingAudit.passed).to.equal(true);
    // The D-RECs, the imported GCs and the SD-GCs (split children are counted apart).
    expect(closingAudit.totals.certificates).to.equal(dRec.issuance.certificates.length + gcStoragePilot.importedBundles.length + gcStoragePilot.sdgcs.length);
  });
});
