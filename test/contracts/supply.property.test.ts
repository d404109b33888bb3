/**
 * Property test of supply conservation. A seeded pseudo-random walk issues (every GC family and
 * D-RECs of a D-REC and of an I-REC reservation, the latter provisional), transfers, claims, retires,
 * splits, revokes and records I-REC serials across several holders, and replays used vouchers. An
 * independent TypeScript model predicts each outcome, including which operations must revert; after
 * every step the touched ids are compared with the chain, and the whole ledger periodically and at the
 * end. Finally the same ledger is rebuilt from the emitted events alone.
 *
 * The seed is printed; replay a run with PROPERTY_SEED=<seed> npx hardhat test <this file>.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import type { ContractTransactionReceipt, ContractTransactionResponse, LogDescription } from "ethers";
import { CertificateKind, DAY, HOUR, RetirementReason, Standard, mintedIds, now, signVoucher, type Voucher } from "../support/registry";
import { Random, readSeed } from "../support/random";
import { ALL_KINDS, KIND_SHIFT, certificate, deployed, freshRef, reserve, voucher, type Account, type Registry } from "../support/fixtures";

const STEPS = 300;
const FULL_CHECK_EVERY = 25;
const SEED = readSeed();

/** The reasons `retireBatch` accepts; the model keeps one retired total per reason, indexed by its value. */
const RETIRE_REASONS = [
  RetirementReason.Claimed,
  RetirementReason.Cancelled,
  RetirementReason.CancelledForStorage,
  RetirementReason.Exported,
] as const;

/** Everything known about one id; `balances` and `claimed` follow the order of the holders. */
interface IdState {
  issued: bigint;
  balances: bigint[];
  claimed: bigint[];
  retired: bigint[];
  splitAway: bigint;
  revoked: boolean;
  /** As `isProvisional`: an I-REC D-REC without serials, not revoked (revocation shares the status slot). */
  provisional: boolean;
  /** `first..last` once recorded. */
  serials: string | null;
}

const sum = (xs: readonly bigint[]) => xs.reduce((a, b) => a + b, 0n);

/** A mutable per-id ledger keyed by holder address, shared by the model and the event rebuild. */
class Ledger {
  readonly ids = new Map<
    bigint,
    { issued: bigint; balances: Map<string, bigint>; claimed: Map<string, bigint>; retired: bigint[]; splitAway: bigint; revoked: boolean; provisional: boolean; serials: string | null }
  >();

  entry(id: bigint) {
    let e = this.ids.get(id);
    if (!e) {
      e = { issued: 0n, balances: new Map(), claimed: new Map(), retired: RETIRE_REASONS.map(() => 0n), splitAway: 0n, revoked: false, provisional: false, serials: null };
      this.ids.set(id, e);
    }
    return e;
  }
  balance(id: bigint, holder: string): bigint {
    return this.ids.get(id)?.balances.get(holder) ?? 0n;
  }
  addBalance(id: bigint, holder: string, delta: bigint): void {
    const balances = this.entry(id).balances;
    const next = (balances.get(holder) ?? 0n) + delta;
    if (next < 0n) throw new Error(`negative balance of ${id} for ${holder}`);
    balances.set(holder, next);
  }
  addClaimed(id: bigint, holder: string, amount: bigint): void {
    const claimed = this.entry(id).claimed;
    claimed.set(holder, (claimed.get(holder) ?? 0n) + amount);
  }
  revoke(id: bigint): void {
    const e = this.entry(id);
    e.revoked = true;
    e.provisional = false;
  }
  recordSerials(id: bigint, first: string, last: string): void {
    const e = this.entry(id);
    e.provisional = false;
    e.serials = `${first}..${last}`;
  }
  state(id: bigint, holders: readonly string[]): IdState {
    const e = this.entry(id);
    return {
      issued: e.issued,
      balances: holders.map((h) => e.balances.get(h) ?? 0n),
      claimed: holders.map((h) => e.claimed.get(h) ?? 0n),
      retired: [...e.retired],
      splitAway: e.splitAway,
      revoked: e.revoked,
      provisional: e.provisional,
      serials: e.serials,
    };
  }
  /** Addresses outside `holders` with a non-zero balance or claim. */
  strangers(holders: readonly string[]): string[] {
    const out: string[] = [];
    for (const e of this.ids.values()) {
      for (const [a, v] of [...e.balances, ...e.claimed]) if (v !== 0n && !holders.includes(a)) out.push(a);
    }
    return out;
  }
}

