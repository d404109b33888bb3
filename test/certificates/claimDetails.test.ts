import { expect } from "chai";
import { keccak256, toBytes } from "viem";
import { canonicalJson, claimDetailsHash, type ClaimDetails } from "../../server/certificates/claimDetails";

const details: ClaimDetails = {
  claimId: "5f0c1d8e-2b7a-4c39-9a51-0e6f3b2d4c18",
  certificateId: "452312848583266388373324160190187140051835877600158453279131187530910662657",
  holder: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
  amountWh: "1500",
  beneficiary: "Acme Ltd, Nairobi office",
  purpose: "Scope 2, Q2 2026 consumption",
  redeemAs: "D-REC",
  preparedAt: "2026-06-01T12:00:00.000Z",
};

describe("certificates: claim details and their hash", () => {
  it("writes JSON with sorted keys and no whitespace, whatever order the members were given in", () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null, "x"], c: "é" } })).to.equal('{"a":{"c":"é","d":[true,null,"x"]},"b":1}');
    const reversed = Object.fromEntries(Object.entries(details).reverse());
    expect(canonicalJson(reversed)).to.equal(canonicalJson(details));
  });

  it("writes bigints as decimal strings and leaves undefined members out", () => {
    expect(canonicalJson({ wh: 2n ** 70n, gone: undefined, list: [undefined] })).to.equal(`{"list":[null],"wh":"${(2n ** 70n).toString()}"}`);
  });

  it("refuses values JSON cannot carry exactly", () => {
    expect(() => canonicalJson({ x: Number.NaN })).to.throw(TypeError);
    expect(() => canonicalJson({ f: () => 1 })).to.throw(TypeError);
  });

  it("hashes the UTF-8 bytes of the canonical text with keccak256", () => {
    const text = canonicalJson(details);
    expect(text.startsWith('{"amountWh":"1500","beneficiary":')).to.equal(true);
    expect(claimDetailsHash(details)).to.equal(keccak256(toBytes(text)));
  });

  it("changes the hash when any detail changes, including the claim id", () => {
    const hash = claimDetailsHash(details);
    const variants: ClaimDetails[] = [
      { ...details, amountWh: "1501" },
      { ...details, beneficiary: "Acme Ltd" },
      { ...details, purpose: "Scope 2" },
      { ...details, redeemAs: "I-REC" },
      { ...details, holder: "0x0000000000000000000000000000000000000001" },
      { ...details, preparedAt: "2026-06-01T12:00:01.000Z" },
      { ...details, claimId: "0b7e4a52-91c3-4f0d-8e26-7d5a3c1f9b40" },
    ];
    const hashes = new Set(variants.map(claimDetailsHash));
    expect(hashes.size).to.equal(variants.length);
    expect(hashes.has(hash)).to.equal(false);
  });
});
