import { randomBytes, randomUUID } from "node:crypto";
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { and, asc, eq, isNull, lte } from "drizzle-orm";
import type { Context } from "hono";
import { getAddress, isAddress, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";

import { requirePermission, requireSession } from "../auth/authenticate";
import { canChangeOrganisation, canReadOrganisation } from "../auth/permissions";
import { organisations } from "../auth/schema";
import type { Db } from "../db/database";
import { principalOf, type AppEnv } from "../http/env";
import { json, jsonBody, OrganisationQuerySchema, problemResponses, SECURED } from "../http/openapi";
import { problem } from "../http/problem";
import { CHALLENGE_TTL_MS, challengeMessage, challengeState, verifyChallengeSignature } from "./challenge";
import { WALLET_KINDS, walletChallenges, wallets } from "./schema";
import type { KeyVault } from "./vault";

export interface WalletDeps {
  db: Db;
  vault: KeyVault;
  clock: () => Date;
  fundManagedWallet?: (address: `0x${string}`) => Promise<void>;
}

export const WalletAddressSchema = z
  .string()
  .refine((value) => isAddress(value), "must be a 0x-prefixed 20-byte address (mixed case must be a valid EIP-55 checksum)")
  .openapi({ example: "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4" });

const WalletSchema = z
  .object({
    address: z.string().openapi({ description: "EIP-55 checksummed" }),
    kind: z.enum(WALLET_KINDS).openapi({ description: "`bound`: proven by a signed challenge; `managed`: key held (sealed) by the platform" }),
    createdAt: z.string(),
  })
  .openapi("Wallet");

const ChallengeSchema = z
  .object({
    challengeId: z.string(),
    address: z.string(),
    message: z.string().openapi({ description: "Sign exactly this text with personal_sign (EIP-191)" }),
    expiresAt: z.string(),
  })
  .openapi("WalletChallenge");

const listRoute = createRoute({
  method: "get",
  path: "/organisation/wallets",
  tags: ["wallets"],
  summary: "The organisation's bound and managed wallets (never key material)",
  description: "Platform administrators and auditors may name any organisation with `organisationId`.",
  security: SECURED,
  middleware: [requirePermission("organisation", "READ")] as const,
  request: { query: OrganisationQuerySchema },
  responses: {
    200: json(z.object({ organisationId: z.string(), wallets: z.array(WalletSchema) }), "The wallets, oldest first"),
    ...problemResponses(400, 401, 403, 404),
  },
});

const challengeRoute = createRoute({
  method: "post",
  path: "/organisation/wallets/challenges",
  tags: ["wallets"],
  summary: "Start binding an address: get a one-time message to sign with it",
  security: SECURED,
  middleware: [requireSession, requirePermission("organisation", "WRITE")] as const,
  request: jsonBody(z.strictObject({ address: WalletAddressSchema })),
  responses: {
    201: json(ChallengeSchema, `A challenge, valid for ${CHALLENGE_TTL_MS / 60_000} minutes and usable once`),
    ...problemResponses(400, 401, 403, 409),
  },
});

const bindRoute = createRoute({
  method: "post",
  path: "/organisation/wallets",
  tags: ["wallets"],
  summary: "Bind an address by sending its signature of a challenge",
  security: SECURED,
  middleware: [requireSession, requirePermission("organisation", "WRITE")] as const,
  request: jsonBody(
    z.strictObject({
      challengeId: z.uuid(),
      signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "must be a 65-byte 0x-prefixed hex signature (r, s, v)"),
    }),
  ),
  responses: {
    201: json(WalletSchema, "The address is bound to the organisation"),
    ...problemResponses(400, 401, 403, 404, 409, 410),
  },
});

const unbindRoute = createRoute({
  method: "delete",
  path: "/organisation/wallets/{address}",
  tags: ["wallets"],
  summary: "Unbind a bound address",
  security: SECURED,
  middleware: [requireSession, requirePermission("organisation", "DELETE")] as const,
  request: { params: z.object({ address: WalletAddressSchema }) },
  responses: {
    204: { description: "Unbound" },
    ...problemResponses(400, 401, 403, 404, 409),
  },
});