/** The independent model: what the registry must hold after each operation, and which must fail. */
class SupplyModel extends Ledger {
  mint(id: bigint, holder: string, amount: bigint, provisional = false): void {
    expect(this.ids.has(id), `id ${id} minted twice`).to.equal(false);
    this.entry(id).issued = amount;
    this.entry(id).provisional = provisional;
    this.addBalance(id, holder, amount);
  }
  transfer(from: string, to: string, ids: bigint[], amounts: bigint[]): void {
    ids.forEach((id, i) => {
      this.addBalance(id, from, -amounts[i]);
      this.addBalance(id, to, amounts[i]);
    });
  }
  retire(holder: string, ids: bigint[], amounts: bigint[], reason: number): void {
    ids.forEach((id, i) => {
      this.addBalance(id, holder, -amounts[i]);
      this.entry(id).retired[reason] += amounts[i];
      if (reason === RetirementReason.Claimed) this.addClaimed(id, holder, amounts[i]);
    });
  }
  split(holder: string, parent: bigint, childIds: bigint[], amounts: bigint[]): void {
    const total = sum(amounts);
    this.addBalance(parent, holder, -total);
    this.entry(parent).splitAway += total;
    childIds.forEach((child, i) => this.mint(child, holder, amounts[i]));
  }
  /** The error the registry must raise when `holder` moves `amounts` of distinct `ids` out, if any. */
  expectedMoveError(holder: string, ids: bigint[], amounts: bigint[]): [string, unknown[]] | undefined {
    // The registry checks each id's status in order, before any balance.
    const frozen = ids.find((id) => this.entry(id).revoked || this.entry(id).provisional);
    if (frozen !== undefined) return [this.entry(frozen).revoked ? "CertificateIsRevoked" : "CertificateIsProvisional", [frozen]];
    const i = ids.findIndex((id, j) => this.balance(id, holder) < amounts[j]);
    if (i >= 0) return ["ERC1155InsufficientBalance", [holder, this.balance(ids[i], holder), amounts[i], ids[i]]];
    return undefined;
  }
}

/** Rebuilds the ledger from the registry's logs alone, as an indexer would. */
async function ledgerFromEvents(registry: Registry) {
  const ledger = new Ledger();
  const irecReservations = new Set<string>();
  const minted = new Map<bigint, bigint>();
  const burned = new Map<bigint, bigint>();
  const bump = (m: Map<bigint, bigint>, id: bigint, v: bigint) => m.set(id, (m.get(id) ?? 0n) + v);
  const moved = (from: string, to: string, id: bigint, value: bigint) => {
    if (from === ethers.ZeroAddress) bump(minted, id, value);
    else ledger.addBalance(id, from, -value);
    if (to === ethers.ZeroAddress) bump(burned, id, value);
    else ledger.addBalance(id, to, value);
  };
  const logs = await ethers.provider.getLogs({ address: await registry.getAddress(), fromBlock: 0, toBlock: "latest" });
  for (const log of logs) {
    const e = registry.interface.parseLog(log);
    if (!e) continue;
    const a = e.args;
    switch (e.name) {
      case "ReservationCreated":
        if (Number(a.standard) === Standard.IRec) irecReservations.add(a.reservationId);
        break;
      case "CertificateIssued":
        ledger.entry(a.id).issued += a.amount;
        ledger.entry(a.id).provisional = a.id >> KIND_SHIFT === BigInt(CertificateKind.DRec) && irecReservations.has(a.ref);
        break;
      case "StandardSerialsRecorded":
        ledger.recordSerials(a.id, a.firstSerial, a.lastSerial);
        break;
      case "Split":
        (a.childIds as bigint[]).forEach((child, i) => (ledger.entry(child).issued += a.amounts[i]));
        ledger.entry(a.parentId).splitAway += sum([...a.amounts]);
        break;
      case "Retired":
        ledger.entry(a.id).retired[Number(a.reason)] += a.amount;
        if (Number(a.reason) === RetirementReason.Claimed) ledger.addClaimed(a.id, a.holder, a.amount);
        break;
      case "CertificateRevoked":
        ledger.revoke(a.id);
        break;
      case "TransferSingle":
        moved(a.from, a.to, a.id, a.value);
        break;
      case "TransferBatch":
        // Positional: on an ethers Result, `.values` is the Array method, not the event field.
        (a[3] as bigint[]).forEach((id, i) => moved(a.from, a.to, id, a[4][i]));
        break;
    }
  }
  return { ledger, minted, burned };
}

