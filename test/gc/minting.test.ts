import { expect } from "chai";
import { eq, inArray } from "drizzle-orm";
import { parseEventLogs, type Hex } from "viem";
import { REGISTRY_ABI } from "../../server/chain/registryAbi";
import { chainRef } from "../../server/chain/refs";
import { buildEvidenceTree } from "../../server/issuance/evidence";
import { CertificateKind } from "../../server/issuance/voucherTypedData";
import { gcBundles } from "../../server/gc/schema";
import { gcMintBatches, gcMintItems } from "../../server/gc/issuance/schema";
import { bundleIdParts, gcMintDeps, MAX_CERTIFICATE_ID, MINT_CERTIFICATES_PER_VOUCHER, mintBundles, MintRejectedError, resumeMints, type MintDeps, type NewBundle } from "../../server/gc/minting";
import { advanceClockAndChain } from "../support/chainTime";
import { tableSnapshot } from "../support/api";
import { gcWorld, type GcWorld } from "./issuanceSupport";
import { HOUR_MS } from "../../server/time/durations";

function hours(world: GcWorld, deviceId: string, from: number, count: number, wh: (hour: number) => bigint): NewBundle[] {
  return Array.from({ length: count }, (_, h) => ({
    deviceId,
    startAt: from + h * HOUR_MS,
    endAt: from + (h + 1) * HOUR_MS,
    energyWh: wh(h),
    attributes: world.attributesOf(deviceId),
  }));
}

function bundlesOf(world: GcWorld, ids: readonly string[]) {
  const rows = world.api.database.db.select().from(gcBundles).where(inArray(gcBundles.id, [...ids])).all();
  return ids.map((id) => rows.find((row) => row.id === id)!);
}

async function issuedEvents(world: GcWorld, tokenIds: readonly string[]) {
  const logs = await world.api.deps.publicClient.getContractEvents({ address: world.api.deps.registryAddress, abi: REGISTRY_ABI, eventName: "CertificateIssued", fromBlock: 0n, strict: true });
  const wanted = new Set(tokenIds);
  return logs.filter((log) => wanted.has(log.args.id.toString()));
}

