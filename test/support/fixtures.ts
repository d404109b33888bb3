/**
 * Shared setup for the contract tests: snapshot fixtures, voucher and reservation builders, and
 * small readers for receipts and blocks. Everything here derives values from its inputs.
 */
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse, LogDescription } from "ethers";
import type { CertificateRegistry } from "../../typechain-types";
import {
  CertificateKind,
  DAY,
  Frequency,
  RetirementReason,
  Standard,
  deployRegistry,
  freshNonce,
  hourlyCertificates,
  idOf,
  mintedIds,
  now,
  signVoucher,
  voucherTypedData,
  type Voucher,
  type VoucherCertificate,
} from "./registry";

export type Registry = CertificateRegistry;
export type Account = HardhatEthersSigner;
export type Deployment = Awaited<ReturnType<typeof deployRegistry>>;
export type Hex = `0x${string}`;

/** The EnergyTag families, which obey transfer allowlists. */
export const GC_KINDS = [
  CertificateKind.GranularCertificate,
  CertificateKind.StorageDischargeCertificate,
  CertificateKind.ImportedGranularCertificate,
] as const;
export const ALL_KINDS = [CertificateKind.DRec, ...GC_KINDS] as const;
export const KIND_NAMES: Record<CertificateKind, string> = {
  [CertificateKind.DRec]: "D-REC",
  [CertificateKind.GranularCertificate]: "GC",
  [CertificateKind.StorageDischargeCertificate]: "SD-GC",
  [CertificateKind.ImportedGranularCertificate]: "imported GC",
};

/** Ids carry the certificate kind in their top byte (bits 248..255 of a uint256). */
export const KIND_SHIFT = 248n;
/** Largest uint64: a voucher deadline that never passes. */
export const NO_DEADLINE = 2n ** 64n - 1n;

export function addr(account: Account | Hex): Hex {
  return typeof account === "string" ? account : (account.address as Hex);
}

let refCounter = 0;
/** A bytes32 reference (device or reservation id) never used before in this test run. */
export function freshRef(label = "ref"): Hex {
  refCounter += 1;
  return idOf(`${label}#${refCounter}`);
}

// ---------------------------------------------------------------- fixtures

/** A fresh registry, restored from a snapshot for each test. */
export function deployed(): Promise<Deployment> {
  return loadFixture(deployRegistry);
}

/** Amount of every certificate minted by {holdingFixture}. */
export const HELD = 10_000n;

/**
 * A registry where `buyer` holds three GC ids (`gc`) and one id of every kind (`byKind[kind]`),
 * each of {HELD} Wh.
 */
export async function holdingFixture() {
  const d = await deployRegistry();
  const gc = await mintEach(d, d.buyer, CertificateKind.GranularCertificate, 3);
  const byKind: bigint[] = [];
  for (const kind of ALL_KINDS) byKind[kind] = (await mintEach(d, d.buyer, kind, 1))[0];
  return { ...d, gc, byKind };
}
export type Holdings = Awaited<ReturnType<typeof holdingFixture>>;

export function withHoldings(): Promise<Holdings> {
  return loadFixture(holdingFixture);
}

/**
 * Every way `d.buyer` can move `id` out of its hands (to `d.other`), for the checks of what freezes an id;
 * the batch transfer moves `companion` along with it.
 */
export function movements(d: Deployment, id: bigint, companion: bigint): [string, () => Promise<unknown>][] {
  const { registry, buyer, other } = d;
  const details = idOf("movement details");
  return [
    ["safeTransferFrom", () => registry.connect(buyer).safeTransferFrom(buyer, other, id, 1n, "0x")],
    ["safeBatchTransferFrom", () => registry.connect(buyer).safeBatchTransferFrom(buyer, other, [companion, id], [1n, 1n], "0x")],
    ["claim", () => registry.connect(buyer).claim(buyer, id, 1n, "Beneficiary", details)],
    ["retireBatch", () => registry.connect(buyer).retireBatch(buyer, [id], [1n], RetirementReason.Cancelled, "", details)],
    ["split", () => registry.connect(buyer).split(buyer, id, [1n])],
  ];
}

// ---------------------------------------------------------------- vouchers

/** An unsigned voucher with a fresh nonce and no deadline unless overridden. */
export function voucher(
  recipient: Account | Hex,
  kind: CertificateKind,
  certificates: VoucherCertificate[],
  overrides: Partial<Voucher> = {},
): Voucher {
  return { recipient: addr(recipient), kind, nonce: freshNonce(), deadline: NO_DEADLINE, certificates, ...overrides };
}