describe("supply property", () => {
  it(`conserves supply per id over ${STEPS} random steps (seed ${SEED}; set PROPERTY_SEED to replay)`, async () => {
    console.log(`      supply property: PROPERTY_SEED=${SEED}`);
    const d = await deployed();
    const { registry, issuer, buyer } = d;
    const holders: Account[] = [d.developer, d.buyer, d.other, d.rest[0]];
    const holderAddresses = holders.map((h) => h.address);
    const rng = new Random(SEED);
    const model = new SupplyModel();
    const used: { voucher: Voucher; signature: string }[] = [];
    const devices = Array.from({ length: 4 }, () => freshRef("device"));
    const t0 = await now();
    const reservationParams = { buyer, start: t0 - 400n * DAY, end: t0 + 400n * DAY, targetWh: 1n, canExceedTarget: true };
    const reservations = [await reserve(d, reservationParams), await reserve(d, { ...reservationParams, standard: Standard.IRec })];
    const irecReservation = reservations[1].id;
    let periods = 0n;
    const counts: Record<string, number> = {};

    // ------------------------------------------------------------ checks

    async function checkIds(ids: Iterable<bigint>): Promise<void> {
      const list = [...new Set(ids)];
      if (list.length === 0) return;
      const balances = await registry.balanceOfBatch(
        list.flatMap(() => holderAddresses),
        list.flatMap((id) => holderAddresses.map(() => id)),
      );
      for (const [k, id] of list.entries()) {
        const m = model.state(id, holderAddresses);
        const held = balances.slice(k * holders.length, (k + 1) * holders.length);
        const claimed = await Promise.all(holders.map((h) => registry.claimedBalanceOf(h, id)));
        expect(held, `balances of ${id}`).to.deep.equal(m.balances);
        expect(claimed, `claimed of ${id}`).to.deep.equal(m.claimed);
        expect(await registry.isRevoked(id), `revocation of ${id}`).to.equal(m.revoked);
        expect(await registry.isProvisional(id), `provisional status of ${id}`).to.equal(m.provisional);
        const [claimedTotal, ...otherRetirements] = m.retired;
        expect(claimedTotal, `claimed ledger of ${id}`).to.equal(sum(claimed));
        expect(m.issued, `supply identity of ${id}`).to.equal(sum(held) + sum(claimed) + sum(otherRetirements) + m.splitAway);
      }
    }

    // ------------------------------------------------------------ helpers

    function newVoucher(): Voucher {
      const kind = rng.pick(ALL_KINDS);
      const isDRec = kind === CertificateKind.DRec;
      const recipient = isDRec ? buyer : rng.pick(holders);
      const ref = isDRec ? rng.pick(reservations).id : rng.pick(devices);
      const certificates = Array.from({ length: rng.int(1, 3) }, () => {
        const start = t0 - 300n * DAY + periods++ * HOUR;
        return certificate(ref, start, start + HOUR, rng.bigint(1n, 5_000n));
      });
      return voucher(recipient, kind, certificates);
    }

    /**
     * Up to `n` distinct ids `holder` holds; now and then one of them is any known id, held or not, or one
     * still provisional (few are, and they sit with the buyer, so chance alone would seldom move one).
     */
    function pickIds(holder: Account, n: number): bigint[] {
      const known = [...model.ids.keys()];
      const ids = rng.sample(known.filter((id) => model.balance(id, holder.address) > 0n), n);
      const provisional = known.filter((id) => model.entry(id).provisional);
      let extra: bigint | undefined;
      if (rng.chance(0.1) && known.length > 0) extra = rng.pick(known);
      else if (rng.chance(0.1) && provisional.length > 0) extra = rng.pick(provisional);
      if (extra === undefined || ids.includes(extra)) return ids;
      if (ids.length === n) ids[n - 1] = extra;
      else ids.push(extra);
      return ids;
    }

    /** Usually at most the balance, sometimes more. */
    function amountFor(holder: Account, id: bigint): bigint {
      const balance = model.balance(id, holder.address);
      return balance > 0n && rng.chance(0.85) ? rng.bigint(1n, balance) : balance + rng.bigint(1n, 100n);
    }

    /** Waits for `call`; when the model predicts an error, asserts exactly that revert instead. */
    async function settle(
      call: Promise<ContractTransactionResponse>,
      expected: [string, unknown[]] | undefined,
    ): Promise<ContractTransactionReceipt | undefined> {
      if (expected) {
        await expect(call).to.be.revertedWithCustomError(registry, expected[0]).withArgs(...expected[1]);
        counts[`refused: ${expected[0]}`] = (counts[`refused: ${expected[0]}`] ?? 0) + 1;
        return undefined;
      }
      return (await (await call).wait())!;
    }

    function parsed(receipt: ContractTransactionReceipt, name: string): LogDescription[] {
      return receipt.logs
        .map((log) => registry.interface.parseLog(log))
        .filter((e): e is LogDescription => e !== null && e.name === name);
    }

    // ------------------------------------------------------------ actions; each returns the ids it touched

    async function issue(batch: boolean): Promise<bigint[]> {
      const vouchers = batch ? [newVoucher(), newVoucher()] : [newVoucher()];
      const signatures = await Promise.all(vouchers.map((v) => signVoucher(registry, issuer, v)));
      const submitter = rng.pick(holders);
      const receipt = (await settle(
        batch ? registry.connect(submitter).issueBatch(vouchers, signatures) : registry.connect(submitter).issue(vouchers[0], signatures[0]),
        undefined,
      ))!;
      const ids = mintedIds(registry, receipt);
      const redeemed = parsed(receipt, "VoucherRedeemed").map((e) => [...e.args]);
      let offset = 0;
      for (const [i, v] of vouchers.entries()) {
        const mine = ids.slice(offset, offset + v.certificates.length);
        offset += v.certificates.length;
        expect(redeemed[i]).to.deep.equal([v.nonce, v.recipient, mine[0], BigInt(mine.length)]);
        mine.forEach((id, j) => {
          expect(id).to.equal(mine[0] + BigInt(j));
          expect(id >> KIND_SHIFT).to.equal(BigInt(v.kind));
          model.mint(id, v.recipient, v.certificates[j].amount, v.kind === CertificateKind.DRec && v.certificates[j].ref === irecReservation);
        });
        used.push({ voucher: v, signature: signatures[i] });
      }
      expect(offset).to.equal(ids.length);
      return ids;
    }

    async function transfer(): Promise<bigint[]> {
      const from = rng.pick(holders);
      const to = rng.pick(holders.filter((h) => h !== from));
      const ids = pickIds(from, rng.int(1, 3));
      if (ids.length === 0) return issue(false);
      const amounts = ids.map((id) => amountFor(from, id));
      const single = ids.length === 1 && rng.chance(0.5);
      const call = single
        ? registry.connect(from).safeTransferFrom(from, to, ids[0], amounts[0], "0x")
        : registry.connect(from).safeBatchTransferFrom(from, to, ids, amounts, "0x");
      if (await settle(call, model.expectedMoveError(from.address, ids, amounts))) model.transfer(from.address, to.address, ids, amounts);
      return ids;
    }

    async function retire(claim: boolean): Promise<bigint[]> {
      const holder = rng.pick(holders);
      const ids = pickIds(holder, claim ? 1 : rng.int(1, 2));
      if (ids.length === 0) return issue(false);
      const amounts = ids.map((id) => amountFor(holder, id));
      const reason = claim ? RetirementReason.Claimed : rng.pick(RETIRE_REASONS);
      const details = ethers.id(`details ${rng.next()}`);
      const call = claim
        ? registry.connect(holder).claim(holder, ids[0], amounts[0], "Beneficiary", details)
        : registry.connect(holder).retireBatch(holder, ids, amounts, reason, "Beneficiary", details);
      if (await settle(call, model.expectedMoveError(holder.address, ids, amounts))) model.retire(holder.address, ids, amounts, reason);
      return ids;
    }

    async function split(): Promise<bigint[]> {
      const holder = rng.pick(holders);
      const [parent] = pickIds(holder, 1);
      if (parent === undefined) return issue(false);
      const total = amountFor(holder, parent);
      const parts = Number(total < 3n ? total : BigInt(rng.int(1, 3)));
      const cuts = [...new Set(Array.from({ length: parts - 1 }, () => rng.bigint(1n, total - 1n)))].sort((a, b) => (a < b ? -1 : 1));
      const amounts = [...cuts, total].map((cut, i, all) => cut - (i === 0 ? 0n : all[i - 1]));
      expect(sum(amounts)).to.equal(total);
      const receipt = await settle(registry.connect(holder).split(holder, parent, amounts), model.expectedMoveError(holder.address, [parent], [total]));
      if (!receipt) return [parent];
      const [event] = parsed(receipt, "Split");
      const childIds = [...event.args.childIds] as bigint[];
      expect([event.args.parentId, event.args.holder, [...event.args.amounts]]).to.deep.equal([parent, holder.address, amounts]);
      for (const child of childIds) expect(child >> KIND_SHIFT).to.equal(parent >> KIND_SHIFT);
      model.split(holder.address, parent, childIds, amounts);
      return [parent, ...childIds];
    }

    async function revoke(): Promise<bigint[]> {
      if (model.ids.size === 0) return issue(false);
      // Mostly ids someone still holds, so later steps run into the revocation.
      const all = [...model.ids.keys()];
      const held = all.filter((x) => holderAddresses.some((h) => model.balance(x, h) > 0n));
      const id = rng.pick(held.length > 0 && rng.chance(0.8) ? held : all);
      const expected: [string, unknown[]] | undefined = model.entry(id).revoked ? ["CertificateAlreadyRevoked", [id]] : undefined;
      if (await settle(registry.connect(d.admin).revoke(id, ethers.id(`revocation ${id}`)), expected)) model.revoke(id);
      return [id];
    }

    async function recordSerials(): Promise<bigint[]> {
      if (model.ids.size === 0) return issue(false);
      // Mostly ids still provisional; now and then any id, or an empty serial.
      const all = [...model.ids.keys()];
      const provisional = all.filter((x) => model.entry(x).provisional);
      const id = rng.pick(provisional.length > 0 && rng.chance(0.8) ? provisional : all);
      const [first, last] = rng.chance(0.1) ? ["", `IREC-${id}-last`] : [`IREC-${id}-first`, `IREC-${id}-last`];
      let expected: [string, unknown[]] | undefined;
      if (!model.entry(id).provisional) expected = ["CertificateNotProvisional", [id]];
      else if (first === "") expected = ["EmptySerial", []];
      if (await settle(registry.connect(issuer).recordStandardSerials(id, first, last), expected)) model.recordSerials(id, first, last);
      return [id];
    }

    async function replay(): Promise<bigint[]> {
      if (used.length === 0) return issue(false);
      const { voucher: v, signature } = rng.pick(used);
      await settle(registry.connect(rng.pick(holders)).issue(v, signature), ["VoucherAlreadyUsed", [v.nonce]]);
      return [];
    }

    const actions: [string, number, () => Promise<bigint[]>][] = [
      ["issue", 16, () => issue(false)],
      ["issueBatch", 4, () => issue(true)],
      ["transfer", 26, transfer],
      ["claim", 14, () => retire(true)],
      ["retireBatch", 12, () => retire(false)],
      ["split", 16, split],
      ["revoke", 5, revoke],
      ["recordSerials", 5, recordSerials],
      ["replay", 7, replay],
    ];
    const totalWeight = sum(actions.map(([, w]) => BigInt(w)));

    // ------------------------------------------------------------ the walk

    const trace: string[] = [];
    for (let step = 1; step <= STEPS; step++) {
      let roll = rng.bigint(1n, totalWeight);
      const [name, , run] = actions.find(([, w]) => (roll -= BigInt(w)) <= 0n)!;
      trace.push(name);
      try {
        await checkIds(await run());
        if (step % FULL_CHECK_EVERY === 0) await checkIds(model.ids.keys());
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(`PROPERTY_SEED=${SEED}, step ${step} (${name}); last steps: ${trace.slice(-10).join(", ")}\n${message}`);
      }
      counts[name] = (counts[name] ?? 0) + 1;
    }
    await checkIds(model.ids.keys());
    console.log(`      ${model.ids.size} ids; steps: ${JSON.stringify(counts)}`);
    // The walk must have exercised every operation and the predicted failures, or it proves little.
    for (const name of [...actions.map(([n]) => n), "refused: CertificateIsRevoked", "refused: CertificateIsProvisional", "refused: ERC1155InsufficientBalance"]) {
      expect(counts[name] ?? 0, `${name} never happened with seed ${SEED}`).to.be.greaterThan(0);
    }

    // ------------------------------------------------------------ events alone rebuild the same ledger

    const { ledger, minted, burned } = await ledgerFromEvents(registry);
    expect(ledger.strangers(holderAddresses)).to.deep.equal([]);
    expect([...ledger.ids.keys()].sort()).to.deep.equal([...model.ids.keys()].sort());
    for (const id of model.ids.keys()) {
      const fromEvents = ledger.state(id, holderAddresses);
      expect(fromEvents, `events of ${id}`).to.deep.equal(model.state(id, holderAddresses));
      expect(minted.get(id) ?? 0n, `mints of ${id}`).to.equal(fromEvents.issued);
      expect(burned.get(id) ?? 0n, `burns of ${id}`).to.equal(sum(fromEvents.retired) + fromEvents.splitAway);
      expect(fromEvents.issued).to.equal(sum(fromEvents.balances) + sum(fromEvents.retired) + fromEvents.splitAway);
    }

    // ------------------------------------------------------------ every voucher ever used stays used

    for (const { voucher: v, signature } of used) {
      await expect(registry.issue(v, signature)).to.be.revertedWithCustomError(registry, "VoucherAlreadyUsed").withArgs(v.nonce);
    }
  });
});
