import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { PublicClient } from "viem";

import { requireOrganisationType, requirePermission } from "../auth/authenticate";
import type { Principal } from "../auth/permissions";
import type { Db } from "../db/database";
import { principalOf, type AppEnv } from "../http/env";
import { json, jsonBody, problemResponses, SECURED } from "../http/openapi";
import { problem } from "../http/problem";
import { CertificateIdParams } from "../chain/apiSchemas";
import { decodeCursor } from "../chain/pagination";
import { uuidOfChainRef } from "../chain/refs";
import { buildEvidenceTree, EVIDENCE_LEAF_ENCODING } from "../issuance/evidence";
import { publishedLeaves } from "../issuance/evidenceStore";
import type { IRecRegistry } from "../issuance/irec/registry";
import { simulatedIRecRegistry } from "../issuance/irec/simulated";
import type { KeyVault } from "../wallets/vault";
import { managedWalletAccount } from "../wallets/managed";
import {
  CertificateDetailSchema,
  CertificateListQuerySchema,
  CertificatePageSchema,
  ClaimBodySchema,
  ClaimDetailsBodySchema,
  ClaimDetailsResultSchema,
  ClaimSchema,
  EvidenceSchema,
} from "./apiSchemas";
import { claimFromManagedWallet, prepareSelfCustodyClaim, type ClaimDeps, type Refusal } from "./claims";
import { tokenMetadata } from "./tokenMetadata";
import { claimsOf, findCertificate, listCertificates, organisationWallets, type CertificateScope } from "./store";
import { certificateDetailView, certificateView, claimView } from "./views";

export interface CertificatesDeps {
  db: Db;
  publicClient: PublicClient;
  registryAddress: `0x${string}`;
  vault: KeyVault;
  clock: () => Date;
  /** The I-REC registry redemptions go to; the simulated local one by default. */
  irec?: IRecRegistry;
}

const TAGS = ["certificates"];
const guarded = { security: SECURED, tags: TAGS };

const WHO_SEES =
  "Buyers see their reservations' certificates and any their wallets hold or held; developers the certificates their devices " +
  "contributed to (with only their own devices' contributions); platform administrators and auditors all of them. " +
  "Owned and claimed Wh come from the indexer's mirror and trail the chain by its confirmations.";

const listRoute = createRoute({
  ...guarded,
  middleware: [requirePermission("certificates", "READ")] as const,
  method: "get",
  path: "/certificates",
  summary: "D-REC certificates with per-device contributions, filtered, newest generation first",
  description: WHO_SEES,
  request: { query: CertificateListQuerySchema },
  responses: { 200: json(CertificatePageSchema, "One page of certificates"), ...problemResponses(400, 401, 403) },
});

const detailRoute = createRoute({
  ...guarded,
  middleware: [requirePermission("certificates", "READ")] as const,
  method: "get",
  path: "/certificates/{id}",
  summary: "A D-REC certificate in detail: contributions, evidence root, developer, buyer wallet, published claims",
  description: WHO_SEES,
  request: { params: CertificateIdParams, query: CertificateListQuerySchema.pick({ wallet: true }) },
  responses: { 200: json(CertificateDetailSchema, "The certificate"), ...problemResponses(400, 401, 403, 404) },
});

const evidenceRoute = createRoute({
  method: "get",
  path: "/certificates/{id}/evidence",
  tags: TAGS,
  summary: "Public: a certificate's evidence leaves, their Merkle root and each leaf's proof",
  description:
    "No credentials needed. Each leaf is one device's verified generation: `(deviceId, start, end, wh)` ABI-encoded as " +
    "`leafEncoding`, hashed as OpenZeppelin's standard Merkle tree does (`keccak256(bytes.concat(keccak256(abi.encode(...))))`, " +
    "sorted pairs). The root equals the `evidence` of the certificate's `CertificateIssued` event, so anyone can prove one " +
    "device's contribution against the chain, off chain or with `MerkleProof.verify`.",
  request: { params: CertificateIdParams },
  responses: { 200: json(EvidenceSchema, "The evidence"), ...problemResponses(400, 404) },
});

