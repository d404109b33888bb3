import { verifyMessage, type Address, type Hex } from "viem";

/**
 * Proof of control of an address: the organisation signs (EIP-191 personal_sign) a one-time message the
 * server wrote. Pure: the routes store the message and look up challenges; nothing here does I/O.
 */
export const PLATFORM_NAME = "Energy attribute certificate registry";
export const CHALLENGE_TTL_MS = 10 * 60_000;

export interface ChallengeTerms {
  organisationId: string;
  organisationName: string;
  address: Address;
  nonce: string;
  expiresAt: Date;
}

/** The text a wallet shows its owner before signing, so it says plainly what the signature is for. */
export function challengeMessage(terms: ChallengeTerms): string {
  // A name is user input: control characters could fake extra lines in what the wallet displays.
  const name = terms.organisationName.replace(/[\u0000-\u001f\u007f]/g, " ");
  return [
    `${PLATFORM_NAME}: wallet binding`,
    "",
    `Sign to prove that you control ${terms.address} and to bind it to the organisation "${name}".`,
    "Signing sends no transaction, costs no gas and authorises no payment.",
    "",
    `Organisation: ${name}`,
    `Organisation ID: ${terms.organisationId}`,
    `Address: ${terms.address}`,
    `Nonce: ${terms.nonce}`,
    `Expires: ${terms.expiresAt.toISOString()}`,
  ].join("\n");
}

export type ChallengeState = "usable" | "used" | "expired";

export function challengeState(challenge: { expiresAt: string; usedAt: string | null }, now: Date): ChallengeState {
  if (challenge.usedAt !== null) return "used";
  return new Date(challenge.expiresAt).getTime() <= now.getTime() ? "expired" : "usable";
}

export type SignatureVerdict = "valid" | "wrong-signer" | "malformed";

/** Whether `signature` is `address`'s EIP-191 signature of exactly `message`. */
export async function verifyChallengeSignature(address: Address, message: string, signature: Hex): Promise<SignatureVerdict> {
  try {
    return (await verifyMessage({ address, message, signature })) ? "valid" : "wrong-signer";
  } catch {
    // viem throws on bytes that are no signature at all (r or s out of range, a bad recovery byte).
    return "malformed";
  }
}
