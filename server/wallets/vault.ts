import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Hex } from "../config";

/**
 * Sealing of managed-wallet private keys at rest: AES-256-GCM under the platform's master key, a random
 * 12-byte IV per key, and the owning organisation's id as additional authenticated data, so a sealed key
 * copied to another organisation's row fails to open instead of lending that organisation the wallet.
 * No I/O: the functions are pure given the master key.
 */
export const MASTER_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PRIVATE_KEY_BYTES = 32;
// Versioned so the sealing scheme can change without guessing how an older row was sealed.
const FORMAT = "v1";

export class KeyVaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyVaultError";
  }
}

/** Reads a master key given as 32 bytes of hex (with or without 0x) or base64; undefined when it is neither. */
export function parseMasterKey(text: string): Buffer | undefined {
  const hex = /^(?:0x)?([0-9a-fA-F]{64})$/.exec(text);
  if (hex) return Buffer.from(hex[1], "hex");
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64");
  return bytes.length === MASTER_KEY_BYTES ? bytes : undefined;
}

/** Seals a private key as `v1.<iv>.<ciphertext>.<tag>` (base64url parts). */
export function encryptPrivateKey(masterKey: Uint8Array, organisationId: string, privateKey: Hex): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(privateKey)) throw new KeyVaultError("a private key is 32 bytes of 0x-prefixed hex");
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", checkedMasterKey(masterKey), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(organisationId));
  const ciphertext = Buffer.concat([cipher.update(Buffer.from(privateKey.slice(2), "hex")), cipher.final()]);
  return [FORMAT, ...[iv, ciphertext, cipher.getAuthTag()].map((bytes) => bytes.toString("base64url"))].join(".");
}

/** Opens a sealed key; throws KeyVaultError if it was altered, belongs to another organisation or another master key. */
export function decryptPrivateKey(masterKey: Uint8Array, organisationId: string, sealed: string): Hex {
  const parts = sealed.split(".");
  if (parts.length !== 4 || parts[0] !== FORMAT) throw new KeyVaultError(`a sealed key reads ${FORMAT}.<iv>.<ciphertext>.<tag>`);
  const [iv, ciphertext, tag] = parts.slice(1).map((part) => Buffer.from(part, "base64url"));
  if (iv.length !== IV_BYTES || ciphertext.length !== PRIVATE_KEY_BYTES || tag.length !== TAG_BYTES) {
    throw new KeyVaultError("the sealed key has parts of the wrong length");
  }
  const decipher = createDecipheriv("aes-256-gcm", checkedMasterKey(masterKey), iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(associatedData(organisationId));
  decipher.setAuthTag(tag);
  try {
    return `0x${Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("hex")}`;
  } catch {
    throw new KeyVaultError("the sealed key failed authentication: altered, sealed for another organisation, or under another master key");
  }
}

/** The master key bound into an object, so routes can seal and open keys without ever holding the master key. */
export interface KeyVault {
  seal(organisationId: string, privateKey: Hex): string;
  open(organisationId: string, sealed: string): Hex;
}

export function createKeyVault(masterKey: Uint8Array): KeyVault {
  // A private copy: the caller may reuse or wipe its buffer.
  const key = Buffer.from(checkedMasterKey(masterKey));
  return {
    seal: (organisationId, privateKey) => encryptPrivateKey(key, organisationId, privateKey),
    open: (organisationId, sealed) => decryptPrivateKey(key, organisationId, sealed),
  };
}

function checkedMasterKey(masterKey: Uint8Array): Uint8Array {
  if (masterKey.length !== MASTER_KEY_BYTES) throw new KeyVaultError(`MASTER_KEY must be ${MASTER_KEY_BYTES} bytes, not ${masterKey.length}`);
  return masterKey;
}

function associatedData(organisationId: string): Buffer {
  return Buffer.from(`managed-wallet:${FORMAT}:${organisationId}`, "utf8");
}
