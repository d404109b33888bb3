import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { expect } from "chai";
import { generatePrivateKey } from "viem/accounts";
import { createKeyVault, decryptPrivateKey, encryptPrivateKey, KeyVaultError, parseMasterKey } from "../../server/wallets/vault";

const ORG = "6f1c2a0e-3b55-4c1e-9a57-0f0c5d7a1b22";
const OTHER_ORG = "0b7e8f5c-1d2a-4e3b-8c9d-a1b2c3d4e5f6";

/** Flips one bit of byte `index` in part `part` (1 = IV, 2 = ciphertext, 3 = tag) of a sealed key. */
function flipByte(sealed: string, part: 1 | 2 | 3, index = 0): string {
  const parts = sealed.split(".");
  const bytes = Buffer.from(parts[part], "base64url");
  bytes[index] ^= 0x01;
  parts[part] = bytes.toString("base64url");
  return parts.join(".");
}

describe("key vault (AES-256-GCM sealing of managed-wallet keys)", () => {
  const masterKey = randomBytes(32);
  const privateKey = generatePrivateKey();

  it("opens what it sealed, and seals the same key differently each time (random IV)", () => {
    const first = encryptPrivateKey(masterKey, ORG, privateKey);
    const second = encryptPrivateKey(masterKey, ORG, privateKey);
    expect(first).to.match(/^v1\.[\w-]{16}\.[\w-]{43}\.[\w-]{22}$/);
    expect(first).to.not.equal(second);
    expect(first.split(".")[1]).to.not.equal(second.split(".")[1]);
    expect(decryptPrivateKey(masterKey, ORG, first)).to.equal(privateKey);
    expect(decryptPrivateKey(masterKey, ORG, second)).to.equal(privateKey);
    expect(first.toLowerCase()).to.not.include(privateKey.slice(2).toLowerCase());
  });

  for (const [name, part] of [["IV", 1], ["ciphertext", 2], ["tag", 3]] as const) {
    it(`detects a flipped byte in the ${name}`, () => {
      const sealed = encryptPrivateKey(masterKey, ORG, privateKey);
      for (const index of [0, 5, 11]) {
        expect(() => decryptPrivateKey(masterKey, ORG, flipByte(sealed, part, index))).to.throw(KeyVaultError, /failed authentication/);
      }
    });
  }

  it("refuses to open a key sealed for another organisation (the organisation id is authenticated data)", () => {
    const sealed = encryptPrivateKey(masterKey, ORG, privateKey);
    expect(() => decryptPrivateKey(masterKey, OTHER_ORG, sealed)).to.throw(KeyVaultError, /failed authentication/);
  });

  it("refuses to open a key under another master key", () => {
    const sealed = encryptPrivateKey(masterKey, ORG, privateKey);
    expect(() => decryptPrivateKey(randomBytes(32), ORG, sealed)).to.throw(KeyVaultError, /failed authentication/);
  });

  it("refuses sealed values that are not in its format, naming what is wrong", () => {
    const sealed = encryptPrivateKey(masterKey, ORG, privateKey);
    const [, iv, ciphertext, tag] = sealed.split(".");
    expect(() => decryptPrivateKey(masterKey, ORG, `v2.${iv}.${ciphertext}.${tag}`)).to.throw(KeyVaultError, /v1\.<iv>/);
    expect(() => decryptPrivateKey(masterKey, ORG, `v1.${iv}.${ciphertext}`)).to.throw(KeyVaultError, /v1\.<iv>/);
    expect(() => decryptPrivateKey(masterKey, ORG, `v1.${iv}.${ciphertext}.${tag.slice(0, 10)}`)).to.throw(KeyVaultError, /wrong length/);
    expect(() => decryptPrivateKey(masterKey, ORG, `v1.${iv.slice(0, 8)}.${ciphertext}.${tag}`)).to.throw(KeyVaultError, /wrong length/);
  });

  it("refuses master keys that are not 32 bytes, and plaintexts that are not private keys", () => {
    expect(() => encryptPrivateKey(randomBytes(16), ORG, privateKey)).to.throw(KeyVaultError, /MASTER_KEY must be 32 bytes, not 16/);
    expect(() => createKeyVault(randomBytes(31))).to.throw(KeyVaultError, /MASTER_KEY/);
    expect(() => encryptPrivateKey(masterKey, ORG, "0x1234")).to.throw(KeyVaultError, /32 bytes/);
  });

  it("keeps its own copy of the master key and never shows it", () => {
    const given = Buffer.from(masterKey);
    const vault = createKeyVault(given);
    const sealed = vault.seal(ORG, privateKey);
    given.fill(0);
    expect(vault.open(ORG, sealed)).to.equal(privateKey);
    expect(decryptPrivateKey(masterKey, ORG, sealed)).to.equal(privateKey);
    const shown = `${inspect(vault, { showHidden: true, depth: 5 })}${JSON.stringify(vault)}`;
    expect(shown).to.not.include(masterKey.toString("hex"));
    expect(shown).to.not.include(masterKey.toString("base64"));
  });

  it("reads MASTER_KEY as hex (with or without 0x) or base64, and nothing else", () => {
    const hex = masterKey.toString("hex");
    expect(parseMasterKey(hex)).to.deep.equal(masterKey);
    expect(parseMasterKey(`0x${hex.toUpperCase()}`)).to.deep.equal(masterKey);
    expect(parseMasterKey(masterKey.toString("base64"))).to.deep.equal(masterKey);
    expect(parseMasterKey(masterKey.toString("base64url"))).to.deep.equal(masterKey);
    expect(parseMasterKey(hex.slice(2))).to.equal(undefined);
    expect(parseMasterKey(randomBytes(16).toString("base64"))).to.equal(undefined);
    expect(parseMasterKey(randomBytes(33).toString("base64"))).to.equal(undefined);
    expect(parseMasterKey("correct horse battery staple")).to.equal(undefined);
  });
});
