import { expect } from "chai";
import { claimRefusal, revertRefusal, type ClaimRequest, type HolderOnChain } from "../../server/certificates/claims";
import { certificateStatus, certificateView, contributionView, type CertificateRecord } from "../../server/certificates/views";
import { RegistryRevertError } from "../../server/chain/sendTransaction";

const HOUR = 3_600;
const start = Date.UTC(2026, 4, 1) / 1000;

function record(overrides: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    jobId: "job-1",
    certificateId: "7",
    reservation: { id: "r-1", name: "Reservation", standard: "D-REC", frequency: "daily" },
    buyerOrganisationId: "buyer-1",
    buyerWallet: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    developer: { id: "dev-1", name: "Developer" },
    countryCode: "*",
    windowStart: start * 1000,
    windowEnd: (start + 24 * HOUR) * 1000,
    volumeWh: 3_000n,
    evidenceRoot: `0x${"ab".repeat(32)}`,
    txHash: `0x${"cd".repeat(32)}`,
    gasPaidWei: "123",
    standard: { state: null, firstSerial: null, lastSerial: null, txHash: null },
    mirror: { status: "active", wallet: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8", ownedWh: "2000", claimedWh: "1000" },
    contributions: [
      { deviceId: "d-1", externalId: "m-1", projectName: "P", countryCode: "KE", timeZone: "Africa/Nairobi", start, end: start + 2 * HOUR, wh: 2_000n },
      { deviceId: "d-2", externalId: "m-2", projectName: null, countryCode: "IN", timeZone: "Asia/Kolkata", start: start + HOUR, end: start + 2 * HOUR, wh: 1_000n },
    ],
    ...overrides,
  };
}

describe("certificates: views", () => {
  it("shows each contribution in UTC and in its device's own time zone", () => {
    const [nairobi, kolkata] = record().contributions.map(contributionView);
    expect(nairobi).to.deep.equal({
      deviceId: "d-1",
      externalId: "m-1",
      projectName: "P",
      countryCode: "KE",
      timeZone: "Africa/Nairobi",
      start: "2026-05-01T00:00:00.000Z",
      end: "2026-05-01T02:00:00.000Z",
      startLocal: "2026-05-01T03:00:00.000+03:00",
      endLocal: "2026-05-01T05:00:00.000+03:00",
      wh: "2000",
    });
    expect([kolkata.startLocal, kolkata.endLocal]).to.deep.equal(["2026-05-01T06:30:00.000+05:30", "2026-05-01T07:30:00.000+05:30"]);
  });

  it("names the status from the I-REC state", () => {
    expect(certificateStatus({ state: null, firstSerial: null, lastSerial: null, txHash: null })).to.equal("minted");
    expect(certificateStatus({ state: "provisional", firstSerial: null, lastSerial: null, txHash: null })).to.equal("provisional");
    expect(certificateStatus({ state: "issued", firstSerial: "A", lastSerial: "B", txHash: "0x1" })).to.equal("irec-issued");
  });

  it("gives amounts as decimal strings, and owned and claimed Wh from the mirror (null before it indexed the mint)", () => {
    const view = certificateView(record());
    expect(view).to.deep.include({
      id: "7",
      generationStart: "2026-05-01T00:00:00.000Z",
      generationEnd: "2026-05-02T00:00:00.000Z",
      volumeWh: "3000",
      ownedWh: "2000",
      claimedWh: "1000",
      wallet: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
      chainStatus: "active",
      status: "minted",
      irec: null,
      gasPaidWei: "123",
    });
    expect(view.contributions.map((c) => c.wh)).to.deep.equal(["2000", "1000"]);
    const unindexed = certificateView(record({ mirror: null }));
    expect([unindexed.ownedWh, unindexed.claimedWh, unindexed.chainStatus, unindexed.wallet]).to.deep.equal([null, null, null, null]);
  });

  it("shows an I-REC reservation's serials (null while provisional)", () => {
    const irec = record({ reservation: { id: "r", name: "n", standard: "I-REC", frequency: "daily" }, standard: { state: "provisional", firstSerial: null, lastSerial: null, txHash: null } });
    expect(certificateView(irec).irec).to.deep.equal({ firstSerial: null, lastSerial: null, serialsTxHash: null });
    const issued = { ...irec, standard: { state: "issued" as const, firstSerial: "S1", lastSerial: "S9", txHash: "0xfe" } };
    expect(certificateView(issued)).to.deep.include({ status: "irec-issued", irec: { firstSerial: "S1", lastSerial: "S9", serialsTxHash: "0xfe" } });
  });
});

