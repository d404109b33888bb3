import { expect } from "chai";
import type { DecodedEvent } from "../../indexer/decode/decodeLog";
import { deriveChanges, ZERO_ADDRESS, type ChainLog, type TransferChange } from "../../indexer/store/derive";

const HOLDER = "0x00000000000000000000000000000000000000aa";
const OTHER = "0x00000000000000000000000000000000000000bb";

/** Logs of one transaction per argument list, in order, each a decoded event. */
function transactions(...txs: DecodedEvent[][]): ChainLog[] {
  let logIndex = 0;
  return txs.flatMap((events, t) =>
    events.map((event) => ({ blockNumber: 7, logIndex: logIndex++, blockHash: "0xb", transactionHash: `0xt${t}`, transactionIndex: t, topics: [], data: "0x", event })),
  );
}

const single = (from: string, to: string, id: bigint, value: bigint): DecodedEvent => ({ eventName: "TransferSingle", args: { operator: HOLDER, from, to, id, value } });
const batch = (from: string, to: string, ids: bigint[], values: bigint[]): DecodedEvent => ({ eventName: "TransferBatch", args: { operator: HOLDER, from, to, ids, values } });
const retired = (id: bigint, reason: bigint, amount: bigint): DecodedEvent => ({
  eventName: "Retired",
  args: { holder: HOLDER, id, reason, amount, beneficiary: "B", detailsHash: "0x00" },
});
const split = (parentId: bigint, childIds: bigint[], amounts: bigint[]): DecodedEvent => ({ eventName: "Split", args: { parentId, holder: HOLDER, childIds, amounts } });

const transfersOf = (logs: ChainLog[]) =>
  deriveChanges(logs)
    .filter((c): c is TransferChange => c.type === "transfer")
    .map((t) => [t.id, t.action, t.reason, t.batchIndex]);

describe("indexer event derivation (what each transfer was for)", () => {
  it("calls mints issuance, holder-to-holder moves transfers, whichever transfer event carried them", () => {
    const logs = transactions([single(ZERO_ADDRESS, HOLDER, 1n, 5n)], [batch(ZERO_ADDRESS, HOLDER, [2n, 3n], [1n, 1n])], [batch(HOLDER, OTHER, [2n, 3n], [1n, 1n])]);
    expect(transfersOf(logs)).to.deep.equal([
      [1n, "issuance", null, 0],
      [2n, "issuance", null, 0],
      [3n, "issuance", null, 1],
      [2n, "transfer", null, 0],
      [3n, "transfer", null, 1],
    ]);
  });

  it("pairs each burned element with the Retired event that follows it, for its reason", () => {
    const logs = transactions([batch(HOLDER, ZERO_ADDRESS, [4n, 5n], [10n, 20n]), retired(4n, 3n, 10n), retired(5n, 3n, 20n)], [single(HOLDER, ZERO_ADDRESS, 6n, 1n), retired(6n, 0n, 1n)]);
    expect(transfersOf(logs)).to.deep.equal([
      [4n, "retirement", 3, 0],
      [5n, "retirement", 3, 1],
      [6n, "retirement", 0, 0],
    ]);
  });

  it("calls the parent's burn and the children's mint of a split a split, at one child and at several", () => {
    const logs = transactions(
      [single(HOLDER, ZERO_ADDRESS, 8n, 3n), split(8n, [9n], [3n]), single(ZERO_ADDRESS, HOLDER, 9n, 3n)],
      [single(HOLDER, ZERO_ADDRESS, 8n, 3n), split(8n, [10n, 11n], [1n, 2n]), batch(ZERO_ADDRESS, HOLDER, [10n, 11n], [1n, 2n])],
    );
    expect(transfersOf(logs)).to.deep.equal([
      [8n, "split", null, 0],
      [9n, "split", null, 0],
      [8n, "split", null, 0],
      [10n, "split", null, 0],
      [11n, "split", null, 1],
    ]);
  });

  it("does not carry a transaction's split or pending burns into the next transaction", () => {
    const logs = transactions([single(HOLDER, ZERO_ADDRESS, 8n, 3n), split(8n, [9n], [3n]), single(ZERO_ADDRESS, HOLDER, 9n, 3n)], [single(ZERO_ADDRESS, HOLDER, 9n, 1n)]);
    expect(transfersOf(logs).at(-1)).to.deep.equal([9n, "issuance", null, 0]);
  });

  it("turns StandardSerialsRecorded into the recorded serials of its id, strings as they came", () => {
    const recorded: DecodedEvent = { eventName: "StandardSerialsRecorded", args: { id: 12n, firstSerial: "IREC-gb-0001", lastSerial: "IREC-gb-0420" } };
    const [change] = deriveChanges(transactions([recorded]));
    expect(change).to.deep.equal({
      type: "standardSerialsRecorded",
      at: { blockNumber: 7, logIndex: 0, transactionHash: "0xt0" },
      id: 12n,
      firstSerial: "IREC-gb-0001",
      lastSerial: "IREC-gb-0420",
    });
  });

  it("adds D-REC issuances, and only those, to their reservation's log", () => {
    const drec = 5n;
    const gc = (1n << 248n) | 6n;
    const issued = (id: bigint): DecodedEvent => ({ eventName: "CertificateIssued", args: { id, ref: "0xr", amount: 1n, start: 1n, end: 2n, evidence: "0xe" } });
    const changes = deriveChanges(transactions([issued(drec), issued(gc)]));
    expect(changes.filter((c) => c.type === "reservationLog").map((c) => c.type === "reservationLog" && c.at.logIndex)).to.deep.equal([0]);
    expect(changes.filter((c) => c.type === "certificateIssued")).to.have.length(2);
  });
});