describe("GC minting (server/gc/minting.ts, on the in-process chain)", function () {
  this.timeout(180_000);

  let world: GcWorld;
  let deps: MintDeps;
  before(async () => {
    world = await gcWorld();
    deps = gcMintDeps(world.api.deps);
  });
  const now = () => world.api.clock.now().getTime();

  it("mints each bundle as its own token into the account, with the device's next certificate ids and the bundle's exact Wh", async () => {
    const [a, b] = [await world.createDevice(), await world.createDevice()];
    const account = await world.createAccount();
    const request = [...hours(world, a, world.dayStart, 3, (h) => 1_000n + BigInt(h)), ...hours(world, b, world.dayStart, 2, () => 500n), ...hours(world, a, world.dayStart + 5 * HOUR_MS, 1, () => 7n)];
    const outcome = await mintBundles(deps, { accountId: account.id, origin: "production", bundles: request }, now());

    expect(outcome.minted).to.equal(6);
    expect(outcome.pending).to.equal(0);
    const rows = bundlesOf(world, outcome.bundles.map((bundle) => bundle.id));
    expect(rows.map((row) => row.status)).to.deep.equal(Array(6).fill("active"));
    // Certificate ids continue per device, in request order, whatever the other device took.
    expect(rows.map((row) => [row.deviceId, row.rangeStart, row.rangeEnd])).to.deep.equal([
      [a, 1, 1_000],
      [a, 1_001, 2_001],
      [a, 2_002, 3_003],
      [b, 1, 500],
      [b, 501, 1_000],
      [a, 3_004, 3_010],
    ]);
    // Token ids are consecutive in the batch and carry the GC kind in the top byte.
    const tokenIds = rows.map((row) => BigInt(row.tokenId!));
    tokenIds.forEach((id, i) => expect(id).to.equal(tokenIds[0] + BigInt(i)));
    expect(Number(tokenIds[0] >> 248n)).to.equal(CertificateKind.GranularCertificate);
    for (const row of rows) expect(await world.balanceOf(account.address, row.tokenId!)).to.equal(BigInt(row.energyWh));

    // On chain: the device's ref, the period in seconds, and the one-leaf evidence root.
    const events = await issuedEvents(world, rows.map((row) => row.tokenId!));
    expect(events).to.have.length(6);
    for (const row of rows) {
      const event = events.find((log) => log.args.id.toString() === row.tokenId)!;
      const leaf = { deviceId: chainRef(row.deviceId), start: BigInt(row.startAt / 1000), end: BigInt(row.endAt / 1000), wh: BigInt(row.energyWh) };
      expect(event.args).to.include({ ref: leaf.deviceId, amount: leaf.wh, start: leaf.start, end: leaf.end, evidence: buildEvidenceTree([leaf]).root });
      expect(event.transactionHash).to.equal(row.txHash);
    }
  });

  it("names bundles ProjectID-DateCode-EACID-Sequence-Energy, numbering ids that agree on all but the sequence", async () => {
    const device = await world.createDevice({ externalId: "Byrd-Ranch_7" });
    const account = await world.createAccount();
    const start = world.dayStart + 13 * HOUR_MS;
    const outcome = await mintBundles(deps, { accountId: account.id, origin: "storage", bundles: [...hours(world, device, start, 1, () => 750_000n), ...hours(world, device, start, 1, () => 750_000n), ...hours(world, device, start, 1, () => 5n)] }, now());
    const dateCode = new Date(start).toISOString().slice(0, 10).replaceAll("-", "");
    expect(outcome.bundles.map((bundle) => bundle.id)).to.deep.equal([`ByrdRanch7-${dateCode}-21300-0001-0750000`, `ByrdRanch7-${dateCode}-21300-0002-0750000`, `ByrdRanch7-${dateCode}-21300-0001-0000005`]);
    expect(bundleIdParts({ id: "5b3c0e9a-0000-4000-8000-000000000000", externalId: "--" }, "imported", start).projectId).to.equal("D5B3C0E9A");
    const tokenId = BigInt(bundlesOf(world, [outcome.bundles[0].id])[0].tokenId!);
    expect(Number(tokenId >> 248n)).to.equal(CertificateKind.StorageDischargeCertificate);
  });

  it("splits a long request into vouchers of at most MINT_CERTIFICATES_PER_VOUCHER bundles, all in order", async () => {
    const device = await world.createDevice();
    const account = await world.createAccount();
    const count = MINT_CERTIFICATES_PER_VOUCHER + 3;
    const from = world.dayStart - 10 * 24 * HOUR_MS;
    const outcome = await mintBundles(deps, { accountId: account.id, origin: "production", bundles: hours(world, device, from, count, (h) => BigInt(h + 1)) }, now());
    expect(outcome.batches.map((batch) => [batch.size, batch.state])).to.deep.equal([
      [MINT_CERTIFICATES_PER_VOUCHER, "confirmed"],
      [3, "confirmed"],
    ]);
    const rows = bundlesOf(world, outcome.bundles.map((bundle) => bundle.id));
    expect(rows.every((row) => row.status === "active")).to.equal(true);
    expect(rows.at(-1)!.rangeEnd).to.equal((count * (count + 1)) / 2);
    const total = (await Promise.all(rows.map((row) => world.balanceOf(account.address, row.tokenId!)))).reduce((sum, wh) => sum + wh, 0n);
    expect(total).to.equal(BigInt((count * (count + 1)) / 2));
  });

  it("refuses a (device, hour) already issued, or twice in one request, and writes nothing", async () => {
    const device = await world.createDevice();
    const account = await world.createAccount();
    await mintBundles(deps, { accountId: account.id, origin: "production", bundles: hours(world, device, world.dayStart, 2, () => 10n) }, now());
    const before = tableSnapshot(world.api);

    const again = hours(world, device, world.dayStart + HOUR_MS, 2, () => 10n);
    const error = await mintBundles(deps, { accountId: account.id, origin: "production", bundles: again }, now()).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(MintRejectedError);
    expect((error as MintRejectedError).status).to.equal(409);
    expect((error as MintRejectedError).faults.map((fault) => fault.field)).to.deep.equal(["bundles[0]"]);

    const twice = [...hours(world, device, world.dayStart + 9 * HOUR_MS, 1, () => 1n), ...hours(world, device, world.dayStart + 9 * HOUR_MS, 1, () => 2n)];
    const error2 = await mintBundles(deps, { accountId: account.id, origin: "production", bundles: twice }, now()).catch((e: unknown) => e);
    expect((error2 as MintRejectedError).faults.map((fault) => fault.field)).to.deep.equal(["bundles[1]"]);
    expect(tableSnapshot(world.api)).to.deep.equal(before);
  });

  it("refuses periods not yet over, empty bundles, unknown devices and accounts, and a failing caller record, writing nothing", async () => {
    const device = await world.createDevice();
    const account = await world.createAccount();
    const before = tableSnapshot(world.api);
    const refusal = async (request: Parameters<typeof mintBundles>[1]) => (await mintBundles(deps, request, now()).catch((e: unknown) => e)) as MintRejectedError;

    const future = hours(world, device, Math.floor(now() / HOUR_MS) * HOUR_MS, 1, () => 5n);
    const empty = hours(world, device, world.dayStart, 1, () => 0n);
    const shapes = await refusal({ accountId: account.id, origin: "production", bundles: [...future, ...empty] });
    expect([shapes.status, shapes.faults.map((fault) => fault.field)]).to.deep.equal([400, ["bundles[0].endAt", "bundles[1].energyWh"]]);

    const unknownDevice = await refusal({ accountId: account.id, origin: "production", bundles: hours(world, device, world.dayStart, 1, () => 5n).map((bundle) => ({ ...bundle, deviceId: "6f1c7a52-93de-4c5f-a8a4-0e0a0d0b0c0a" })) });
    expect([unknownDevice.status, unknownDevice.faults[0].field]).to.deep.equal([404, "bundles[0].deviceId"]);
    const unknownAccount = await refusal({ accountId: "nope", origin: "production", bundles: hours(world, device, world.dayStart, 1, () => 5n) });
    expect([unknownAccount.status, unknownAccount.faults[0].field]).to.deep.equal([404, "accountId"]);

    const failing = mintBundles(deps, { accountId: account.id, origin: "production", bundles: hours(world, device, world.dayStart, 1, () => 5n), alongside: () => { throw new Error("caller's record refused"); } }, now());
    await expect(failing).to.be.rejectedWith("caller's record refused");
    expect(tableSnapshot(world.api)).to.deep.equal(before);
  });

  it("refuses bundles that would take a device's certificate ids past MAX_CERTIFICATE_ID (2^53 − 1), naming their energy, writing nothing", async () => {
    const device = await world.createDevice();
    const account = await world.createAccount();
    const before = tableSnapshot(world.api);
    // Each fits on its own; the second would end at certificate id 10^16.
    const huge = hours(world, device, world.dayStart, 2, () => 5_000_000_000_000_000n);
    const error = (await mintBundles(deps, { accountId: account.id, origin: "imported", bundles: huge }, now()).catch((e: unknown) => e)) as MintRejectedError;
    expect(error).to.be.instanceOf(MintRejectedError);
    expect([error.status, error.faults]).to.deep.equal([
      400,
      [{ field: "bundles[1].energyWh", message: `would take the device's certificate ids to 10000000000000000, past ${MAX_CERTIFICATE_ID}, the highest the registry stores exactly` }],
    ]);
    expect(MAX_CERTIFICATE_ID).to.equal(2n ** 53n - 1n);
    expect(tableSnapshot(world.api)).to.deep.equal(before);
  });

  it("imported bundles: a source id is minted once, as an imported GC", async () => {
    const device = await world.createDevice();
    const account = await world.createAccount();
    const bundle = { ...hours(world, device, world.dayStart, 1, () => 42n)[0], sourceRegistry: "Flexidao", sourceId: "FX-1" };
    const outcome = await mintBundles(deps, { accountId: account.id, origin: "imported", bundles: [bundle] }, now());
    const [row] = bundlesOf(world, [outcome.bundles[0].id]);
    expect([row.origin, row.sourceRegistry, row.sourceId, Number(BigInt(row.tokenId!) >> 248n)]).to.deep.equal(["imported", "Flexidao", "FX-1", CertificateKind.ImportedGranularCertificate]);
    const again = await mintBundles(deps, { accountId: account.id, origin: "imported", bundles: [{ ...bundle, startAt: bundle.startAt + HOUR_MS, endAt: bundle.endAt + HOUR_MS }] }, now()).catch((e: unknown) => e);
    expect((again as MintRejectedError).faults[0].field).to.equal("bundles[0].sourceId");
  });

  it("a self-custody account's vouchers are sent by the issuer, and the account receives the tokens", async () => {
    const device = await world.createDevice();
    const account = await world.createAccount({ custody: "self", fund: false });
    const outcome = await mintBundles(deps, { accountId: account.id, origin: "production", bundles: hours(world, device, world.dayStart, 1, () => 9n) }, now());
    const [row] = bundlesOf(world, [outcome.bundles[0].id]);
    expect(await world.balanceOf(account.address, row.tokenId!)).to.equal(9n);
    const tx = await world.api.deps.publicClient.getTransaction({ hash: row.txHash as Hex });
    expect(tx.from.toLowerCase()).to.equal(deps.issuer.address.toLowerCase());
  });

  describe("crashes and refusals by the chain", () => {
    it("a run that died after signing leaves pending bundles that the next run mints", async () => {
      const device = await world.createDevice();
      const account = await world.createAccount();
      const crashing = { ...deps, hooks: { afterSigned: () => { throw new Error("crash after signing"); } } };
      const request = { accountId: account.id, origin: "production" as const, bundles: hours(world, device, world.dayStart, 2, () => 3n) };
      await expect(mintBundles(crashing, request, now())).to.be.rejectedWith("crash after signing");
      const ids = world.api.database.db.select({ id: gcBundles.id }).from(gcBundles).where(eq(gcBundles.deviceId, device)).all().map((row) => row.id);
      expect(bundlesOf(world, ids).map((row) => [row.status, row.tokenId])).to.deep.equal([["pending", null], ["pending", null]]);

      expect(await resumeMints(deps, now())).to.deep.equal({ confirmed: 2, blocked: 0 });
      const rows = bundlesOf(world, ids);
      expect(rows.map((row) => row.status)).to.deep.equal(["active", "active"]);
      for (const row of rows) expect(await world.balanceOf(account.address, row.tokenId!)).to.equal(3n);
    });

    it("a run that died after its transaction was mined is settled from the chain, not sent again", async () => {
      const device = await world.createDevice();
      const account = await world.createAccount();
      const crashing = { ...deps, hooks: { afterSent: () => { throw new Error("crash after sending"); } } };
      await expect(mintBundles(crashing, { accountId: account.id, origin: "production", bundles: hours(world, device, world.dayStart, 2, () => 4n) }, now())).to.be.rejectedWith("crash after sending");
      const [batch] = world.api.database.db.select().from(gcMintBatches).where(eq(gcMintBatches.accountId, account.id)).all();
      expect(batch.state).to.equal("signed");
      const used = await world.api.deps.publicClient.readContract({ address: world.api.deps.registryAddress, abi: REGISTRY_ABI, functionName: "isVoucherUsed", args: [BigInt(batch.nonce!)] });
      expect(used).to.equal(true);

      // The lease of the dead run has to pass first.
      world.api.clock.advance(6 * 60_000);
      const blockBefore = await world.api.deps.publicClient.getBlockNumber();
      expect(await resumeMints(deps, now())).to.deep.equal({ confirmed: 2, blocked: 0 });
      expect(await world.api.deps.publicClient.getBlockNumber()).to.equal(blockBefore);
      const rows = world.api.database.db.select().from(gcBundles).where(eq(gcBundles.deviceId, device)).all();
      for (const row of rows) expect(await world.balanceOf(account.address, row.tokenId!)).to.equal(4n);
    });

    it("a managed account without gas blocks its batch with the reason; the next run after funding mints it", async () => {
      const device = await world.createDevice();
      const account = await world.createAccount({ fund: false });
      const outcome = await mintBundles(deps, { accountId: account.id, origin: "production", bundles: hours(world, device, world.dayStart, 1, () => 11n) }, now());
      expect([outcome.minted, outcome.pending, outcome.batches[0].state]).to.deep.equal([0, 1, "blocked"]);
      expect(outcome.batches[0].lastError).to.equal(`The wallet ${account.address} that sends this account's mints has no gas money: fund it, and the next issuance run sends the voucher.`);
      expect(bundlesOf(world, [outcome.bundles[0].id])[0].status).to.equal("pending");

      await world.api.deps.fundManagedWallet!(account.address);
      expect((await resumeMints(deps, now())).confirmed).to.be.at.least(1);
      const [row] = bundlesOf(world, [outcome.bundles[0].id]);
      expect(row.status).to.equal("active");
      expect(await world.balanceOf(account.address, row.tokenId!)).to.equal(11n);
    });

    it("an expired voucher is voided on chain and the batch signed again with a new nonce", async () => {
      const device = await world.createDevice();
      const account = await world.createAccount();
      const crashing = { ...deps, hooks: { afterSigned: () => { throw new Error("crash after signing"); } } };
      await expect(mintBundles(crashing, { accountId: account.id, origin: "production", bundles: hours(world, device, world.dayStart, 1, () => 12n) }, now())).to.be.rejectedWith("crash");
      const [before] = world.api.database.db.select().from(gcMintBatches).where(eq(gcMintBatches.accountId, account.id)).all();

      await advanceClockAndChain(world.api.clock, 25 * HOUR_MS);
      const resumed = await resumeMints(deps, now());
      const [after] = world.api.database.db.select().from(gcMintBatches).where(eq(gcMintBatches.accountId, account.id)).all();
      expect(after.nonce).to.not.equal(before.nonce);
      expect(after.state, after.lastError ?? "").to.equal("confirmed");
      expect(resumed).to.deep.equal({ confirmed: 1, blocked: 0 });
      const logs = await world.api.deps.publicClient.getContractEvents({ address: world.api.deps.registryAddress, abi: REGISTRY_ABI, eventName: "VoucherInvalidated", args: { nonce: BigInt(before.nonce!) }, fromBlock: 0n });
      expect(logs).to.have.length(1);
      const [item] = world.api.database.db.select().from(gcMintItems).where(eq(gcMintItems.batchId, after.id)).all();
      const [row] = bundlesOf(world, [item.bundleId]);
      expect(await world.balanceOf(account.address, row.tokenId!)).to.equal(12n);
    });

    it("two runs resuming at once mint each batch once", async () => {
      const device = await world.createDevice();
      const account = await world.createAccount();
      const crashing = { ...deps, hooks: { afterSigned: () => { throw new Error("crash after signing"); } } };
      await expect(mintBundles(crashing, { accountId: account.id, origin: "production", bundles: hours(world, device, world.dayStart, 3, () => 2n) }, now())).to.be.rejected;
      const [first, second] = await Promise.all([resumeMints(deps, now()), resumeMints(deps, now())]);
      expect(first.confirmed + second.confirmed).to.equal(3);
      const rows = world.api.database.db.select().from(gcBundles).where(eq(gcBundles.deviceId, device)).all();
      for (const row of rows) expect(await world.balanceOf(account.address, row.tokenId!)).to.equal(2n);
      const receipt = await world.api.deps.publicClient.getTransactionReceipt({ hash: rows[0].txHash as Hex });
      expect(parseEventLogs({ abi: REGISTRY_ABI, logs: receipt.logs, eventName: "VoucherRedeemed" })).to.have.length(1);
    });
  });
});