const managedRoute = createRoute({
  method: "post",
  path: "/organisation/managed-wallet",
  tags: ["wallets"],
  summary: "Create the organisation's managed wallet: a developer's pays issuance gas, a buyer's receives and claims certificates",
  description: "The platform generates the key and keeps it sealed (AES-256-GCM); only the address is ever returned. Buyers without a wallet of their own use it as a reservation's wallet and claim from it through the API.",
  security: SECURED,
  middleware: [requireSession, requirePermission("organisation", "WRITE")] as const,
  responses: {
    201: json(WalletSchema, "The managed wallet's address"),
    ...problemResponses(401, 403, 409),
  },
});

export function registerWallets(app: OpenAPIHono<AppEnv>, deps: WalletDeps): void {
  const { db } = deps;
  const walletColumns = { address: wallets.address, kind: wallets.kind, createdAt: wallets.createdAt };
  const walletAt = (address: Address) =>
    db.select({ ...walletColumns, organisationId: wallets.organisationId }).from(wallets).where(eq(wallets.address, address)).get();
  const alreadyBound = (c: Context, field: string, ownerId: string, callerOrganisationId: string) => {
    const whose = ownerId === callerOrganisationId ? "your organisation" : "another organisation";
    return problem(c, 409, "Address already bound", `The address is bound to ${whose}.`, [{ field, message: `is bound to ${whose} already` }]);
  };

  app.openapi(listRoute, (c) => {
    const principal = principalOf(c);
    const organisationId = c.req.valid("query").organisationId ?? principal.organisationId;
    const exists = db.select({ id: organisations.id }).from(organisations).where(eq(organisations.id, organisationId)).get();
    if (!exists || !canReadOrganisation(principal, organisationId)) {
      return problem(c, 404, "Not found", "No such organisation.", [{ field: "query.organisationId", message: "no such organisation" }]);
    }
    const rows = db.select(walletColumns).from(wallets).where(eq(wallets.organisationId, organisationId)).orderBy(asc(wallets.createdAt), asc(wallets.address)).all();
    return c.json({ organisationId, wallets: rows }, 200);
  });

  app.openapi(challengeRoute, (c) => {
    const principal = principalOf(c);
    const address = getAddress(c.req.valid("json").address);
    const owner = walletAt(address);
    if (owner) return alreadyBound(c, "body.address", owner.organisationId, principal.organisationId);
    const organisation = db.select().from(organisations).where(eq(organisations.id, principal.organisationId)).get()!;
    const now = deps.clock();
    const expiresAt = new Date(now.getTime() + CHALLENGE_TTL_MS);
    const id = randomUUID();
    const message = challengeMessage({
      organisationId: organisation.id,
      organisationName: organisation.name,
      address,
      nonce: randomBytes(16).toString("hex"),
      expiresAt,
    });
    db.transaction((tx) => {
      // Expired challenges can never be used; dropping them keeps the table as small as the live ones.
      tx.delete(walletChallenges)
        .where(and(eq(walletChallenges.organisationId, organisation.id), isNull(walletChallenges.usedAt), lte(walletChallenges.expiresAt, now.toISOString())))
        .run();
      tx.insert(walletChallenges)
        .values({ id, organisationId: organisation.id, address, message, createdAt: now.toISOString(), expiresAt: expiresAt.toISOString() })
        .run();
    });
    return c.json({ challengeId: id, address, message, expiresAt: expiresAt.toISOString() }, 201);
  });

  app.openapi(bindRoute, async (c) => {
    const principal = principalOf(c);
    const { challengeId, signature } = c.req.valid("json");
    const challenge = db
      .select()
      .from(walletChallenges)
      .where(and(eq(walletChallenges.id, challengeId), eq(walletChallenges.organisationId, principal.organisationId)))
      .get();
    if (!challenge) {
      return problem(c, 404, "Unknown challenge", "No such challenge for your organisation.", [{ field: "body.challengeId", message: "no such challenge" }]);
    }
    const state = challengeState(challenge, deps.clock());
    if (state === "used") return challengeUsed(c);
    if (state === "expired") {
      return problem(c, 410, "Challenge expired", "The challenge expired; ask for a new one.", [{ field: "body.challengeId", message: "expired" }]);
    }
    const address = challenge.address as Address;
    const verdict = await verifyChallengeSignature(address, challenge.message, signature as Hex);
    if (verdict !== "valid") {
      const reason = verdict === "malformed" ? "is not a valid ECDSA signature" : `was not made by ${address} over the challenge message`;
      return problem(c, 400, "Invalid signature", `The signature ${reason}.`, [{ field: "body.signature", message: reason }]);
    }
    // Signature checks are async, so another request may have used the challenge or bound the address meanwhile;
    // this synchronous transaction re-checks both and either binds or writes nothing.
    const now = deps.clock().toISOString();
    const outcome = db.transaction((tx) => {
      const owner = tx.select({ organisationId: wallets.organisationId }).from(wallets).where(eq(wallets.address, address)).get();
      if (owner) return { refused: "bound" as const, ownerId: owner.organisationId };
      const claimed = tx
        .update(walletChallenges)
        .set({ usedAt: now })
        .where(and(eq(walletChallenges.id, challenge.id), isNull(walletChallenges.usedAt)))
        .run();
      if (claimed.changes !== 1) return { refused: "used" as const };
      const wallet = { address, organisationId: challenge.organisationId, kind: "bound" as const, createdBy: principal.userId, createdAt: now };
      tx.insert(wallets).values(wallet).run();
      return { wallet };
    });
    if (outcome.wallet) {
      return c.json({ address: outcome.wallet.address, kind: outcome.wallet.kind, createdAt: outcome.wallet.createdAt }, 201);
    }
    return outcome.refused === "used" ? challengeUsed(c) : alreadyBound(c, "body.challengeId", outcome.ownerId, principal.organisationId);
  });

  app.openapi(unbindRoute, (c) => {
    const principal = principalOf(c);
    const wallet = walletAt(getAddress(c.req.valid("param").address));
    if (!wallet || !canChangeOrganisation(principal, wallet.organisationId)) {
      return problem(c, 404, "Not found", "No such wallet in your organisation.", [{ field: "path.address", message: "no such wallet" }]);
    }
    if (wallet.kind === "managed") {
      return problem(c, 409, "Managed wallet", "A managed wallet pays issuance gas and cannot be unbound.", [
        { field: "path.address", message: "is the organisation's managed wallet" },
      ]);
    }
    db.delete(wallets).where(eq(wallets.address, wallet.address)).run();
    return c.body(null, 204);
  });

  app.openapi(managedRoute, async (c) => {
    const principal = principalOf(c);
    if (principal.organisationType !== "developer" && principal.organisationType !== "buyer") {
      return problem(c, 403, "Forbidden", "Only developer organisations (to pay issuance gas) and buyer organisations (to hold and claim certificates) have a managed wallet.");
    }
    const existing = db
      .select(walletColumns)
      .from(wallets)
      .where(and(eq(wallets.organisationId, principal.organisationId), eq(wallets.kind, "managed")))
      .get();
    if (existing) {
      return problem(c, 409, "Managed wallet exists", `The organisation's managed wallet is ${existing.address}; there is one per organisation.`);
    }
    const privateKey = generatePrivateKey();
    const wallet = {
      address: privateKeyToAddress(privateKey),
      organisationId: principal.organisationId,
      kind: "managed" as const,
      sealedKey: deps.vault.seal(principal.organisationId, privateKey),
      createdBy: principal.userId,
      createdAt: deps.clock().toISOString(),
    };
    db.insert(wallets).values(wallet).run();
    await deps.fundManagedWallet?.(wallet.address);
    return c.json({ address: wallet.address, kind: wallet.kind, createdAt: wallet.createdAt }, 201);
  });
}

function challengeUsed(c: Context) {
  return problem(c, 409, "Challenge used", "The challenge was used already; ask for a new one.", [{ field: "body.challengeId", message: "used already" }]);
}
