import { expect } from "chai";
import { decodeEventLog, type Hex } from "viem";
import { createLogDecoder, jsonArgs, type EventValue } from "../../indexer/decode/decodeLog";
import { registryAbi } from "../../indexer/decode/registryAbi";
import { closeWorld, indexerWorld, irecActivity, mixedActivity, type IndexerWorld } from "./support";

/** viem's own decoding in the decoder's uniform shape: integers as bigint, hex lower-cased, strings kept. */
function uniformly(value: unknown): EventValue {
  if (typeof value === "number") return BigInt(value);
  if (typeof value === "string") return /^0x[0-9a-fA-F]*$/.test(value) ? value.toLowerCase() : value;
  if (Array.isArray(value)) return value.map(uniformly);
  return value as EventValue;
}

describe("indexer log decoding", () => {
  let world: IndexerWorld;
  before(async () => {
    world = await indexerWorld();
    await mixedActivity(world, "0xAbC mixed-case beneficiary");
    await irecActivity(world, "Mixed-Case");
  });
  after(() => closeWorld(world));

  it("decodes every registry event exactly as viem's decodeEventLog does", async () => {
    const logs = await world.client.getLogs({ address: world.address, fromBlock: world.deployBlock, toBlock: "latest" });
    const decode = createLogDecoder(registryAbi());
    const names = new Set<string>();
    for (const log of logs) {
      const ours = decode(log.topics as Hex[], log.data)!;
      const viem = decodeEventLog({ abi: registryAbi(), topics: log.topics as [Hex, ...Hex[]], data: log.data });
      expect(ours.eventName).to.equal(viem.eventName);
      const expected = Object.fromEntries(Object.entries(viem.args as unknown as Record<string, unknown>).map(([name, value]) => [name, uniformly(value)]));
      expect(ours.args).to.deep.equal(expected, `${ours.eventName} at log ${log.logIndex} of block ${log.blockNumber}`);
      names.add(ours.eventName);
    }
    // Static-word events, array events and string events all went through the comparison.
    for (const name of ["CertificateIssued", "TransferSingle", "TransferBatch", "Split", "Retired", "ReservationCreated", "DeviceRemoved", "CertificateRevoked", "StandardSerialsRecorded"]) {
      expect(names.has(name), name).to.equal(true);
    }
  });

  it("keeps a string argument's case and gives uint256 values as exact decimal strings in JSON", async () => {
    const logs = await world.client.getLogs({ address: world.address, fromBlock: world.deployBlock, toBlock: "latest" });
    const decode = createLogDecoder(registryAbi());
    const claim = logs.map((log) => decode(log.topics as Hex[], log.data)!).find((e) => e.eventName === "Retired" && e.args.reason === 0n)!;
    expect(claim.args.beneficiary).to.equal("Beneficiary 0xAbC mixed-case beneficiary");
    const serials = logs.map((log) => decode(log.topics as Hex[], log.data)!).find((e) => e.eventName === "StandardSerialsRecorded")!;
    expect([serials.args.firstSerial, serials.args.lastSerial]).to.deep.equal(["IREC-Mixed-Case-000001", "IREC-Mixed-Case-001000"]);
    expect(jsonArgs({ id: 2n ** 255n + 1n, ids: [1n, 2n], ok: true })).to.deep.equal({ id: (2n ** 255n + 1n).toString(), ids: ["1", "2"], ok: true });
  });

  it("returns nothing for a log the registry ABI does not describe", () => {
    const decode = createLogDecoder(registryAbi());
    expect(decode([`0x${"ab".repeat(32)}`], "0x")).to.equal(undefined);
  });
});
