import { expect } from "chai";
import { eq } from "drizzle-orm";
import { keccak256, parseAbi, parseEventLogs, stringToHex, type Hex } from "viem";
import { completePendingRedemptions } from "../../server/certificates/claims";
import { certificateClaims } from "../../server/certificates/schema";
import { RegistryRevertError, sendRegistryTransaction } from "../../server/chain/sendTransaction";
import { IRecRegistryError, type IRecRegistry } from "../../server/issuance/irec/registry";
import { irecSimulatedIssuances, irecSimulatedRedemptions } from "../../server/issuance/irec/schema";
import { REDEEMED_ELSEWHERE, simulatedIRecRegistry } from "../../server/issuance/irec/simulated";
import { issuanceJobs } from "../../server/issuance/schema";
import { managedWalletAccount } from "../../server/wallets/managed";
import { tableSnapshot } from "../support/api";
import { issuanceWorld, type IssuanceWorld } from "../support/issuance";
import { managedWallet, onChain, syncIndexer, transfer } from "./support";

/** The simulated I-REC registry behind a switch, so a test can keep certificates provisional or make the registry refuse. */
class GatedIRecRegistry implements IRecRegistry {
  inner?: IRecRegistry;
  issuing = false;
  redeeming = true;
  cancelling = true;
  requestIssuance: IRecRegistry["requestIssuance"] = (request) => (this.issuing ? this.inner!.requestIssuance(request) : Promise.reject(new IRecRegistryError("I-REC registry closed for issuance")));
  redeem: IRecRegistry["redeem"] = (request) => (this.redeeming ? this.inner!.redeem(request) : Promise.reject(new IRecRegistryError("I-REC registry closed for redemption")));
  cancelRedeemedElsewhere: IRecRegistry["cancelRedeemedElsewhere"] = (request) =>
    this.cancelling ? this.inner!.cancelRedeemedElsewhere(request) : Promise.reject(new IRecRegistryError("I-REC registry closed for cancellation"));
}

const RETIRED = parseAbi(["event Retired(address indexed holder, uint256 indexed id, uint8 indexed reason, uint256 amount, string beneficiary, bytes32 detailsHash)"]);

type Item = { id: string; status: string; irec: { firstSerial: string | null; lastSerial: string | null; serialsTxHash: string | null } | null };
type Claim = {
  id: string;
  state: string;
  amountWh: string;
  redeemAs: string;
  details: Record<string, unknown>;
  canonicalDetails: string;
  txHash: Hex;
  irec: { firstSerial: string; lastSerial: string; redemptionId: string } | null;
  error: string | null;
};

