/**
 * Shared setup for the indexer tests: a registry deployed with the contract-test fixtures (ethers, on
 * the in-process Hardhat network), the viem client the indexer reads it with, mirror databases, and a
 * dump of the mirror for comparing two databases row by row.
 */
import { ethers } from "hardhat";
import { openDatabase, type RegistryDatabase } from "../../server/db/database";
import { startFollower, type FollowerOptions } from "../../indexer/follower";
import type { ChainReader } from "../../indexer/sync/chainReader";
import { inProcessChain } from "../support/chain";
import { CertificateKind, DAY, Standard, deployRegistry, now } from "../support/registry";
import {
  certificate,
  freshRef,
  reserve,
  submit,
  voucher,
  type Account,
  type Deployment,
  type Hex,
} from "../support/fixtures";

export interface IndexerWorld extends Deployment {
  address: Hex;
  deployBlock: bigint;
  client: ChainReader;
  databases: RegistryDatabase[];
  /** A new in-memory mirror database (closed by {closeWorld}). */
  database(): RegistryDatabase;
  /** A follower on `db` that only syncs when asked (no polling during the test). */
  follower(db: RegistryDatabase, overrides?: Partial<FollowerOptions>): ReturnType<typeof startFollower>;
}

export async function indexerWorld(): Promise<IndexerWorld> {
  const d = await deployRegistry();
  const address = (await d.registry.getAddress()) as Hex;
  const receipt = await d.registry.deploymentTransaction()!.wait();
  const client = (await inProcessChain()).publicClient;
  const databases: RegistryDatabase[] = [];
  return {
    ...d,
    address,
    deployBlock: BigInt(receipt!.blockNumber),
    client,
    databases,
    database() {
      const database = openDatabase(":memory:");
      databases.push(database);
      return database;
    },
    follower(db, overrides = {}) {
      return startFollower({
        client,
        db: db.db,
        registryAddress: address,
        deployBlock: BigInt(receipt!.blockNumber),
        confirmations: 0,
        pollIntervalMs: 3_600_000,
        ...overrides,
      });
    },
  };
}

export function closeWorld(world: IndexerWorld): void {
  for (const database of world.databases) database.close();
}

/** Indexes to the head with a fresh follower and stops it. */
export async function syncToHead(world: IndexerWorld, db: RegistryDatabase, overrides: Partial<FollowerOptions> = {}) {
  const follower = world.follower(db, overrides);
  try {
    return await follower.syncOnce();
  } finally {
    await follower.stop();
  }
}

/** A fresh database indexed from the deployment to the head: what every other mirror must equal. */
export async function freshMirror(world: IndexerWorld): Promise<MirrorDump> {
  const db = world.database();
  await syncToHead(world, db);
  return dumpMirror(db);
}

/**
 * Every mirror table's rows in primary-key order. chain_blocks is left out: which headers are remembered
 * depends on how the ranges fell, not on the chain; the checkpoint's write time too.
 */
export const MIRROR_TABLES: Record<string, string> = {
  chain_checkpoint: "SELECT block_number, block_hash FROM chain_checkpoint",
  chain_raw_logs: "SELECT * FROM chain_raw_logs ORDER BY block_number, log_index",
  chain_certificates: "SELECT * FROM chain_certificates ORDER BY id",
  chain_balances: "SELECT * FROM chain_balances ORDER BY holder, certificate_id",
  chain_transfers: "SELECT * FROM chain_transfers ORDER BY block_number, log_index, batch_index",
  chain_retirements: "SELECT * FROM chain_retirements ORDER BY block_number, log_index",
  chain_splits: "SELECT * FROM chain_splits ORDER BY block_number, log_index",
  chain_vouchers: "SELECT * FROM chain_vouchers ORDER BY nonce",
  chain_reservations: "SELECT * FROM chain_reservations ORDER BY reservation_id",
  chain_reservation_devices: "SELECT * FROM chain_reservation_devices ORDER BY block_number, log_index",
  chain_reservation_events: "SELECT * FROM chain_reservation_events ORDER BY block_number, log_index",
};
export type MirrorDump = Record<string, unknown[]>;

export function dumpMirror(database: RegistryDatabase): MirrorDump {
  return Object.fromEntries(Object.entries(MIRROR_TABLES).map(([table, query]) => [table, database.sqlite.prepare(query).all()]));
}

// ---------------------------------------------------------------- chain activity

