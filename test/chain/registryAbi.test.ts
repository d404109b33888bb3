import { expect } from "chai";
import { artifacts } from "hardhat";
import { toFunctionSignature, toEventSignature, type Abi } from "viem";
import { REGISTRY_ABI } from "../../server/chain/registryAbi";
import { chainRef, uuidOfChainRef } from "../../server/chain/refs";

type Item = Extract<Abi[number], { type: "function" | "event" | "error" }>;

function signatureOf(item: Item): string {
  if (item.type === "function") return `${toFunctionSignature(item)}:${item.stateMutability}:${item.outputs.map((o) => o.type).join(",")}`;
  if (item.type === "event") return `event ${toEventSignature(item)}:${item.inputs.map((i) => Boolean(i.indexed)).join(",")}`;
  return `error ${item.name}(${item.inputs.map((i) => i.type).join(",")})`;
}

describe("server registry ABI", () => {
  it("matches the compiled contract item for item, so typed calls and decoded reverts cannot drift", async () => {
    const artifact = await artifacts.readArtifact("CertificateRegistry");
    const compiled = new Set((artifact.abi as Item[]).filter((i) => ["function", "event", "error"].includes(i.type)).map(signatureOf));
    const missing = (REGISTRY_ABI as readonly Item[]).map(signatureOf).filter((s) => !compiled.has(s));
    expect(missing).to.deep.equal([]);
  });
});

describe("chain references", () => {
  it("round-trips a UUID through its bytes32 form", () => {
    const id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    const ref = chainRef(id);
    expect(ref).to.equal(`0x${"0".repeat(32)}0f8fad5bd9cb469fa16570867728950e`);
    expect(uuidOfChainRef(ref)).to.equal(id);
    expect(uuidOfChainRef(ref.toUpperCase().replace("0X", "0x"))).to.equal(id);
  });

  it("refuses what is not a UUID and reads nothing from other bytes32 values", () => {
    expect(() => chainRef("device-1")).to.throw(/needs a UUID/);
    expect(uuidOfChainRef(`0x${"1".repeat(64)}`)).to.equal(undefined);
    expect(uuidOfChainRef("0x1234")).to.equal(undefined);
  });
});
