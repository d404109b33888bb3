import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** A random, URL-safe secret with 256 bits of entropy. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/** SHA-256 in hex: enough for high-entropy random secrets, which need no slow KDF. */
export function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

export function equalHex(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && timingSafeEqual(left, right);
}
