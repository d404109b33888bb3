/**
 * Gas per operation on the CertificateRegistry, measured on the in-process Hardhat network.
 * Run: npm run bench:gas. Figures include the 21,000 base cost of each transaction.
 */
import { ethers } from "hardhat";
import {
  CertificateKind,
  DAY,
  Frequency,
  HOUR,
  Standard,
  deployRegistry,
  freshNonce,
  hourlyCertificates,
  idOf,
  increaseTime,
  now,
  signVoucher,
  type Voucher,
} from "../../test/support/registry";

const TARGETS = { gcBatch100PerCertificate: 35_000n, dRecIssuance: 110_000n };

interface Row {
  operation: string;
  certificates: number;
  gas: bigint;
}

async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<bigint> {
  const receipt = await (await tx).wait();
  return receipt!.gasUsed;
}

async function main() {
  const { registry, issuer, recorder, developer, buyer } = await deployRegistry();
  const rows: Row[] = [];
  const start = await now();
  await increaseTime(40n * DAY);
  const t = await now();

  // Reservation with 10 devices.
  const devices = Array.from({ length: 10 }, (_, i) => idOf(`bench-device-${i}`));
  const reservationId = idOf("bench-reservation");
  rows.push({
    operation: "createReservation with 10 devices",
    certificates: 0,
    gas: await gasOf(
      registry
        .connect(recorder)
        .createReservation(reservationId, buyer.address, start, start + 365n * DAY, Frequency.Daily, Standard.DRec, 10n ** 12n, false, devices),
    ),
  });

  // An I-REC reservation (its certificates are minted provisional) for other devices over the same window.
  const irecReservationId = idOf("bench-irec-reservation");
  await gasOf(
    registry
      .connect(recorder)
      .createReservation(irecReservationId, buyer.address, start, start + 365n * DAY, Frequency.Daily, Standard.IRec, 10n ** 12n, false, []),
  );

  // D-REC: one certificate per voucher, as the engine issues one per reservation, window and developer.
  // The first voucher also pays for a fresh nonce word (256 nonces share one storage slot).
  async function dRec(reservation: `0x${string}`, day: bigint) {
    const voucher: Voucher = {
      recipient: buyer.address as `0x${string}`,
      kind: CertificateKind.DRec,
      nonce: freshNonce(),
      deadline: t + DAY,
      certificates: [
        { ref: reservation, amount: 123_456_789n, start: start + day * DAY, end: start + (day + 1n) * DAY, evidence: idOf(`root-${reservation}-${day}`) },
      ],
    };
    const receipt = (await (await registry.connect(developer).issue(voucher, await signVoucher(registry, issuer, voucher))).wait())!;
    const [id] = receipt.logs.map((log) => registry.interface.parseLog(log)).filter((p) => p?.name === "CertificateIssued").map((p) => p!.args.id as bigint);
    return { gas: receipt.gasUsed, id };
  }
  rows.push({ operation: "D-REC issuance (first voucher: new nonce word)", certificates: 1, gas: (await dRec(reservationId, 0n)).gas });
  rows.push({ operation: "D-REC issuance (typical)", certificates: 1, gas: (await dRec(reservationId, 1n)).gas });
  const irec = await dRec(irecReservationId, 0n);
  rows.push({ operation: "I-REC issuance (provisional D-REC)", certificates: 1, gas: irec.gas });
  rows.push({
    operation: "recordStandardSerials (I-REC serial range)",
    certificates: 1,
    gas: await gasOf(registry.connect(issuer).recordStandardSerials(irec.id, "0001-GB-2026-000000000001", "0001-GB-2026-000123456789")),
  });

  // GC batches: one voucher of n hourly bundles for one device.
  for (const n of [1, 10, 100]) {
    const voucher: Voucher = {
      recipient: developer.address as `0x${string}`,
      kind: CertificateKind.GranularCertificate,
      nonce: freshNonce(),
      deadline: t + DAY,
      certificates: hourlyCertificates(idOf(`gc-device-${n}`), n, t - HOUR, 750_000n),
    };
    rows.push({
      operation: `GC batch issuance, n = ${n}`,
      certificates: n,
      gas: await gasOf(registry.connect(developer).issue(voucher, await signVoucher(registry, issuer, voucher))),
    });
  }

  // Claim and split on a GC bundle held by the developer.
  const holder = developer;
  const voucher: Voucher = {
    recipient: holder.address as `0x${string}`,
    kind: CertificateKind.GranularCertificate,
    nonce: freshNonce(),
    deadline: t + DAY,
    certificates: hourlyCertificates(idOf("gc-ops"), 2, t - HOUR, 750_000n),
  };
  const receipt = await (await registry.connect(holder).issue(voucher, await signVoucher(registry, issuer, voucher))).wait();
  const ids = receipt!.logs
    .map((log) => registry.interface.parseLog(log))
    .filter((p) => p?.name === "CertificateIssued")
    .map((p) => p!.args.id as bigint);
  rows.push({
    operation: "claim (part of a bundle)",
    certificates: 1,
    gas: await gasOf(registry.connect(holder).claim(holder.address, ids[0], 250_000n, "Example Buyer Ltd", ethers.id("claim-details"))),
  });
  rows.push({
    operation: "split into two",
    certificates: 2,
    gas: await gasOf(registry.connect(holder).split(holder.address, ids[1], [500_000n, 250_001n])),
  });

  console.log("| operation | certificates | gas (tx) | gas per certificate |");
  console.log("|---|---:|---:|---:|");
  for (const row of rows) {
    const per = row.certificates > 0 ? (row.gas / BigInt(row.certificates)).toLocaleString("en-US") : "-";
    console.log(`| ${row.operation} | ${row.certificates} | ${row.gas.toLocaleString("en-US")} | ${per} |`);
  }
  const gc100 = rows.find((r) => r.operation === "GC batch issuance, n = 100")!;
  const dRecTypical = rows.find((r) => r.operation === "D-REC issuance (typical)")!;
  const dRecFirst = rows.find((r) => r.operation.startsWith("D-REC issuance (first"))!;
  const irecIssuance = rows.find((r) => r.operation.startsWith("I-REC issuance"))!;
  console.log();
  const gcPer = gc100.gas / 100n;
  console.log(`target: GC batch of 100 <= ${TARGETS.gcBatch100PerCertificate} gas/certificate: ${gcPer} (${gcPer <= TARGETS.gcBatch100PerCertificate ? "met" : "MISSED"})`);
  for (const row of [dRecTypical, dRecFirst, irecIssuance]) {
    console.log(`target: one D-REC issuance <= ${TARGETS.dRecIssuance} gas, ${row.operation}: ${row.gas} (${row.gas <= TARGETS.dRecIssuance ? "met" : "MISSED"})`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