describe("certificates: when a claim is refused", () => {
  const request = (overrides: Partial<ClaimRequest> = {}): ClaimRequest => ({ amountWh: 1_000n, beneficiary: "B", purpose: "P", redeemAs: "D-REC", ...overrides });
  const holder = (overrides: Partial<HolderOnChain> = {}): HolderOnChain => ({ balanceWh: 1_000n, provisional: false, revoked: false, ...overrides });
  const irecReservation = { id: "r", name: "n", standard: "I-REC" as const, frequency: "daily" };
  const issued = { state: "issued" as const, firstSerial: "S1", lastSerial: "S9", txHash: "0x1" };

  it("lets a holder claim up to its whole balance", () => {
    expect(claimRefusal(record(), request(), holder())).to.equal(undefined);
    expect(claimRefusal(record({ reservation: irecReservation, standard: issued }), request({ redeemAs: "I-REC" }), holder())).to.equal(undefined);
    expect(claimRefusal(record({ reservation: irecReservation, standard: issued }), request({ redeemAs: "D-REC" }), holder())).to.equal(undefined);
  });

  it("refuses more than the balance with 409 naming the amount", () => {
    const refusal = claimRefusal(record(), request({ amountWh: 1_001n }), holder());
    expect(refusal).to.deep.include({ status: 409, title: "Insufficient balance" });
    expect(refusal!.errors).to.deep.equal([{ field: "body.amountWh", message: "must not exceed the 1000 Wh the wallet holds" }]);
  });

  it("refuses provisional certificates, by the platform's record or the chain's", () => {
    const provisional = record({ reservation: irecReservation, standard: { state: "provisional", firstSerial: null, lastSerial: null, txHash: null } });
    expect(claimRefusal(provisional, request(), holder())).to.deep.include({ status: 409, title: "Certificate is provisional" });
    expect(claimRefusal(record(), request(), holder({ provisional: true }))).to.deep.include({ status: 409, title: "Certificate is provisional" });
  });

  it("refuses revoked certificates", () => {
    expect(claimRefusal(record(), request(), holder({ revoked: true }))).to.deep.include({ status: 409, title: "Certificate is revoked" });
  });

  it("refuses an I-REC redemption of a D-REC reservation's certificate, naming redeemAs", () => {
    const refusal = claimRefusal(record(), request({ redeemAs: "I-REC" }), holder());
    expect(refusal).to.deep.include({ status: 409, title: "Not an I-REC certificate" });
    expect(refusal!.errors![0].field).to.equal("body.redeemAs");
  });

  it("maps contract errors met after the checks to 409s", () => {
    const insufficient = revertRefusal(new RegistryRevertError("claim", "ERC1155InsufficientBalance", ["0xabc", 5n, 9n, 7n]));
    expect(insufficient).to.deep.include({ status: 409, title: "Insufficient balance" });
    expect(insufficient.detail).to.include("5 Wh").and.include("9 Wh");
    expect(revertRefusal(new RegistryRevertError("claim", "CertificateIsProvisional", [7n])).title).to.equal("Certificate is provisional");
    expect(revertRefusal(new RegistryRevertError("claim", "EnforcedPause", [])).title).to.equal("Registry paused");
    expect(revertRefusal(new RegistryRevertError("claim", "Whatever", [])).detail).to.include("Whatever");
  });
});