const metadataRoute = createRoute({
  method: "get",
  path: "/metadata/{id}",
  tags: TAGS,
  summary: "Public: ERC-1155 metadata JSON of any registry token (where the registry's uri(id) points)",
  description:
    "Name, description, `decimals` 0 (one unit is one Wh) and `properties`. A D-REC's carry the D-REC certificate structure: " +
    "version, buyer reservation, beneficiary, standard issuance requested/issued, device ids, the device group, group id and, " +
    "once issued, the I-REC serial range. A GC bundle's (production, storage discharge, imported) carry its seed 003 id, hour, " +
    "Wh, certificate id range and EnergyTag attributes. A token a holder split off on chain shows its ancestor's fields with " +
    "its own `volumeWh` and `splitFrom`.",
  request: { params: CertificateIdParams },
  responses: { 200: json(z.record(z.string(), z.unknown()), "The token's metadata"), ...problemResponses(400, 404) },
});

const claimRoute = createRoute({
  ...guarded,
  middleware: [requirePermission("certificates", "WRITE"), requireOrganisationType("buyer")] as const,
  method: "post",
  path: "/certificates/{id}/claim",
  summary: "Claim (retire) Wh of a certificate from your organisation's managed wallet, as D-REC or I-REC",
  description:
    "Burns `amountWh` from the buyer organisation's managed wallet and adds it to that wallet's claimed ledger, with the " +
    "beneficiary on chain and `detailsHash` = keccak256 of the canonical JSON of the claim details (published here). " +
    "`redeemAs: I-REC` (the certificate must be I-REC issued) then redeems the burned Wh at the I-REC registry, with the claim's " +
    "id as idempotency key, and answers the redeemed serials in `irec`; `redeemAs: D-REC` of an I-REC-issued certificate has " +
    "the same serials cancelled there as redeemed elsewhere, so they are not live twice. Should the I-REC registry not answer, " +
    "the claim is `redemption-pending` (the burn stands) and the call is retried until it is done. Provisional certificates, amounts " +
    "beyond the wallet's balance and anything else the chain refuses (a paused registry) get 409, with nothing burned, redeemed " +
    "or stored.\n\n" +
    "**Self-custody wallets** claim with the registry's standard call, " +
    "`claim(address holder, uint256 id, uint256 amount, string beneficiary, bytes32 detailsHash)`, sent by the holder (or an " +
    "approved operator). Get `detailsHash` from POST /certificates/{id}/claim-details first, so the details behind it are published.",
  request: { params: CertificateIdParams, ...jsonBody(ClaimBodySchema) },
  responses: { 201: json(ClaimSchema, "The claim, burned on chain: `confirmed`, or `redemption-pending`"), ...problemResponses(400, 401, 403, 404, 409) },
});

const claimDetailsRoute = createRoute({
  ...guarded,
  middleware: [requirePermission("certificates", "WRITE"), requireOrganisationType("buyer")] as const,
  method: "post",
  path: "/certificates/{id}/claim-details",
  summary: "Publish the details of a claim you will send from your own wallet, and get the hash to send with it",
  description:
    "For self-custody wallets (bound to your organisation). Checks the wallet's balance on chain, stores the details and " +
    "answers `detailsHash` with the exact `claim(...)` call to send. D-REC only: an I-REC redemption goes through " +
    "POST /certificates/{id}/claim, where the platform sees the claim through.",
  request: { params: CertificateIdParams, ...jsonBody(ClaimDetailsBodySchema) },
  responses: { 201: json(ClaimDetailsResultSchema, "The published details and the call to send"), ...problemResponses(400, 401, 403, 404, 409) },
});

/** Whose certificates `principal` sees. */
export function scopeOf(db: Db, principal: Principal): CertificateScope {
  if (principal.organisationType === "admin" || principal.organisationType === "auditor") return { kind: "all" };
  if (principal.organisationType === "developer") return { kind: "developer", organisationId: principal.organisationId };
  return { kind: "buyer", organisationId: principal.organisationId, wallets: organisationWallets(db, principal.organisationId) };
}

const noSuchCertificate = (c: Context) => problem(c, 404, "Not found", "No such certificate.");
const refuse = (c: Context, refusal: Refusal) => problem(c, refusal.status, refusal.title, refusal.detail, refusal.errors);
const isoMs = (value: string | undefined) => (value === undefined ? undefined : Date.parse(value));

