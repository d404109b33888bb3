/**
 * Export (seed 000, step 14): bundles leave the registry for another one. They are retired on chain with
 * reason Exported (the destination registry as the beneficiary, the hash of the CSV as the details), marked
 * `exported`, and written as a CSV in the import format (see bundleCsv.ts), kept so it can be fetched again.
 *
 * Like the other bundle operations (server/gc/accounts/operations.ts) it is one registry transaction from
 * the account's managed key, then one database transaction recording the outcome and the action; a refusal
 * by the chain is logged as a failed attempt.
 */
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { keccak256, stringToHex, type Hex } from "viem";
import type { Db } from "../../db/database";
import { RetirementReason } from "../../chain/registryAbi";
import { sendRegistryTransaction, type RegistryConnection } from "../../chain/sendTransaction";
import type { KeyVault } from "../../wallets/vault";
import { gcBundles } from "../schema";
import { recordAction } from "../accounts/actions";
import { bundlesByIds, energyOf, type BundleRow } from "../accounts/bundles";
import { accountSigner } from "../accounts/chain";
import { chainRefusal, conflict, invalid, type Refusal } from "../accounts/refusal";
import type { AccountRow } from "../accounts/store";
import { bundleCsv } from "./bundleCsv";
import { gcExports } from "./schema";
import type { GcTerms } from "./terms";

export interface ExportDeps extends RegistryConnection {
  db: Db;
  vault: KeyVault;
  terms: GcTerms;
}

export interface ExportRequest {
  account: AccountRow;
  actorId: string;
  bundleIds: readonly string[];
  destinationRegistry: string;
  now: number;
}

export type ExportRow = typeof gcExports.$inferSelect;

// Bundles being exported right now: a second request naming one is refused at once instead of by the chain.
const busy = new Set<string>();

export async function exportBundles(deps: ExportDeps, request: ExportRequest): Promise<{ export: ExportRow; bundles: BundleRow[] } | Refusal> {
  const { account, bundleIds } = request;
  const log = (refusal: Refusal, txHash: string | null = null): Refusal => {
    recordAction(deps.db, {
      at: request.now,
      userId: request.actorId,
      accountId: account.id,
      action: "export",
      bundleIds: [...bundleIds],
      details: { destinationRegistry: request.destinationRegistry },
      outcome: "failed",
      error: refusal.detail,
      txHash,
    });
    return refusal;
  };

  const rows = bundlesByIds(deps.db, bundleIds);
  const unknown = bundleIds.flatMap((id, i) => (rows.get(id)?.accountId === account.id ? [] : [{ field: `body.bundleIds[${i}]`, message: "no such bundle in the account" }]));
  if (unknown.length > 0) return { status: 404, title: "Not found", detail: "The account holds no such bundle.", errors: unknown };
  const repeated = bundleIds.flatMap((id, i) => (bundleIds.indexOf(id) !== i ? [{ field: `body.bundleIds[${i}]`, message: "is named twice" }] : []));
  if (repeated.length > 0) return invalid(repeated);
  const inactive = bundleIds.flatMap((id, i) => (rows.get(id)!.status === "active" ? [] : [{ field: `body.bundleIds[${i}]`, message: `is ${rows.get(id)!.status}, not active` }]));
  if (inactive.length > 0) return log(conflict("Bundle not active", "Only active bundles can be exported.", inactive));
  const signer = accountSigner(deps, account);
  if (!signer) return log(conflict("Self-custody account", `The account's key is held by its owner: retire the bundles with reason Exported (retireBatch) from ${account.address} yourself.`));
  if (bundleIds.some((id) => busy.has(id))) return log(conflict("Bundle busy", "Another export of one of these bundles is under way."));

  const bundles = bundleIds.map((id) => rows.get(id)!);
  const csv = bundleCsv(
    bundles.map((bundle) => ({
      sourceRegistry: deps.terms.issuingBody,
      sourceId: bundle.id,
      deviceId: bundle.deviceId,
      startAt: bundle.startAt,
      endAt: bundle.endAt,
      energyWh: energyOf(bundle),
      rangeStart: BigInt(bundle.rangeStart),
      rangeEnd: BigInt(bundle.rangeEnd),
      attributes: bundle.attributes,
    })),
  );
  const detailsHash = keccak256(stringToHex(csv));
  for (const id of bundleIds) busy.add(id);
  try {
    let txHash: Hex;
    try {
      ({ hash: txHash } = await sendRegistryTransaction(deps, signer, "retireBatch", [
        account.address as Hex,
        bundles.map((bundle) => BigInt(bundle.tokenId!)),
        bundles.map(energyOf),
        RetirementReason.Exported,
        request.destinationRegistry,
        detailsHash,
      ]));
    } catch (error) {
      return log(chainRefusal(error, "Export"));
    }
    const row: ExportRow = { id: randomUUID(), accountId: account.id, destinationRegistry: request.destinationRegistry, bundleIds: [...bundleIds], csv, txHash, exportedBy: request.actorId, exportedAt: request.now };
    deps.db.transaction((tx) => {
      for (const id of bundleIds) tx.update(gcBundles).set({ status: "exported", updatedAt: request.now }).where(eq(gcBundles.id, id)).run();
      tx.insert(gcExports).values(row).run();
      recordAction(tx, {
        at: request.now,
        userId: request.actorId,
        accountId: account.id,
        action: "export",
        bundleIds: [...bundleIds],
        details: { exportId: row.id, destinationRegistry: request.destinationRegistry, detailsHash },
        outcome: "succeeded",
        txHash,
      });
    });
    const exported = bundlesByIds(deps.db, bundleIds);
    return { export: row, bundles: bundleIds.map((id) => exported.get(id)!) };
  } finally {
    for (const id of bundleIds) busy.delete(id);
  }
}
