import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { eq } from "drizzle-orm";
import { DateTime } from "luxon";
import { keccak256, parseAbi, parseEventLogs, stringToHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { REGISTRY_ABI } from "../../server/chain/registryAbi";
import { sendRegistryTransaction } from "../../server/chain/sendTransaction";
import { devices } from "../../server/devices/schema";
import { verifyEvidenceProof } from "../../server/issuance/evidence";
import { issuanceJobs } from "../../server/issuance/schema";
import { seedOrganisation, tableSnapshot, type SeededUser } from "../support/api";
import { issuanceWorld, type IssuanceWorld } from "../support/issuance";
import { managedWallet, onChain, syncIndexer, transfer } from "./support";
import { DAY_MS } from "../../server/time/durations";

type Item = {
  id: string;
  reservation: { id: string; name: string; standard: string; frequency: string };
  generationStart: string;
  generationEnd: string;
  volumeWh: string;
  wallet: string | null;
  ownedWh: string | null;
  claimedWh: string | null;
  chainStatus: string | null;
  status: string;
  irec: unknown;
  txHash: string | null;
  gasPaidWei: string | null;
  contributions: { deviceId: string; externalId: string; timeZone: string; start: string; end: string; startLocal: string; endLocal: string; wh: string }[];
};
type Page = { items: Item[]; nextCursor: string | null };
type Problem = { status: number; title: string; detail: string; errors?: { field: string; message: string }[] };

const URI_ABI = parseAbi(["function uri(uint256 id) view returns (string)"]);

describe("certificates API (end to end on issued certificates)", function () {
  this.timeout(180_000);
  let world: IssuanceWorld;
  let outsider: SeededUser;
  let admin: SeededUser;
  let auditor: SeededUser;
  let jobs: (typeof issuanceJobs.$inferSelect)[];
  /** The chain's own record of each certificate: evidence root, amount. */
  let issued: Map<string, { evidence: Hex; amount: bigint }>;

  const get = async <T>(user: SeededUser | undefined, path: string): Promise<{ status: number; body: T }> => {
    const response = await world.api.request("GET", path, { token: user?.token });
    return { status: response.status, body: (await response.json()) as T };
  };
  const post = async <T>(user: SeededUser, path: string, body: unknown): Promise<{ status: number; body: T }> => {
    const response = await world.api.request("POST", path, { token: user.token, body });
    return { status: response.status, body: (await response.json()) as T };
  };
  const list = async (user: SeededUser, query = "") => {
    const { status, body } = await get<Page>(user, `/certificates${query}`);
    expect(status, JSON.stringify(body)).to.equal(200);
    return body;
  };
  const ids = (page: Page) => page.items.map((item) => item.id);
  const devicesOf = (organisationId: string) => world.devices.filter((d) => d.organisationId === organisationId).map((d) => d.id);
  const jobsOf = (organisationId: string) => jobs.filter((j) => j.organisationId === organisationId);

  before(async () => {
    // Devices in three zones: KE (UTC+3), IN (UTC+5:30), NG (UTC+1). Developer 0 has KE and IN, developer 1 NG and KE.
    world = await issuanceWorld({ days: 2, developers: 2, devicesPerDeveloper: 2, countryCodes: ["KE", "IN", "NG"], hourlyWh: 1_000 });
    // The IN device serves a health facility, the others schools: certificates show devices as they were certified.
    const inDevice = world.devices.find((d) => d.countryCode === "IN")!.id;
    world.api.database.db.update(devices).set({ offTaker: "HealthFacility" }).where(eq(devices.id, inDevice)).run();
    expect(await world.run()).to.include({ confirmed: 4, failed: 0 });
    await syncIndexer(world.api);
    jobs = world.api.database.db.select().from(issuanceJobs).where(eq(issuanceJobs.reservationId, world.reservationId)).all();
    const logs = await world.api.deps.publicClient.getContractEvents({ address: world.api.deps.registryAddress, abi: REGISTRY_ABI, eventName: "CertificateIssued", fromBlock: 0n, strict: true });
    issued = new Map(logs.map((log) => [log.args.id.toString(), { evidence: log.args.evidence, amount: log.args.amount }]));
    outsider = seedOrganisation(world.api, "buyer");
    admin = seedOrganisation(world.api, "admin");
    auditor = seedOrganisation(world.api, "auditor");
  });
  after(() => world.api.close());

  describe("views", () => {
    it("shows the buyer every certificate of its reservation: volume, owned and claimed Wh, per-device contributions in UTC and local time", async () => {
      const page = await list(world.buyer);
      expect(page.nextCursor).to.equal(null);
      expect(page.items).to.have.length(4);
      // Newest generation first.
      const starts = page.items.map((item) => Date.parse(item.generationStart));
      expect(starts).to.deep.equal([...starts].sort((a, b) => b - a));
      const zones = new Map(world.api.database.db.select({ id: devices.id, zone: devices.timeZone }).from(devices).all().map((d) => [d.id, d.zone]));
      for (const item of page.items) {
        const job = jobs.find((j) => j.certificateId === item.id)!;
        expect(item).to.deep.include({
          reservation: { id: world.reservationId, name: "Issuance test", standard: "D-REC", frequency: "daily" },
          generationStart: new Date(job.windowStart).toISOString(),
          generationEnd: new Date(job.windowEnd).toISOString(),
          volumeWh: "48000",
          wallet: world.buyerWallet.toLowerCase(),
          ownedWh: "48000",
          claimedWh: "0",
          chainStatus: "active",
          status: "minted",
          irec: null,
          txHash: job.txHash,
          gasPaidWei: job.gasPaidWei,
        });
        expect(job.windowEnd - job.windowStart).to.equal(DAY_MS);
        expect(issued.get(item.id)!.amount).to.equal(48_000n);
        expect(item.contributions.map((c) => c.deviceId).sort()).to.deep.equal(devicesOf(job.organisationId).sort());
        for (const c of item.contributions) {
          expect(c.timeZone).to.equal(zones.get(c.deviceId));
          expect([c.start, c.end, c.wh]).to.deep.equal([item.generationStart, item.generationEnd, "24000"]);
          expect(c.startLocal).to.equal(DateTime.fromMillis(job.windowStart, { zone: c.timeZone }).toISO());
          expect(c.endLocal).to.equal(DateTime.fromMillis(job.windowEnd, { zone: c.timeZone }).toISO());
        }
      }
      expect(new Set(page.items.flatMap((item) => item.contributions.map((c) => c.startLocal.slice(-6))))).to.deep.equal(new Set(["+03:00", "+05:30", "+01:00"]));
    });

    it("shows a developer only the certificates its devices contributed to, with only its devices", async () => {
      const seen: string[] = [];
      for (const developer of world.developers) {
        const page = await list(developer);
        expect(ids(page).sort()).to.deep.equal(jobsOf(developer.organisationId).map((j) => j.certificateId).sort());
        const own = new Set(devicesOf(developer.organisationId));
        expect(page.items.every((item) => item.contributions.every((c) => own.has(c.deviceId)))).to.equal(true);
        seen.push(...ids(page));
      }
      expect(seen.sort()).to.deep.equal(ids(await list(world.buyer)).sort());
    });

    it("shows administrators and auditors every certificate, and another buyer none", async () => {
      const all = ids(await list(world.buyer)).sort();
      expect(ids(await list(admin)).sort()).to.deep.equal(all);
      expect(ids(await list(auditor)).sort()).to.deep.equal(all);
      expect(ids(await list(outsider))).to.deep.equal([]);
      expect((await get(outsider, `/certificates/${all[0]}`)).status).to.equal(404);
      const foreign = jobsOf(world.developers[1].organisationId)[0].certificateId!;
      expect((await get(world.developers[0], `/certificates/${foreign}`)).status).to.equal(404);
    });

    it("filters by country, off-taker, SDG benefits, generation dates, reservation and wallet", async () => {
      const [first, second] = world.developers.map((d) => jobsOf(d.organisationId).map((j) => j.certificateId!).sort());
      const all = [...first, ...second].sort();
      const filtered = async (query: string) => ids(await list(world.buyer, query)).sort();
      expect(await filtered("?countryCode=NG")).to.deep.equal(second);
      expect(await filtered("?countryCode=IN")).to.deep.equal(first);
      expect(await filtered("?countryCode=IN,NG")).to.deep.equal(all);
      expect(await filtered("?countryCode=UG")).to.deep.equal([]);

      expect(await filtered("?offTaker=HealthFacility")).to.deep.equal(first);
      expect(await filtered("?offTaker=School,HealthFacility")).to.deep.equal(all);
      // A device must match every filter at once: the IN device is no school.
      expect(await filtered("?offTaker=School&countryCode=IN")).to.deep.equal([]);

      expect(await filtered("?sdgBenefits=ClimateAction,AffordableAndCleanEnergy")).to.deep.equal(all);
      expect(await filtered("?sdgBenefits=ClimateAction,NoPoverty")).to.deep.equal([]);

      const day = (n: number) => new Date(world.start + n * DAY_MS).toISOString();
      const inDay = (n: number) => jobs.filter((j) => j.windowStart === world.start + n * DAY_MS).map((j) => j.certificateId!).sort();
      expect(await filtered(`?from=${day(1)}`)).to.deep.equal(inDay(1));
      expect(await filtered(`?to=${day(1)}`)).to.deep.equal(inDay(0));
      expect(await filtered(`?from=${day(0)}&to=${day(2)}`)).to.deep.equal(all);
      expect(await filtered(`?from=${encodeURIComponent("2000-01-01T03:00:00+03:00")}&to=${day(1)}`)).to.deep.equal(inDay(0));

      expect(await filtered(`?reservationId=${world.reservationId}`)).to.deep.equal(all);
      expect(await filtered(`?reservationId=${randomUUID()}`)).to.deep.equal([]);
      expect(await filtered(`?wallet=${world.buyerWallet}`)).to.deep.equal(all);
      expect(await filtered(`?wallet=0x${"12".repeat(20)}`)).to.deep.equal([]);
      expect(await filtered(`?countryCode=NG&from=${day(1)}`)).to.deep.equal(inDay(1).filter((id) => second.includes(id)));
    });

    it("pages with a cursor, never repeating or skipping a certificate", async () => {
      const all = ids(await list(world.buyer));
      const walked: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Page = await list(world.buyer, `?limit=1${cursor ? `&cursor=${cursor}` : ""}`);
        expect(page.items).to.have.length(1);
        walked.push(...ids(page));
        cursor = page.nextCursor;
      } while (cursor);
      expect(walked).to.deep.equal(all);
    });

    it("refuses bad queries with 400 naming the parameter", async () => {
      const cases: [string, string][] = [
        ["?cursor=not-a-cursor", "query.cursor"],
        [`?from=${new Date(world.end).toISOString()}&to=${new Date(world.start).toISOString()}`, "query.to"],
        ["?from=yesterday", "query.from"],
        ["?countryCode=XX", "query.countryCode.0"],
        ["?offTaker=Spaceship", "query.offTaker.0"],
        ["?sdgBenefits=Happiness", "query.sdgBenefits.0"],
        ["?limit=0", "query.limit"],
        ["?limit=501", "query.limit"],
        ["?wallet=0x1234", "query.wallet"],
        ["?reservationId=nope", "query.reservationId"],
      ];
      for (const [query, field] of cases) {
        const { status, body } = await get<Problem>(world.buyer, `/certificates${query}`);
        expect(status, query).to.equal(400);
        expect(body.errors!.map((e) => e.field), query).to.include(field);
      }
    });

    it("details a certificate: evidence root as on chain, the developer, the buyer wallet", async () => {
      const job = jobsOf(world.developers[0].organisationId)[0];
      const { status, body } = await get<Item & Record<string, unknown>>(world.buyer, `/certificates/${job.certificateId}`);
      expect(status).to.equal(200);
      expect(body).to.deep.include({
        id: job.certificateId,
        evidenceRoot: issued.get(job.certificateId!)!.evidence,
        organisation: { id: world.developers[0].organisationId, name: `developer-${world.developers[0].organisationId.slice(0, 8)}` },
        buyerOrganisationId: world.buyer.organisationId,
        buyerWallet: world.buyerWallet,
        ownedWh: "48000",
        claims: [],
      });
      expect((await get(world.developers[0], `/certificates/${job.certificateId}`)).status).to.equal(200);
      const invalid = await get<Problem>(world.buyer, "/certificates/12abc");
      expect([invalid.status, invalid.body.errors![0].field]).to.deep.equal([400, "path.id"]);
      expect((await get(world.buyer, "/certificates/999999")).status).to.equal(404);
    });
  });

  describe("published evidence", () => {
    it("lets anyone prove each device's contribution against the root the chain carries", async () => {
      for (const job of jobs) {
        const { status, body } = await get<{ root: Hex; leafEncoding: string[]; leaves: { deviceId: Hex; device: string; start: number; end: number; wh: string; proof: Hex[] }[] }>(
          undefined,
          `/certificates/${job.certificateId}/evidence`,
        );
        expect(status).to.equal(200);
        const onChainRoot = issued.get(job.certificateId!)!.evidence;
        expect(body.root).to.equal(onChainRoot);
        expect(body.leafEncoding).to.deep.equal(["bytes32", "uint64", "uint64", "uint256"]);
        expect(body.leaves.map((leaf) => leaf.device).sort()).to.deep.equal(devicesOf(job.organisationId).sort());
        expect(body.leaves.reduce((sum, leaf) => sum + BigInt(leaf.wh), 0n)).to.equal(issued.get(job.certificateId!)!.amount);
        for (const published of body.leaves) {
          const leaf = { deviceId: published.deviceId, start: BigInt(published.start), end: BigInt(published.end), wh: BigInt(published.wh) };
          expect(verifyEvidenceProof(onChainRoot, leaf, published.proof)).to.equal(true);
          expect(verifyEvidenceProof(onChainRoot, { ...leaf, wh: leaf.wh + 1n }, published.proof)).to.equal(false);
        }
      }
    });

    it("answers 404 for an unknown certificate and 400 for a malformed id", async () => {
      expect((await get(undefined, "/certificates/999999/evidence")).status).to.equal(404);
      expect((await get(undefined, "/certificates/-1/evidence")).status).to.equal(400);
    });
  });

  describe("ERC-1155 metadata", () => {
    it("is served, without credentials, at the URL the registry's uri(id) gives", async () => {
      for (const job of jobs) {
        const uri = await world.api.deps.publicClient.readContract({ address: world.api.deps.registryAddress, abi: URI_ABI, functionName: "uri", args: [BigInt(job.certificateId!)] });
        expect(uri).to.equal(`http://127.0.0.1:3000/metadata/${job.certificateId}`);
        const { status, body } = await get<{ name: string; decimals: number; properties: Record<string, unknown> & { deviceGroup: Record<string, unknown> & { devices: { id: string }[] } } }>(
          undefined,
          new URL(uri).pathname,
        );
        expect(status).to.equal(200);
        expect(body.decimals).to.equal(0);
        expect(body.name).to.include("48000 Wh");
        expect(body.properties).to.deep.include({
          certificateId: job.certificateId,
          buyerReservationId: world.reservationId,
          beneficiary: world.buyerWallet,
          isStandardIssuanceRequested: false,
          isStandardIssued: false,
          evidenceRoot: issued.get(job.certificateId!)!.evidence,
          transactionHash: job.txHash,
          deviceIds: devicesOf(job.organisationId).sort(),
        });
        expect(body.properties.deviceGroup).to.deep.include({
          organisationId: job.organisationId,
          buyerId: world.buyer.organisationId,
          buyerAddress: world.buyerWallet,
          frequency: "daily",
          targetVolumeInMegaWattHour: "1000",
          targetVolumeCertificateGenerationSucceededInMegaWattHour: "0.192",
          authorityToExceed: true,
          reservationStartDate: new Date(world.start).toISOString(),
          reservationEndDate: new Date(world.end).toISOString(),
          organization: { name: `developer-${job.organisationId.slice(0, 8)}`, blockchainAccountAddress: world.developers.find((d) => d.organisationId === job.organisationId)!.managedWallet },
        });
        expect(body.properties.deviceGroup.devices.map((d) => d.id).sort()).to.deep.equal(devicesOf(job.organisationId).sort());
      }
    });

    it("answers a 404 problem for an id that is no D-REC certificate", async () => {
      const response = await world.api.request("GET", "/metadata/999999");
      expect(response.status).to.equal(404);
      expect(response.headers.get("content-type")).to.include("application/problem+json");
    });
  });

  describe("claims", () => {
    const claim = (amountWh: string, overrides: Record<string, unknown> = {}) => ({ amountWh, beneficiary: "Acme Ltd", purpose: "Scope 2 electricity, May 2026", redeemAs: "D-REC", ...overrides });
    let certificate: string;
    let managed: Hex;

    before(() => {
      certificate = jobsOf(world.developers[0].organisationId)[0].certificateId!;
    });

    it("publishes a self-custody buyer's claim details; the buyer's own claim call then carries their hash", async () => {
      const before = await onChain(world.api, world.buyerWallet, certificate);
      const { status, body } = await post<{ claim: { detailsHash: Hex; canonicalDetails: string; state: string; details: Record<string, unknown> }; call: { args: Record<string, string> } }>(
        world.buyer,
        `/certificates/${certificate}/claim-details`,
        { holder: world.buyerWallet, amountWh: "1000", beneficiary: "Acme Ltd", purpose: "Own wallet claim" },
      );
      expect(status, JSON.stringify(body)).to.equal(201);
      expect(body.claim.state).to.equal("prepared");
      expect(body.claim.detailsHash).to.equal(keccak256(stringToHex(body.claim.canonicalDetails)));
      expect(body.claim.details).to.deep.include({ certificateId: certificate, holder: world.buyerWallet.toLowerCase(), amountWh: "1000", redeemAs: "D-REC" });
      expect(body.call.args).to.deep.equal({ holder: world.buyerWallet.toLowerCase(), id: certificate, amount: "1000", beneficiary: "Acme Ltd", detailsHash: body.claim.detailsHash });

      // The standard contract call, from the buyer's own key.
      const { receipt } = await sendRegistryTransaction(world.api.deps, privateKeyToAccount(world.buyerKey), "claim", [world.buyerWallet, BigInt(certificate), 1_000n, "Acme Ltd", body.claim.detailsHash]);
      const [retired] = parseEventLogs({ abi: parseAbi(["event Retired(address indexed holder, uint256 indexed id, uint8 indexed reason, uint256 amount, string beneficiary, bytes32 detailsHash)"]), logs: receipt.logs });
      expect(retired.args.detailsHash).to.equal(body.claim.detailsHash);
      const after = await onChain(world.api, world.buyerWallet, certificate);
      expect([before.balance - after.balance, after.claimed - before.claimed]).to.deep.equal([1_000n, 1_000n]);

      await syncIndexer(world.api);
      const detail = await get<Item & { claims: { detailsHash: string; state: string }[] }>(world.buyer, `/certificates/${certificate}`);
      expect([detail.body.ownedWh, detail.body.claimedWh]).to.deep.equal(["47000", "1000"]);
      expect(detail.body.claims.map((c) => [c.detailsHash, c.state])).to.deep.equal([[body.claim.detailsHash, "prepared"]]);
      // The developer sees the claimed total, not what the buyer claimed it for.
      const developerView = await get<Item & { claims: unknown[] }>(world.developers[0], `/certificates/${certificate}`);
      expect([developerView.body.claimedWh, developerView.body.claims]).to.deep.equal(["1000", []]);
    });

    it("answers 409 when the buyer has no managed wallet to claim from, writing nothing", async () => {
      const before = tableSnapshot(world.api);
      const { status, body } = await post<Problem>(world.buyer, `/certificates/${certificate}/claim`, claim("1"));
      expect([status, body.title]).to.deep.equal([409, "No managed wallet"]);
      expect(tableSnapshot(world.api)).to.deep.equal(before);
    });

    it("claims from the buyer's managed wallet: balance and claimed ledger change by exactly the amount, with the published hash", async () => {
      managed = await managedWallet(world.api, world.buyer);
      await transfer(world.api, world.buyerKey, managed, certificate, 10_000n);
      const before = await onChain(world.api, managed, certificate);
      expect(before).to.deep.equal({ balance: 10_000n, claimed: 0n });

      const { status, body } = await post<{ state: string; txHash: Hex; detailsHash: Hex; canonicalDetails: string; holder: string; amountWh: string; redeemAs: string; details: Record<string, unknown> }>(
        world.buyer,
        `/certificates/${certificate}/claim`,
        claim("4000"),
      );
      expect(status, JSON.stringify(body)).to.equal(201);
      expect(body).to.deep.include({ state: "confirmed", holder: managed.toLowerCase(), amountWh: "4000", redeemAs: "D-REC" });
      expect(body.details).to.deep.include({ beneficiary: "Acme Ltd", purpose: "Scope 2 electricity, May 2026", certificateId: certificate });
      expect(body.detailsHash).to.equal(keccak256(stringToHex(body.canonicalDetails)));
      const after = await onChain(world.api, managed, certificate);
      expect([before.balance - after.balance, after.claimed - before.claimed]).to.deep.equal([4_000n, 4_000n]);

      // Sent by the managed wallet, which paid the gas, and the chain's event carries the published hash.
      const receipt = await world.api.deps.publicClient.getTransactionReceipt({ hash: body.txHash });
      expect(receipt.from.toLowerCase()).to.equal(managed.toLowerCase());
      const [retired] = parseEventLogs({ abi: parseAbi(["event Retired(address indexed holder, uint256 indexed id, uint8 indexed reason, uint256 amount, string beneficiary, bytes32 detailsHash)"]), logs: receipt.logs });
      expect(retired.args).to.deep.include({ holder: managed, id: BigInt(certificate), reason: 0, amount: 4_000n, beneficiary: "Acme Ltd", detailsHash: body.detailsHash });

      await syncIndexer(world.api);
      const view = await get<Item>(world.buyer, `/certificates/${certificate}?wallet=${managed}`);
      expect([view.body.wallet, view.body.ownedWh, view.body.claimedWh]).to.deep.equal([managed.toLowerCase(), "6000", "4000"]);
      const retirement = world.api.database.sqlite.prepare("SELECT amount, beneficiary, details_hash FROM chain_retirements WHERE holder = ? AND certificate_id = ?").get(managed.toLowerCase(), certificate);
      expect(retirement).to.deep.equal({ amount: "4000", beneficiary: "Acme Ltd", details_hash: body.detailsHash });
    });

    it("refuses bad claims with 4xx, writing nothing and moving nothing on chain", async () => {
      const other = jobsOf(world.developers[1].organisationId)[0].certificateId!;
      const cases: [SeededUser, string, unknown, number, string?][] = [
        [world.buyer, certificate, claim("6001"), 409, "body.amountWh"],
        [world.buyer, other, claim("1"), 409, "body.amountWh"],
        [world.buyer, certificate, claim("1", { redeemAs: "I-REC" }), 409, "body.redeemAs"],
        [world.buyer, certificate, claim("0"), 400, "body.amountWh"],
        [world.buyer, certificate, claim("1.5"), 400, "body.amountWh"],
        [world.buyer, certificate, claim("-3"), 400, "body.amountWh"],
        [world.buyer, certificate, claim("1", { beneficiary: "  " }), 400, "body.beneficiary"],
        [world.buyer, certificate, claim("1", { purpose: undefined }), 400, "body.purpose"],
        [world.buyer, certificate, claim("1", { redeemAs: "GO" }), 400, "body.redeemAs"],
        [world.buyer, certificate, claim("1", { holder: managed }), 400, "body.holder"],
        [world.buyer, "999999", claim("1"), 404],
        [world.buyer, "x", claim("1"), 400, "path.id"],
        [outsider, certificate, claim("1"), 404],
        [world.developers[0], certificate, claim("1"), 403],
      ];
      const before = tableSnapshot(world.api);
      const chainBefore = await onChain(world.api, managed, certificate);
      for (const [user, id, body, expected, field] of cases) {
        const response = await post<Problem>(user, `/certificates/${id}/claim`, body);
        expect(response.status, JSON.stringify(body)).to.equal(expected);
        if (field) expect(response.body.errors?.map((e) => e.field), JSON.stringify(body)).to.include(field);
      }
      const details = (holder: string, amountWh: string) => ({ holder, amountWh, beneficiary: "B", purpose: "P" });
      const detailCases: [unknown, number, string?][] = [
        [details(`0x${"12".repeat(20)}`, "1"), 400, "body.holder"],
        [details(world.buyerWallet, "47001"), 409, "body.amountWh"],
        [{ ...details(world.buyerWallet, "1"), redeemAs: "I-REC" }, 400, "body.redeemAs"],
      ];
      for (const [body, expected, field] of detailCases) {
        const response = await post<Problem>(world.buyer, `/certificates/${certificate}/claim-details`, body);
        expect(response.status, JSON.stringify(body)).to.equal(expected);
        if (field) expect(response.body.errors?.map((e) => e.field)).to.include(field);
      }
      expect(tableSnapshot(world.api)).to.deep.equal(before);
      expect(await onChain(world.api, managed, certificate)).to.deep.equal(chainBefore);
    });

    it("shows the buyer its published claims on the certificate, and administrators all of them", async () => {
      const mine = await get<{ claims: { custody: string; state: string; amountWh: string }[] }>(world.buyer, `/certificates/${certificate}`);
      expect(mine.body.claims.map((c) => [c.custody, c.state, c.amountWh])).to.have.deep.members([
        ["self", "prepared", "1000"],
        ["managed", "confirmed", "4000"],
      ]);
      const all = await get<{ claims: unknown[] }>(admin, `/certificates/${certificate}`);
      expect(all.body.claims).to.deep.equal(mine.body.claims);
      const rows = world.api.database.sqlite.prepare("SELECT count(*) AS n FROM certificate_claims WHERE certificate_id = ?").get(certificate) as { n: number };
      expect(rows.n).to.equal(2);
    });
  });

  describe("after issuance", () => {
    it("serves metadata for a part its holder split off on chain: the certificate's fields, its own Wh and parent", async () => {
      const parent = jobs[jobs.length - 1].certificateId!;
      const { receipt } = await sendRegistryTransaction(world.api.deps, privateKeyToAccount(world.buyerKey), "split", [world.buyerWallet, BigInt(parent), [700n]]);
      const [split] = parseEventLogs({ abi: REGISTRY_ABI, eventName: "Split", logs: receipt.logs });
      const child = split.args.childIds[0].toString();
      await syncIndexer(world.api);
      const [ofParent, ofChild] = await Promise.all([get<any>(undefined, `/metadata/${parent}`), get<any>(undefined, `/metadata/${child}`)]);
      expect(ofChild.status, JSON.stringify(ofChild.body)).to.equal(200);
      expect(ofChild.body.properties).to.deep.include({ tokenId: child, volumeWh: "700", splitFrom: parent, certifiedAs: parent, buyerReservationId: world.reservationId });
      expect(ofChild.body.properties.deviceGroup).to.deep.equal(ofParent.body.properties.deviceGroup);
      expect(ofChild.body.name).to.equal(`${ofParent.body.name}: 700 Wh split off`);
    });

    it("keeps each certificate as it was certified when a device is edited later: metadata, contributions and filters", async () => {
      const device = world.devices.find((d) => d.countryCode === "KE")!;
      const developer = world.developers.find((d) => d.organisationId === device.organisationId)!;
      const job = jobsOf(device.organisationId)[0];
      const metadataBefore = await get<unknown>(undefined, `/metadata/${job.certificateId}`);
      const itemBefore = (await list(admin, `?countryCode=KE`)).items.find((item) => item.id === job.certificateId)!;
      expect(itemBefore).to.not.equal(undefined);

      // The reservation is over and its devices released, so their certificate fields may change again.
      const edited = await world.request(developer, "PATCH", `/devices/${device.id}`, { countryCode: "UG", projectName: "Renamed later" });
      expect(edited.status, await edited.clone().text()).to.equal(200);

      expect(await get<unknown>(undefined, `/metadata/${job.certificateId}`)).to.deep.equal(metadataBefore);
      const itemAfter = (await list(admin, `?countryCode=KE`)).items.find((item) => item.id === job.certificateId);
      expect(itemAfter?.contributions).to.deep.equal(itemBefore.contributions);
      expect((await list(admin, `?countryCode=UG`)).items.map((item) => item.id)).to.not.include(job.certificateId);
    });
  });
});