export function registerCertificates(app: OpenAPIHono<AppEnv>, deps: CertificatesDeps): void {
  const { db } = deps;
  const claimDeps: ClaimDeps = { ...deps, irec: deps.irec ?? simulatedIRecRegistry(db, deps.clock) };

  app.openapi(listRoute, (c) => {
    const query = c.req.valid("query");
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ["n", "s"]);
    const errors = [];
    if (query.cursor !== undefined && !after) errors.push({ field: "query.cursor", message: "is not a cursor of this list" });
    const from = isoMs(query.from);
    const to = isoMs(query.to);
    if (from !== undefined && to !== undefined && from > to) errors.push({ field: "query.to", message: "must not be before from" });
    if (errors.length > 0) return problem(c, 400, "Invalid request", "The request query is not valid.", errors);
    const page = listCertificates(db, scopeOf(db, principalOf(c)), { ...query, from, to, after });
    return c.json({ items: page.items.map(certificateView), nextCursor: page.nextCursor }, 200);
  });

  app.openapi(detailRoute, (c) => {
    const principal = principalOf(c);
    const scope = scopeOf(db, principal);
    const record = findCertificate(db, scope, c.req.valid("param").id, c.req.valid("query").wallet);
    if (!record) return noSuchCertificate(c);
    // Claim details are the buyer's: developers see the claimed total, not what it was claimed for.
    const claims = scope.kind === "developer" ? [] : claimsOf(db, record.certificateId, scope.kind === "buyer" ? scope.organisationId : undefined);
    return c.json(certificateDetailView(record, claims.map(claimView)), 200);
  });

  app.openapi(evidenceRoute, (c) => {
    const { id } = c.req.valid("param");
    const leaves = publishedLeaves(db, BigInt(id));
    if (!leaves || leaves.length === 0) return noSuchCertificate(c);
    const tree = buildEvidenceTree(leaves);
    const proofs = new Map<string, `0x${string}`[]>();
    for (const deviceId of new Set(leaves.map((leaf) => leaf.deviceId))) {
      for (const { leaf, proof } of tree.proofsFor(deviceId)) proofs.set(`${leaf.deviceId}|${leaf.start}`, proof);
    }
    return c.json(
      {
        certificateId: id,
        root: tree.root,
        leafEncoding: EVIDENCE_LEAF_ENCODING,
        leaves: leaves.map((leaf) => ({
          deviceId: leaf.deviceId,
          device: uuidOfChainRef(leaf.deviceId) ?? null,
          start: Number(leaf.start),
          end: Number(leaf.end),
          wh: leaf.wh.toString(),
          proof: proofs.get(`${leaf.deviceId}|${leaf.start}`)!,
        })),
      },
      200,
    );
  });

  app.openapi(metadataRoute, (c) => {
    const metadata = tokenMetadata(db, c.req.valid("param").id);
    if (!metadata) return problem(c, 404, "Not found", "No certificate of this registry has this token id.");
    return c.json(metadata, 200);
  });

  app.openapi(claimRoute, async (c) => {
    const principal = principalOf(c);
    const record = findCertificate(db, scopeOf(db, principal), c.req.valid("param").id);
    if (!record) return noSuchCertificate(c);
    const account = managedWalletAccount(deps, principal.organisationId);
    if (!account) {
      return problem(c, 409, "No managed wallet", "Your organisation has no managed wallet to claim from: create one with POST /organisation/managed-wallet, or claim from your own wallet (see POST /certificates/{id}/claim-details).");
    }
    const body = c.req.valid("json");
    const outcome = await claimFromManagedWallet(claimDeps, account, principal, record, { ...body, amountWh: BigInt(body.amountWh) });
    if ("status" in outcome) return refuse(c, outcome);
    return c.json(claimView(outcome.claim), 201);
  });

  app.openapi(claimDetailsRoute, async (c) => {
    const principal = principalOf(c);
    const record = findCertificate(db, scopeOf(db, principal), c.req.valid("param").id);
    if (!record) return noSuchCertificate(c);
    const body = c.req.valid("json");
    if (!organisationWallets(db, principal.organisationId).includes(body.holder)) {
      return problem(c, 400, "Invalid request", "The holder must be one of your organisation's wallets.", [
        { field: "body.holder", message: "is not a wallet of your organisation (bind it with POST /organisation/wallets)" },
      ]);
    }
    const holder = body.holder as `0x${string}`;
    const outcome = await prepareSelfCustodyClaim(claimDeps, holder, principal, record, { ...body, amountWh: BigInt(body.amountWh) });
    if ("status" in outcome) return refuse(c, outcome);
    const claim = claimView(outcome.claim);
    return c.json(
      {
        claim,
        call: {
          function: "claim(address holder, uint256 id, uint256 amount, string beneficiary, bytes32 detailsHash)",
          args: { holder, id: record.certificateId, amount: claim.amountWh, beneficiary: body.beneficiary, detailsHash: claim.detailsHash },
        },
      },
      201,
    );
  });
}
