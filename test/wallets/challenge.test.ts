import { expect } from "chai";
import { getAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { challengeMessage, challengeState, verifyChallengeSignature, PLATFORM_NAME } from "../../server/wallets/challenge";

const terms = {
  organisationId: "6f1c2a0e-3b55-4c1e-9a57-0f0c5d7a1b22",
  organisationName: "Sunny Rooftops Ltd",
  address: getAddress("0x5b38da6a701c568545dcfcb03fcb875f56beddc4"),
  nonce: "c0ffee00c0ffee00c0ffee00c0ffee00",
  expiresAt: new Date("2026-06-01T12:10:00Z"),
};

describe("wallet challenge (pure)", () => {
  it("names the platform, the organisation, the address, the nonce and the expiry", () => {
    const message = challengeMessage(terms);
    expect(message.split("\n")[0]).to.equal(`${PLATFORM_NAME}: wallet binding`);
    expect(message).to.include("Organisation: Sunny Rooftops Ltd\n");
    expect(message).to.include(`Organisation ID: ${terms.organisationId}\n`);
    expect(message).to.include("Address: 0x5B38Da6a701c568545dCfcB03FcB875f56beddC4\n");
    expect(message).to.include(`Nonce: ${terms.nonce}\n`);
    expect(message.endsWith("Expires: 2026-06-01T12:10:00.000Z")).to.equal(true);
    expect(challengeMessage(terms)).to.equal(message);
    expect(challengeMessage({ ...terms, nonce: "00" })).to.not.equal(message);
  });

  it("keeps an organisation name from adding lines of its own to the message", () => {
    const message = challengeMessage({ ...terms, organisationName: "Evil\nAddress: 0x0000000000000000000000000000000000000000\r" });
    expect(message.split("\n").filter((line) => line.startsWith("Address:"))).to.deep.equal([`Address: ${terms.address}`]);
    expect(message).to.include("Organisation: Evil Address: 0x0000000000000000000000000000000000000000 \n");
  });

  it("is usable until it expires, and used once used", () => {
    const expiresAt = "2026-06-01T12:10:00.000Z";
    expect(challengeState({ expiresAt, usedAt: null }, new Date("2026-06-01T12:09:59.999Z"))).to.equal("usable");
    expect(challengeState({ expiresAt, usedAt: null }, new Date(expiresAt))).to.equal("expired");
    expect(challengeState({ expiresAt, usedAt: "2026-06-01T12:01:00.000Z" }, new Date("2026-06-01T12:05:00Z"))).to.equal("used");
    expect(challengeState({ expiresAt, usedAt: "2026-06-01T12:01:00.000Z" }, new Date("2026-06-02T00:00:00Z"))).to.equal("used");
  });

  it("accepts only the address's EIP-191 signature of exactly the message", async () => {
    const owner = privateKeyToAccount(generatePrivateKey());
    const message = challengeMessage({ ...terms, address: owner.address });
    const signature = await owner.signMessage({ message });
    expect(await verifyChallengeSignature(owner.address, message, signature)).to.equal("valid");
    expect(await verifyChallengeSignature(owner.address, `${message} `, signature)).to.equal("wrong-signer");
    const stranger = privateKeyToAccount(generatePrivateKey());
    expect(await verifyChallengeSignature(owner.address, message, await stranger.signMessage({ message }))).to.equal("wrong-signer");
    expect(await verifyChallengeSignature(owner.address, message, `0x${"00".repeat(65)}`)).to.equal("malformed");
    expect(await verifyChallengeSignature(owner.address, message, `${signature.slice(0, -2)}05` as `0x${string}`)).to.equal("malformed");
  });
});
