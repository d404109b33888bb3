import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { organisations } from "../auth/schema";
import { devices } from "../devices/schema";
import { meterReads } from "../reads/schema";
import { reservations } from "../reservations/schema";

/**
 * Voucher nonces, shared by every kind of issuance (D-REC jobs, GC batches). Handed out in sequence so
 * consecutive vouchers share the contract's 256-bit nonce words, which saves each one a cold slot write.
 */
export const voucherNonces = sqliteTable("voucher_nonces", {
  nonce: integer("nonce").primaryKey(),
  purpose: text("purpose").notNull(),
  createdAt: integer("created_at").notNull(),
});

/** `released`: a failed job whose reads a platform administrator gave back for re-planning; a later job certifies them. */
export const ISSUANCE_JOB_STATES = ["planned", "signed", "confirmed", "blocked", "failed", "released"] as const;
export type IssuanceJobState = (typeof ISSUANCE_JOB_STATES)[number];

export const STANDARD_STATES = ["provisional", "issued", "revoked"] as const;
export type StandardState = (typeof STANDARD_STATES)[number];

/**
 * The issuance outbox: one row per certificate to mint, i.e. per (reservation, window, developer
 * organisation, country, batch). A row moves planned → signed → confirmed; the voucher is stored before it
 * is sent, so a run that died after sending finds it and asks the chain whether it was used (its nonce is
 * single-use: the final guard against minting twice). `blocked` waits for the developer (e.g. no managed
 * wallet or no gas) and is retried by later runs; `failed` is final.
 */
export const issuanceJobs = sqliteTable(
  "issuance_jobs",
  {
    id: text("id").primaryKey(),
    reservationId: text("reservation_id")
      .notNull()
      .references(() => reservations.id),
    windowStart: integer("window_start").notNull(),
    windowEnd: integer("window_end").notNull(),
    /** The developer organisation whose devices generated it; its managed wallet pays the gas. */
    organisationId: text("organisation_id")
      .notNull()
      .references(() => organisations.id),
    countryCode: text("country_code").notNull(),
    /** 0 for the window's first certificate of this group, then 1, 2 … for late reads. */
    batch: integer("batch").notNull(),
    state: text("state").$type<IssuanceJobState>().notNull(),
    amountWh: integer("amount_wh").notNull(),
    evidenceRoot: text("evidence_root").notNull(),
    nonce: integer("nonce").references(() => voucherNonces.nonce),
    /** Unix seconds after which the voucher is void on chain. */
    deadline: integer("deadline"),
    signature: text("signature"),
    txHash: text("tx_hash"),
    /** The minted token id (decimal uint256). */
    certificateId: text("certificate_id"),
    /** Gas the developer's wallet paid for this certificate's share of its transaction (decimal wei). */
    gasPaidWei: text("gas_paid_wei"),
    /** For I-REC reservations: provisional until the I-REC registry assigns serials, then issued (or revoked first). */
    standardState: text("standard_state").$type<StandardState>(),
    standardFirstSerial: text("standard_first_serial"),
    standardLastSerial: text("standard_last_serial"),
    standardTxHash: text("standard_tx_hash"),
    lastError: text("last_error"),
    /** A run working on the row holds it until then, so two runs never send the same voucher at once. */
    leaseUntil: integer("lease_until"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("issuance_jobs_group").on(t.reservationId, t.windowStart, t.organisationId, t.countryCode, t.batch),
    uniqueIndex("issuance_jobs_nonce").on(t.nonce),
    uniqueIndex("issuance_jobs_certificate").on(t.certificateId),
    index("issuance_jobs_state").on(t.state),
    index("issuance_jobs_organisation").on(t.organisationId),
  ],
);

/** The published evidence of each job: per-device leaves, whose Merkle root the certificate carries. */
export const issuanceLeaves = sqliteTable(
  "issuance_leaves",
  {
    id: integer("id").primaryKey(),
    jobId: text("job_id")
      .notNull()
      .references(() => issuanceJobs.id),
    deviceId: text("device_id")
      .notNull()
      .references(() => devices.id),
    /** Unix seconds, as in the leaf. */
    start: integer("start").notNull(),
    end: integer("end").notNull(),
    wh: integer("wh").notNull(),
  },
  (t) => [index("issuance_leaves_job").on(t.jobId), index("issuance_leaves_device").on(t.deviceId, t.start)],
);

/**
 * Which part of which read each job certified. The unique (read, part start) is the database's promise
 * that no Wh of a read is certified twice, whatever runs overlap or crash.
 */
export const issuanceReadParts = sqliteTable(
  "issuance_read_parts",
  {
    readId: integer("read_id")
      .notNull()
      .references(() => meterReads.id),
    partStart: integer("part_start").notNull(),
    partEnd: integer("part_end").notNull(),
    wh: integer("wh").notNull(),
    jobId: text("job_id")
      .notNull()
      .references(() => issuanceJobs.id),
  },
  (t) => [uniqueIndex("issuance_read_parts_read").on(t.readId, t.partStart), index("issuance_read_parts_job").on(t.jobId)],
);

/**
 * A device as a certificate took its generation: one row per distinct version of the fields a certificate
 * shows (its metadata, its contributions, the list filters). Certificates read these, never the live
 * device, so editing a device later does not rewrite what was certified.
 */
export const certifiedDevices = sqliteTable(
  "certified_devices",
  {
    id: integer("id").primaryKey(),
    deviceId: text("device_id")
      .notNull()
      .references(() => devices.id),
    /** SHA-256 of `facts`. */
    digest: text("digest").notNull(),
    countryCode: text("country_code").notNull(),
    offTaker: text("off_taker"),
    sdgBenefits: integer("sdg_benefits").notNull(),
    /** JSON of the certificate's view of the device (`MetadataDevice`). */
    facts: text("facts").notNull(),
  },
  (t) => [uniqueIndex("certified_devices_digest").on(t.digest)],
);

/** The devices of each job's group as they were when it was planned: the contributors and the other members. */
export const issuanceJobDevices = sqliteTable(
  "issuance_job_devices",
  {
    jobId: text("job_id")
      .notNull()
      .references(() => issuanceJobs.id),
    deviceId: text("device_id")
      .notNull()
      .references(() => devices.id),
    certifiedDeviceId: integer("certified_device_id")
      .notNull()
      .references(() => certifiedDevices.id),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.deviceId] })],
);