/** `count` consecutive hourly certificates of a new device, the last one ending at the latest block. */
export async function recentCertificates(count: number, amount = 1_000n): Promise<VoucherCertificate[]> {
  return hourlyCertificates(freshRef("device"), count, await now(), amount);
}

/** One certificate of `amount` Wh for `ref` over [start, end). */
export function certificate(ref: Hex, start: bigint, end: bigint, amount: bigint): VoucherCertificate {
  return { ref, amount, start, end, evidence: idOf(`evidence:${ref}:${start}:${end}:${amount}`) };
}

/** Signs `v` with the issuer key and submits it from `submitter` (the developer by default). */
export async function submit(d: Deployment, v: Voucher, submitter: Account = d.developer) {
  const signature = await signVoucher(d.registry, d.issuer, v);
  const tx = await d.registry.connect(submitter).issue(v, signature);
  const receipt = (await tx.wait())!;
  return { tx, receipt, signature, ids: mintedIds(d.registry, receipt) };
}

/** The address the registry recovers from `signature` over `v` (its own domain on this chain). */
export async function recoverSigner(registry: Registry, v: Voucher, signature: string): Promise<string> {
  const { domain, types } = await voucherTypedData(registry);
  return ethers.verifyTypedData(domain, types, v, signature);
}

/**
 * Mints `count` certificates of `kind` to `to` (each `amount` Wh) and returns their ids.
 * D-RECs come from a new reservation bought by `to` that may exceed its target.
 */
export async function mintEach(d: Deployment, to: Account, kind: CertificateKind, count: number, amount = HELD): Promise<bigint[]> {
  let ref: Hex;
  if (kind === CertificateKind.DRec) {
    const t = await now();
    ref = (await reserve(d, { buyer: to, start: t - 30n * DAY, end: t + 30n * DAY, canExceedTarget: true })).id;
  } else {
    ref = freshRef("device");
  }
  const certificates = hourlyCertificates(ref, count, await now()).map((c) => ({ ...c, amount }));
  return (await submit(d, voucher(to, kind, certificates))).ids;
}

// ---------------------------------------------------------------- reservations

export interface ReservationParams {
  id: Hex;
  buyer: Hex;
  start: bigint;
  end: bigint;
  frequency: number;
  standard: number;
  targetWh: bigint;
  canExceedTarget: boolean;
  devices: Hex[];
}

/**
 * Reservation parameters with defaults: a fresh id, a window from ten days ago to ten days ahead,
 * daily D-REC issuance, a target of 1 MWh without authority to exceed, no devices.
 */
export async function reservationParams(
  input: Partial<Omit<ReservationParams, "buyer">> & { buyer: Account | Hex },
): Promise<ReservationParams> {
  const t = await now();
  return {
    id: freshRef("reservation"),
    start: t - 10n * DAY,
    end: t + 10n * DAY,
    frequency: Frequency.Daily,
    standard: Standard.DRec,
    targetWh: 1_000_000n,
    canExceedTarget: false,
    devices: [],
    ...input,
    buyer: addr(input.buyer),
  };
}

export function createReservation(d: Deployment, p: ReservationParams, caller: Account = d.recorder) {
  return d.registry
    .connect(caller)
    .createReservation(p.id, p.buyer, p.start, p.end, p.frequency, p.standard, p.targetWh, p.canExceedTarget, p.devices);
}

/** Records a reservation (see {reservationParams} for defaults) and returns its parameters. */
export async function reserve(
  d: Deployment,
  input: Partial<Omit<ReservationParams, "buyer">> & { buyer: Account | Hex },
): Promise<ReservationParams> {
  const p = await reservationParams(input);
  await (await createReservation(d, p)).wait();
  return p;
}

// ---------------------------------------------------------------- receipts and blocks

/** The registry's events called `name` in a transaction, in log order. */
export async function eventsOf(registry: Registry, tx: ContractTransactionResponse, name: string): Promise<LogDescription[]> {
  const receipt = (await tx.wait())!;
  const address = await registry.getAddress();
  return receipt.logs
    .filter((log) => log.address === address)
    .map((log) => registry.interface.parseLog(log))
    .filter((parsed): parsed is LogDescription => parsed !== null && parsed.name === name);
}

/** Timestamp of the block that mined `tx`. */
export async function blockTimeOf(tx: ContractTransactionResponse): Promise<bigint> {
  const receipt = (await tx.wait())!;
  const block = await ethers.provider.getBlock(receipt.blockNumber);
  return BigInt(block!.timestamp);
}
