import type { Hex, PublicClient } from "viem";
import { openDatabase, type RegistryDatabase } from "../../server/db/database";
import { startFollower, type Follower } from "../../indexer/follower";
import { bindDeployment } from "../../indexer/store/deployment";
import { evidenceRoot, type EvidenceLeaf } from "../../server/issuance/evidence";
import { readMirror } from "../../server/audit/mirrorReader";
import { runAudit, type AuditSources } from "../../server/audit/runner";
import type { AuditReport } from "../../server/audit/report";
import { CertificateKind, DAY, HOUR, RetirementReason, deployRegistry, now } from "../support/registry";
import { eventsOf, freshRef, reserve, submit, voucher, type Deployment } from "../support/fixtures";
import { inProcessChain } from "../support/chain";
import { MapEvidenceSource } from "./support";

/**
 * A registry on the in-process chain with every kind of activity, its mirror kept by the indexer, and
 * evidence published for every certificate: the clean state the planted-fault tests start from.
 */
export interface AuditWorld {
  d: Deployment;
  database: RegistryDatabase;
  evidence: MapEvidenceSource;
  client: PublicClient;
  devices: { drec: [Hex, Hex]; gc: Hex };
  ids: { drec: bigint; gc: [bigint, bigint]; children: bigint[] };
  /** Issues one certificate of `kind` for `ref` over [start, end) to the buyer, with `leaves` published as its evidence. */
  issue(kind: CertificateKind, ref: Hex, start: bigint, end: bigint, leaves: EvidenceLeaf[]): Promise<bigint>;
  /** Issues one GC certificate of `device` over [start, end) to the buyer, with its evidence published. */
  issueGc(device: Hex, start: bigint, end: bigint, wh: bigint): Promise<bigint>;
  /** Brings the mirror up to the chain's head. */
  sync(): Promise<void>;
  audit(overrides?: Partial<AuditSources>): Promise<AuditReport>;
  close(): Promise<void>;
}

/** `databasePath` puts the mirror in a file (for the command, which opens it itself); in memory otherwise. */
export async function auditWorld(databasePath = ":memory:"): Promise<AuditWorld> {
  const d = await deployRegistry();
  const deployBlock = BigInt((await d.registry.deploymentTransaction()!.wait())!.blockNumber);
  const registryAddress = (await d.registry.getAddress()) as Hex;
  const { publicClient: client, chain } = await inProcessChain();
  const database = openDatabase(databasePath);
  bindDeployment(database.db, { chainId: chain.id, registryAddress, deployBlock });
  const evidence = new MapEvidenceSource();
  const follower: Follower = startFollower({ client, db: database.db, registryAddress, deployBlock, confirmations: 0, pollIntervalMs: 3_600_000 });

  async function issue(kind: CertificateKind, ref: Hex, start: bigint, end: bigint, leaves: EvidenceLeaf[]): Promise<bigint> {
    const amount = leaves.reduce((sum, l) => sum + l.wh, 0n);
    const { ids } = await submit(d, voucher(d.buyer, kind, [{ ref, amount, start, end, evidence: evidenceRoot(leaves) }]));
    evidence.publish(ids[0], leaves);
    return ids[0];
  }
  const issueGc = (device: Hex, start: bigint, end: bigint, wh: bigint) => issue(CertificateKind.GranularCertificate, device, start, end, [{ deviceId: device, start, end, wh }]);

  const t = await now();
  const hour = t - (t % HOUR) - 3n * HOUR;
  const devices = { drec: [freshRef("device"), freshRef("device")] as [Hex, Hex], gc: freshRef("device") };
  const reservation = await reserve(d, { buyer: d.buyer, start: t - 10n * DAY, end: t + 10n * DAY, canExceedTarget: true, devices: devices.drec });

  // A D-REC of two devices, and two consecutive GC hours of a third.
  const drec = await issue(CertificateKind.DRec, reservation.id, hour, hour + HOUR, [
    { deviceId: devices.drec[0], start: hour, end: hour + HOUR, wh: 6_000n },
    { deviceId: devices.drec[1], start: hour, end: hour + HOUR / 2n, wh: 1_500n },
    { deviceId: devices.drec[1], start: hour + HOUR / 2n, end: hour + HOUR, wh: 2_500n },
  ]);
  const gc: [bigint, bigint] = [await issueGc(devices.gc, hour, hour + HOUR, 8_000n), await issueGc(devices.gc, hour + HOUR, hour + 2n * HOUR, 9_000n)];

  // Transfer, claim, retirement for two reasons, a split, and a revoked split child.
  const { registry, buyer, other, admin } = d;
  const details = freshRef("details");
  await (await registry.connect(buyer).safeTransferFrom(buyer, other, gc[0], 3_000n, "0x")).wait();
  await (await registry.connect(other).claim(other, gc[0], 1_000n, "Other's customer", details)).wait();
  await (await registry.connect(buyer).claim(buyer, drec, 2_000n, "Buyer's customer", details)).wait();
  await (await registry.connect(buyer).retireBatch(buyer, [drec, gc[1]], [500n, 700n], RetirementReason.Cancelled, "", details)).wait();
  await (await registry.connect(buyer).retireBatch(buyer, [gc[1]], [300n], RetirementReason.Exported, "", details)).wait();
  const splitTx = await registry.connect(buyer).split(buyer, gc[1], [1_000n, 2_000n, 4_000n]);
  const children = [...((await eventsOf(registry, splitTx, "Split"))[0].args.childIds as bigint[])];
  await (await registry.connect(buyer).safeTransferFrom(buyer, other, children[0], 400n, "0x")).wait();
  await (await registry.connect(admin).revoke(children[2], details)).wait();

  const world: AuditWorld = {
    d,
    database,
    evidence,
    client,
    devices,
    ids: { drec, gc, children },
    issue,
    issueGc,
    sync: async () => {
      await follower.syncOnce();
    },
    audit: (overrides = {}) => runAudit({ client, registryAddress, deployBlock, mirror: () => readMirror(database.db), evidence, ...overrides }),
    close: async () => {
      await follower.stop();
      database.close();
    },
  };
  await world.sync();
  return world;
}
