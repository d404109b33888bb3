import { expect } from "chai";
import { eq } from "drizzle-orm";
import { parseAbi, type Hex } from "viem";
import { certificateClaims } from "../../server/certificates/schema";
import { RegistryRevertError } from "../../server/chain/sendTransaction";
import { IRecRegistryError, type IRecRegistry } from "../../server/issuance/irec/registry";
import { irecSimulatedIssuances, irecSimulatedRedemptions } from "../../server/issuance/irec/schema";
import { simulatedIRecRegistry } from "../../server/issuance/irec/simulated";
import { issuanceJobs } from "../../server/issuance/schema";
import { tableSnapshot } from "../support/api";
import { issuanceWorld, type IssuanceWorld } from "../support/issuance";
import { managedWallet, onChain, syncIndexer, transfer } from "./support";

/** The simulated I-REC registry behind a switch, so a test can keep certificates provisional or make the registry refuse. */
class GatedIRecRegistry implements IRecRegistry {
  inner?: IRecRegistry;
  issuing = false;
  redeeming = true;
  requestIssuance: IRecRegistry["requestIssuance"] = (request) => (this.issuing ? this.inner!.requestIssuance(request) : Promise.reject(new IRecRegistryError("I-REC registry closed for issuance")));
  redeem: IRecRegistry["redeem"] = (request) => (this.redeeming ? this.inner!.redeem(request) : Promise.reject(new IRecRegistryError("I-REC registry closed for redemption")));
}

type Item = { id: string; status: string; irec: { firstSerial: string | null; lastSerial: string | null; serialsTxHash: string | null } | null };
type Claim = { state: string; amountWh: string; redeemAs: string; details: { irec?: { firstSerial: string; lastSerial: string; redemptionId: string } } };

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

  before(async () => {
    world = await issuanceWorld({ standard: "I-REC", days: 1, devicesPerDeveloper: 1, hourlyWh: 1_000, overrides: { irec } });
    irec.inner = simulatedIRecRegistry(world.api.database.db, world.api.clock.now);
    // Minted, but the I-REC registry does not answer yet: the run stops at the serials, the certificate stays provisional.
    try {
      await world.run();
      expect.fail("the run should report the I-REC registry's refusal");
    } catch (error) {
      expect(error).to.be.instanceOf(IRecRegistryError);
    }
    const job = world.api.database.db.select().from(issuanceJobs).where(eq(issuanceJobs.reservationId, world.reservationId)).get()!;
    expect([job.state, job.standardState]).to.deep.equal(["confirmed", "provisional"]);
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

  it("redeems as I-REC: the I-REC registry redeems the next serials, which the published details carry, and the chain burns exactly the amount", async () => {
    await transfer(world.api, world.buyerKey, managed, certificate, 10_000n);
    const before = await onChain(world.api, managed, certificate);
    const first = await claim({ amountWh: "3000", redeemAs: "I-REC" });
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    expect(first.body).to.deep.include({ state: "confirmed", amountWh: "3000", redeemAs: "I-REC" });
    expect(first.body.details.irec).to.deep.include({ firstSerial: serial(1), lastSerial: serial(3_000) });
    const second = await claim({ amountWh: "2000", redeemAs: "I-REC" });
    expect(second.body.details.irec).to.deep.include({ firstSerial: serial(3_001), lastSerial: serial(5_000) });

    const redemptions = world.api.database.db.select().from(irecSimulatedRedemptions).where(eq(irecSimulatedRedemptions.certificateId, certificate)).all();
    expect(redemptions.map((r) => [r.id, r.amountWh, r.beneficiary]).sort()).to.deep.equal(
      [
        [first.body.details.irec!.redemptionId, 3_000, "Acme Ltd"],
        [second.body.details.irec!.redemptionId, 2_000, "Acme Ltd"],
      ].sort(),
    );
    const after = await onChain(world.api, managed, certificate);
    expect([before.balance - after.balance, after.claimed - before.claimed]).to.deep.equal([5_000n, 5_000n]);
  });

  it("redeems as D-REC when the buyer chooses, without touching the I-REC registry", async () => {
    const redeemedBefore = world.api.database.db.select().from(irecSimulatedIssuances).where(eq(irecSimulatedIssuances.certificateId, certificate)).get()!.redeemedWh;
    const before = await onChain(world.api, managed, certificate);
    const response = await claim({ amountWh: "1000", redeemAs: "D-REC" });
    expect(response.status).to.equal(201);
    expect(response.body.details.irec).to.equal(undefined);
    const after = await onChain(world.api, managed, certificate);
    expect([before.balance - after.balance, after.claimed - before.claimed]).to.deep.equal([1_000n, 1_000n]);
    expect(world.api.database.db.select().from(irecSimulatedIssuances).where(eq(irecSimulatedIssuances.certificateId, certificate)).get()!.redeemedWh).to.equal(redeemedBefore);
  });

  it("answers 409 when the I-REC registry refuses the redemption, writing nothing and burning nothing", async () => {
    irec.redeeming = false;
    const before = tableSnapshot(world.api);
    const chainBefore = await onChain(world.api, managed, certificate);
    const refused = await claim({ amountWh: "10", redeemAs: "I-REC" });
    expect([refused.status, refused.body.title]).to.deep.equal([409, "I-REC registry refused"]);
    expect(tableSnapshot(world.api)).to.deep.equal(before);
    expect(await onChain(world.api, managed, certificate)).to.deep.equal(chainBefore);
    irec.redeeming = true;
  });

  it("keeps an I-REC redemption on record when the chain then refuses the claim (here: the registry is paused)", async () => {
    const admin = world.api.chain.clients.wallet(world.api.chain.keys.admin);
    const pausing = async (functionName: "pause" | "unpause") => {
      const hash = await admin.writeContract({ address: world.api.chain.address, abi: parseAbi(["function pause()", "function unpause()"]), functionName });
      await world.api.deps.publicClient.waitForTransactionReceipt({ hash });
    };
    await pausing("pause");
    try {
      const chainBefore = await onChain(world.api, managed, certificate);
      const before = tableSnapshot(world.api);
      const asDRec = await claim({ amountWh: "10", redeemAs: "D-REC" });
      expect([asDRec.status, asDRec.body.title]).to.deep.equal([409, "Registry paused"]);
      expect(tableSnapshot(world.api)).to.deep.equal(before);

      const asIRec = await claim({ amountWh: "10", redeemAs: "I-REC" });
      expect([asIRec.status, asIRec.body.title]).to.deep.equal([409, "Registry paused"]);
      const failed = world.api.database.db.select().from(certificateClaims).where(eq(certificateClaims.state, "failed")).all();
      expect(failed).to.have.length(1);
      const details = JSON.parse(failed[0].details) as { irec: { redemptionId: string } };
      const redemption = world.api.database.db.select().from(irecSimulatedRedemptions).where(eq(irecSimulatedRedemptions.id, details.irec.redemptionId)).get();
      expect(redemption?.amountWh).to.equal(10);
      expect(await onChain(world.api, managed, certificate)).to.deep.equal(chainBefore);
      const { body } = await get<{ claims: { state: string; redeemAs: string }[] }>(`/certificates/${certificate}`);
      expect(body.claims.filter((c) => c.state === "failed").map((c) => c.redeemAs)).to.deep.equal(["I-REC"]);
    } finally {
      await pausing("unpause");
    }
  });
});