describe("certificates: I-REC reservations (provisional, serials, redemption as I-REC or D-REC)", function () {
  this.timeout(180_000);
  const irec = new GatedIRecRegistry();
  let world: IssuanceWorld;
  let certificate: string;
  let managed: Hex;

  const get = async <T>(path: string, token?: string) => {
    const response = await world.api.request("GET", path, { token: token ?? world.buyer.token });
    return { status: response.status, body: (await response.json()) as T };
  };
  const claim = async (body: Record<string, unknown>) => {
    const response = await world.api.request("POST", `/certificates/${certificate}/claim`, { token: world.buyer.token, body: { beneficiary: "Acme Ltd", purpose: "Scope 2", ...body } });
    return { status: response.status, body: (await response.json()) as Claim & { title: string; errors?: { field: string }[] } };
  };
  const serial = (n: number) => `SIM-KE-${String(n).padStart(12, "0")}`;
  /** Wh of the certificate the (simulated) I-REC registry has redeemed so far. */
  const redeemedWh = () => world.api.database.db.select().from(irecSimulatedIssuances).where(eq(irecSimulatedIssuances.certificateId, certificate)).get()!.redeemedWh;
  const claimRow = (id: string) => world.api.database.db.select().from(certificateClaims).where(eq(certificateClaims.id, id)).get()!;
  const claimIds = () => world.api.database.db.select({ id: certificateClaims.id }).from(certificateClaims).all().map((row) => row.id);

  before(async () => {
    world = await issuanceWorld({ standard: "I-REC", days: 1, devicesPerDeveloper: 1, hourlyWh: 1_000, overrides: { irec } });
    irec.inner = simulatedIRecRegistry(world.api.database.db, world.api.clock.now);
    // Minted, but the I-REC registry does not answer yet: the run records no serials, the certificate stays provisional.
    expect(await world.run()).to.include({ confirmed: 1, irecSerialsRecorded: 0 });
    const job = world.api.database.db.select().from(issuanceJobs).where(eq(issuanceJobs.reservationId, world.reservationId)).get()!;
    expect([job.state, job.standardState]).to.deep.equal(["confirmed", "provisional"]);
    expect(job.lastError).to.include("I-REC registry closed for issuance");
    certificate = job.certificateId!;
    managed = await managedWallet(world.api, world.buyer);
    await syncIndexer(world.api);
  });
  after(() => world.api.close());

  it("shows a provisional certificate as such, in the views and the metadata", async () => {
    const { body } = await get<{ items: Item[] }>("/certificates");
    expect(body.items.map((item) => [item.id, item.status, item.irec])).to.deep.equal([[certificate, "provisional", { firstSerial: null, lastSerial: null, serialsTxHash: null }]]);
    const metadata = await get<{ properties: Record<string, unknown> }>(`/metadata/${certificate}`);
    expect(metadata.body.properties).to.deep.include({ isStandardIssuanceRequested: true, isStandardIssued: false, standardSerials: null });
  });

  it("refuses to claim a provisional certificate with 409, from a managed or a self-custody wallet, writing nothing", async () => {
    const before = tableSnapshot(world.api);
    const managedClaim = await claim({ amountWh: "1", redeemAs: "D-REC" });
    expect([managedClaim.status, managedClaim.body.title]).to.deep.equal([409, "Certificate is provisional"]);
    const response = await world.api.request("POST", `/certificates/${certificate}/claim-details`, {
      token: world.buyer.token,
      body: { holder: world.buyerWallet, amountWh: "1", beneficiary: "B", purpose: "P" },
    });
    expect([response.status, ((await response.json()) as { title: string }).title]).to.deep.equal([409, "Certificate is provisional"]);
    expect(tableSnapshot(world.api)).to.deep.equal(before);
    // The chain refuses to move it too.
    try {
      await transfer(world.api, world.buyerKey, managed, certificate, 1n);
      expect.fail("a provisional certificate moved");
    } catch (error) {
      expect(error).to.be.instanceOf(RegistryRevertError);
      expect((error as RegistryRevertError).errorName).to.equal("CertificateIsProvisional");
    }
  });

  it("shows the serial range once the I-REC registry issued it", async () => {
    irec.issuing = true;
    expect(await world.run()).to.include({ irecSerialsRecorded: 1 });
    const job = world.api.database.db.select().from(issuanceJobs).where(eq(issuanceJobs.certificateId, certificate)).get()!;
    const { body } = await get<Item>(`/certificates/${certificate}`);
    expect(body.status).to.equal("irec-issued");
    expect(body.irec).to.deep.equal({ firstSerial: serial(1), lastSerial: serial(24_000), serialsTxHash: job.standardTxHash });
    const metadata = await get<{ properties: Record<string, unknown> }>(`/metadata/${certificate}`);
    expect(metadata.body.properties).to.deep.include({
      isStandardIssued: true,
      standardSerials: { firstSerial: serial(1), lastSerial: serial(24_000), transactionHash: job.standardTxHash },
    });
  });

  it("redeems as I-REC: the chain burns exactly the amount, then the I-REC registry redeems the next serials under the claim's id", async () => {
    await transfer(world.api, world.buyerKey, managed, certificate, 10_000n);
    const before = await onChain(world.api, managed, certificate);
    const first = await claim({ amountWh: "3000", redeemAs: "I-REC" });
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    expect(first.body).to.deep.include({ state: "confirmed", amountWh: "3000", redeemAs: "I-REC", error: null });
    expect(first.body.irec).to.deep.equal({ redemptionId: first.body.id, firstSerial: serial(1), lastSerial: serial(3_000) });
    // The hashed details are the claim's own, fixed before the burn: the serials are published beside them.
    expect(first.body.details).to.deep.include({ claimId: first.body.id, redeemAs: "I-REC", amountWh: "3000" });
    expect(first.body.details).to.not.have.property("irec");
    const second = await claim({ amountWh: "2000", redeemAs: "I-REC" });
    expect(second.body.irec).to.deep.include({ firstSerial: serial(3_001), lastSerial: serial(5_000) });

    const redemptions = world.api.database.db.select().from(irecSimulatedRedemptions).where(eq(irecSimulatedRedemptions.certificateId, certificate)).all();
    expect(redemptions.map((r) => [r.id, r.amountWh, r.beneficiary]).sort()).to.deep.equal(
      [
        [first.body.id, 3_000, "Acme Ltd"],
        [second.body.id, 2_000, "Acme Ltd"],
      ].sort(),
    );
    const after = await onChain(world.api, managed, certificate);
    expect([before.balance - after.balance, after.claimed - before.claimed]).to.deep.equal([5_000n, 5_000n]);
    // The chain's Retired event carries the hash of exactly the published details.
    const receipt = await world.api.deps.publicClient.getTransactionReceipt({ hash: first.body.txHash });
    const [retired] = parseEventLogs({ abi: RETIRED, logs: receipt.logs });
    expect([retired.args.amount, retired.args.detailsHash]).to.deep.equal([3_000n, keccak256(stringToHex(first.body.canonicalDetails))]);
  });

  it("redeems as D-REC when the buyer chooses, cancelling the same Wh's next serials at the I-REC registry as redeemed elsewhere", async () => {
    const redeemedBefore = redeemedWh();
    const before = await onChain(world.api, managed, certificate);
    const response = await claim({ amountWh: "1000", redeemAs: "D-REC" });
    expect(response.status).to.equal(201);
    expect(response.body).to.deep.include({ state: "confirmed", redeemAs: "D-REC", error: null });
    expect(response.body.irec).to.deep.equal({ redemptionId: response.body.id, firstSerial: serial(5_001), lastSerial: serial(6_000) });
    const after = await onChain(world.api, managed, certificate);
    expect([before.balance - after.balance, after.claimed - before.claimed]).to.deep.equal([1_000n, 1_000n]);
    // Those Wh are no longer live in the I-REC registry: cancelled there, with the reason and the beneficiary.
    expect(redeemedWh()).to.equal(redeemedBefore + 1_000);
    const cancelled = world.api.database.db.select().from(irecSimulatedRedemptions).where(eq(irecSimulatedRedemptions.id, response.body.id)).get()!;
    expect([cancelled.amountWh, cancelled.beneficiary]).to.deep.equal([1_000, `${REDEEMED_ELSEWHERE} for Acme Ltd`]);
    // The claim's key is the cancellation's: a redemption under it is refused, not counted twice.
    try {
      await irec.inner!.redeem({ redemptionKey: response.body.id, certificateId: certificate, amountWh: 1_000n, beneficiary: "Acme Ltd" });
      expect.fail("a cancellation's key redeemed");
    } catch (error) {
      expect(error).to.be.instanceOf(IRecRegistryError);
    }
    expect(redeemedWh()).to.equal(redeemedBefore + 1_000);
  });

  it("keeps a D-REC claim whose I-REC cancellation failed redemption-pending, not confirmed, and the next run cancels it once", async () => {
    irec.cancelling = false;
    const redeemedBefore = redeemedWh();
    const chainBefore = await onChain(world.api, managed, certificate);
    const owed = await claim({ amountWh: "20", redeemAs: "D-REC" });
    expect(owed.status, JSON.stringify(owed.body)).to.equal(201);
    expect([owed.body.state, owed.body.irec]).to.deep.equal(["redemption-pending", null]);
    expect(owed.body.error).to.equal("I-REC cancellation not done yet: I-REC registry closed for cancellation");
    const chainAfter = await onChain(world.api, managed, certificate);
    expect(chainAfter.claimed - chainBefore.claimed).to.equal(20n);
    expect(redeemedWh()).to.equal(redeemedBefore);
    expect(await completePendingRedemptions({ db: world.api.database.db, irec, clock: world.api.clock.now })).to.deep.equal({ completed: 0, pending: 1 });

    irec.cancelling = true;
    await world.run();
    const done = claimRow(owed.body.id);
    expect([done.state, done.error, done.irecRedemptionId]).to.deep.equal(["confirmed", null, owed.body.id]);
    expect(redeemedWh()).to.equal(redeemedBefore + 20);
    await world.run();
    expect(redeemedWh()).to.equal(redeemedBefore + 20);
    const { body } = await get<{ claims: Claim[] }>(`/certificates/${certificate}`);
    expect(body.claims.find((c) => c.id === owed.body.id)).to.deep.include({
      state: "confirmed",
      irec: { redemptionId: owed.body.id, firstSerial: done.irecFirstSerial, lastSerial: done.irecLastSerial },
    });
  });

  it("keeps a claim the chain burned but the I-REC registry did not redeem as redemption-pending, and the next issuance run redeems it once", async () => {
    irec.redeeming = false;
    const redeemedBefore = redeemedWh();
    const chainBefore = await onChain(world.api, managed, certificate);
    const owed = await claim({ amountWh: "10", redeemAs: "I-REC" });
    expect(owed.status, JSON.stringify(owed.body)).to.equal(201);
    expect([owed.body.state, owed.body.irec]).to.deep.equal(["redemption-pending", null]);
    expect(owed.body.error).to.include("I-REC registry closed for redemption");
    const chainAfter = await onChain(world.api, managed, certificate);
    expect([chainBefore.balance - chainAfter.balance, chainAfter.claimed - chainBefore.claimed]).to.deep.equal([10n, 10n]);
    expect(redeemedWh()).to.equal(redeemedBefore);

    // Still closed: a retry leaves it waiting.
    expect(await completePendingRedemptions({ db: world.api.database.db, irec, clock: world.api.clock.now })).to.deep.equal({ completed: 0, pending: 1 });
    expect(claimRow(owed.body.id).state).to.equal("redemption-pending");

    irec.redeeming = true;
    await world.run();
    const done = claimRow(owed.body.id);
    expect([done.state, done.error, done.irecRedemptionId]).to.deep.equal(["confirmed", null, owed.body.id]);
    expect(redeemedWh()).to.equal(redeemedBefore + 10);
    const { body } = await get<{ claims: Claim[] }>(`/certificates/${certificate}`);
    expect(body.claims.find((c) => c.id === owed.body.id)!.irec).to.deep.equal({ redemptionId: owed.body.id, firstSerial: done.irecFirstSerial, lastSerial: done.irecLastSerial });

    // A retry with the same key (a second run, or a registry answer that got lost) redeems nothing more.
    await world.run();
    const again = await irec.inner!.redeem({ redemptionKey: owed.body.id, certificateId: certificate, amountWh: 10n, beneficiary: "Acme Ltd" });
    expect(again).to.deep.equal({ redemptionId: owed.body.id, firstSerial: done.irecFirstSerial, lastSerial: done.irecLastSerial });
    expect(redeemedWh()).to.equal(redeemedBefore + 10);
    try {
      await irec.inner!.redeem({ redemptionKey: owed.body.id, certificateId: certificate, amountWh: 11n, beneficiary: "Acme Ltd" });
      expect.fail("a redemption key was reused for another amount");
    } catch (error) {
      expect(error).to.be.instanceOf(IRecRegistryError);
    }
  });

  it("refuses a claim the chain refuses (here: the registry is paused) with 409, redeeming nothing at the I-REC registry and storing nothing", async () => {
    const admin = world.api.chain.clients.wallet(world.api.chain.keys.admin);
    const pausing = async (functionName: "pause" | "unpause") => {
      const hash = await admin.writeContract({ address: world.api.chain.address, abi: parseAbi(["function pause()", "function unpause()"]), functionName });
      await world.api.deps.publicClient.waitForTransactionReceipt({ hash });
    };
    const redeemedBefore = redeemedWh();
    const chainBefore = await onChain(world.api, managed, certificate);
    await pausing("pause");
    try {
      const before = tableSnapshot(world.api);
      for (const redeemAs of ["D-REC", "I-REC"]) {
        const refused = await claim({ amountWh: "10", redeemAs });
        expect([refused.status, refused.body.title], redeemAs).to.deep.equal([409, "Registry paused"]);
      }
      expect(tableSnapshot(world.api)).to.deep.equal(before);
      expect(await onChain(world.api, managed, certificate)).to.deep.equal(chainBefore);
    } finally {
      await pausing("unpause");
    }
    // The same 10 Wh claimed again as D-REC once unpaused: retired once on chain, and cancelled once at the I-REC registry.
    expect((await claim({ amountWh: "10", redeemAs: "D-REC" })).status).to.equal(201);
    const chainAfter = await onChain(world.api, managed, certificate);
    expect([chainBefore.balance - chainAfter.balance, chainAfter.claimed - chainBefore.claimed]).to.deep.equal([10n, 10n]);
    expect(redeemedWh()).to.equal(redeemedBefore + 10);
  });

  it("lets only one of two concurrent claims (D-REC 600 and I-REC 600 of 1,000 Wh) through: nothing is claimed or redeemed beyond the balance", async () => {
    // Leave the managed wallet exactly 1,000 Wh.
    const account = managedWalletAccount(world.api.deps, world.buyer.organisationId)!;
    const excess = (await onChain(world.api, managed, certificate)).balance - 1_000n;
    await sendRegistryTransaction(world.api.deps, account, "safeTransferFrom", [managed, world.buyerWallet, BigInt(certificate), excess, "0x"]);
    const chainBefore = await onChain(world.api, managed, certificate);
    expect(chainBefore.balance).to.equal(1_000n);
    const redeemedBefore = redeemedWh();
    const claimsBefore = claimIds();

    const answers = await Promise.all([claim({ amountWh: "600", redeemAs: "D-REC" }), claim({ amountWh: "600", redeemAs: "I-REC" })]);
    expect(answers.map((a) => a.status).sort()).to.deep.equal([201, 409]);
    const refused = answers.find((a) => a.status === 409)!;
    expect(refused.body.title).to.equal("Insufficient balance");
    const won = answers.find((a) => a.status === 201)!;
    expect(won.body.state).to.equal("confirmed");
    // Redeemed or cancelled, the winner's Wh left the I-REC registry's live range; the loser's did not.
    expect(redeemedWh() - redeemedBefore).to.equal(600);
    expect(claimIds().filter((id) => !claimsBefore.includes(id))).to.deep.equal([won.body.id]);

    // The 400 left can be claimed once more, as I-REC; beyond that the chain refuses and nothing is redeemed.
    expect((await claim({ amountWh: "400", redeemAs: "I-REC" })).status).to.equal(201);
    const beyond = await claim({ amountWh: "1", redeemAs: "I-REC" });
    expect([beyond.status, beyond.body.title]).to.deep.equal([409, "Insufficient balance"]);

    const chainAfter = await onChain(world.api, managed, certificate);
    expect([chainAfter.balance, chainAfter.claimed - chainBefore.claimed]).to.deep.equal([0n, 1_000n]);
    // Every Wh burned on chain was retired once at the I-REC registry, whichever way it was claimed.
    expect(redeemedWh() - redeemedBefore).to.equal(1_000);
  });
});