/** Issues `amounts.length` GC certificates of a new device to `to` in one voucher; returns their ids. */
export async function issueGc(world: IndexerWorld, to: Account, amounts: bigint[], kind: CertificateKind = CertificateKind.GranularCertificate): Promise<bigint[]> {
  const device = freshRef("device");
  const end = await now();
  const certificates = amounts.map((amount, i) => certificate(device, end - BigInt(amounts.length - i) * 3600n, end - BigInt(amounts.length - i - 1) * 3600n, amount));
  return (await submit(world, voucher(to, kind, certificates))).ids;
}

/**
 * A bit of everything the registry does, in separate transactions: GC issuance at n = 1 and n = 3,
 * single and batch transfers, a claim, a multi-id retirement, splits at n = 1 and n = 2, a revocation, a
 * reservation with devices added and removed, a D-REC issued against it, the reservation's end.
 */
export async function mixedActivity(world: IndexerWorld, label = "a"): Promise<void> {
  const { registry, buyer, other, recorder, admin } = world;
  const [single] = await issueGc(world, buyer, [5_000n]);
  const batch = await issueGc(world, buyer, [1_000n, 2_000n, 3_000n]);
  await (await registry.connect(buyer).safeTransferFrom(buyer.address, other.address, batch[0], 400n, "0x")).wait();
  await (await registry.connect(buyer).safeBatchTransferFrom(buyer.address, other.address, [batch[1], batch[2]], [500n, 600n], "0x")).wait();
  await (await registry.connect(other).claim(other.address, batch[0], 100n, `Beneficiary ${label}`, ethers.id(`claim ${label}`))).wait();
  await (await registry.connect(buyer).retireBatch(buyer.address, [batch[1], batch[2]], [10n, 20n], 3, "", ethers.id(`export ${label}`))).wait();
  await (await registry.connect(buyer).split(buyer.address, single, [1_500n])).wait();
  await (await registry.connect(buyer).split(buyer.address, batch[0], [100n, 200n])).wait();
  await (await registry.connect(admin).revoke(batch[2], ethers.id(`invalid ${label}`))).wait();

  const devices = [freshRef("device"), freshRef("device")];
  const t = await now();
  const reservation = await reserve(world, { buyer, start: t - 5n * DAY, end: t + 5n * DAY, targetWh: 10_000n, canExceedTarget: true, devices });
  await (await registry.connect(recorder).addDevices(reservation.id, [freshRef("device")])).wait();
  await (await registry.connect(recorder).removeDevices(reservation.id, [devices[0]])).wait();
  await submit(world, voucher(buyer, CertificateKind.DRec, [certificate(reservation.id, t - 2n * DAY, t - DAY, 4_000n)]));
  await (await registry.connect(recorder).endReservation(reservation.id)).wait();
}

/**
 * Provisional certificates: a new I-REC reservation of `world.buyer` and one D-REC per amount minted against
 * it in one voucher, over consecutive days ending now; returns their ids.
 */
export async function issueIRec(world: IndexerWorld, amounts: bigint[]): Promise<bigint[]> {
  const t = await now();
  const reservation = await reserve(world, { buyer: world.buyer, start: t - 10n * DAY, end: t + 10n * DAY, standard: Standard.IRec, canExceedTarget: true });
  const day = (i: number) => t - BigInt(amounts.length - i) * DAY;
  const certificates = amounts.map((amount, i) => certificate(reservation.id, day(i), day(i) + DAY, amount));
  return (await submit(world, voucher(world.buyer, CertificateKind.DRec, certificates))).ids;
}

/**
 * The I-REC life cycle, in separate transactions: three provisional D-RECs; serials recorded for the first,
 * which then moves; the second revoked while provisional; the third left waiting.
 */
export async function irecActivity(world: IndexerWorld, label = "a"): Promise<{ recorded: bigint; revoked: bigint; waiting: bigint; serials: [string, string] }> {
  const { registry, issuer, admin, buyer, other } = world;
  const [recorded, revoked, waiting] = await issueIRec(world, [1_000n, 2_000n, 3_000n]);
  const serials: [string, string] = [`IREC-${label}-000001`, `IREC-${label}-001000`];
  await (await registry.connect(issuer).recordStandardSerials(recorded, ...serials)).wait();
  await (await registry.connect(buyer).safeTransferFrom(buyer.address, other.address, recorded, 100n, "0x")).wait();
  await (await registry.connect(admin).revoke(revoked, ethers.id(`refused by the I-REC registry ${label}`))).wait();
  return { recorded, revoked, waiting, serials };
}
