/**
 * Bulk CSV upload: the request stores the file and a job, and answers at once; this worker then turns
 * rows into devices in the background, one chunk per transaction, logging every row's outcome.
 *
 * Restart: a job's progress (`processedRows`) is committed in the same transaction as the chunk's
 * devices and row log, so a job found queued or processing at start is resumed exactly after the last
 * committed chunk. Nothing is done twice and nothing is skipped.
 */
import { randomUUID } from "node:crypto";
import { finished } from "node:stream/promises";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { parse } from "csv-parse";
import { parse as parseSync } from "csv-parse/sync";
import { asc, eq, inArray, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../db/database";
import { candidateFromRow, mapHeader, type HeaderCheck } from "./csv";
import { deviceUploadJobs, deviceUploadRows, type UploadRowStatus } from "./schema";
import { insertDevices, insertEach, usedExternalIds, type NewDevice } from "./store";
import { checkDevice, repeatedExternalIds, type DeviceCheck, type DeviceField } from "./validation";

/** Rows per transaction: large enough to amortise the commit, small enough to keep the API responsive. */
export const UPLOAD_CHUNK_ROWS = 500;
/** Slices fed to the streaming parser, so parsing a large file also yields between slices. */
const PARSE_SLICE_CHARS = 256 * 1024;

// Rows with the wrong number of cells are logged as failed rather than aborting the file; any line ending is accepted.
const PARSE_OPTIONS = { bom: true, relax_column_count: true, skip_empty_lines: true, record_delimiter: ["\r\n", "\n", "\r"] };

export type JobRow = typeof deviceUploadJobs.$inferSelect;

/**
 * Checks the header (and that there is at least one row) before a job is accepted, so a file no row of
 * which could succeed is refused in the request rather than logged as thousands of failures.
 */
export function checkUploadHeader(content: string): HeaderCheck {
  let records: string[][];
  try {
    records = parseSync(content, { ...PARSE_OPTIONS, to: 2 }) as string[][];
  } catch (error) {
    return { problems: [`the file is not readable CSV: ${(error as Error).message}`] };
  }
  if (records.length === 0) return { problems: ["the file is empty: it needs a header row and at least one device row"] };
  const header = mapHeader(records[0]);
  if ("columns" in header && records.length < 2) return { problems: ["the file has a header but no device rows"] };
  return header;
}

export function createUploadJob(
  db: DbOrTx,
  job: { organisationId: string; createdBy: string; fileName: string | null; content: string; now: Date },
): JobRow {
  const row: JobRow = {
    id: randomUUID(),
    organisationId: job.organisationId,
    createdBy: job.createdBy,
    fileName: job.fileName,
    content: job.content,
    status: "queued",
    processedRows: 0,
    succeeded: 0,
    succeededWithErrors: 0,
    failed: 0,
    error: null,
    createdAt: job.now.toISOString(),
    startedAt: null,
    finishedAt: null,
  };
  db.insert(deviceUploadJobs).values(row).run();
  return row;
}

interface ParsedRow {
  rowNumber: number;
  line: number;
  cells: string[];
}

export interface UploadWorker {
  enqueue(jobId: string): void;
  /** Queues every job a previous run left unfinished, oldest first. */
  resumeUnfinished(): void;
}

export function createUploadWorker(deps: { db: Db; clock: () => Date; log?: (message: string) => void }): UploadWorker {
  const { db, clock } = deps;
  const log = deps.log ?? ((message: string) => console.error(message));
  const queue: string[] = [];
  let draining = false;

  const drain = async () => {
    try {
      for (let jobId = queue.shift(); jobId !== undefined; jobId = queue.shift()) {
        try {
          await runJob(jobId);
        } catch (error) {
          log(`device upload ${jobId} stopped: ${error instanceof Error ? error.message : String(error)}`);
          finish(jobId, "failed", "the job stopped on an internal error; it has been logged");
        }
      }
    } finally {
      draining = false;
    }
  };

  const finish = (jobId: string, status: "completed" | "failed", error: string | null) => {
    try {
      db.update(deviceUploadJobs).set({ status, error, finishedAt: clock().toISOString() }).where(eq(deviceUploadJobs.id, jobId)).run();
    } catch (cause) {
      // The database itself is gone (shut down mid-job); the job is resumed at the next start.
      log(`device upload ${jobId} could not be marked ${status}: ${cause instanceof Error ? cause.message : String(cause)}`);
    }
  };

  async function runJob(jobId: string): Promise<void> {
    const job = db.select().from(deviceUploadJobs).where(eq(deviceUploadJobs.id, jobId)).get();
    if (!job || (job.status !== "queued" && job.status !== "processing")) return;
    db.update(deviceUploadJobs)
      .set({ status: "processing", startedAt: job.startedAt ?? clock().toISOString() })
      .where(eq(deviceUploadJobs.id, jobId))
      .run();

    let columns: DeviceField[] | undefined;
    let chunk: ParsedRow[] = [];
    let rowNumber = 0;
    try {
      for await (const { cells, endLine } of csvRecords(job.content)) {
        if (!columns) {
          const header = mapHeader(cells);
          if ("problems" in header) return finish(jobId, "failed", header.problems.join("; "));
          columns = header.columns;
          continue;
        }
        rowNumber += 1;
        if (rowNumber <= job.processedRows) continue;
        // csv-parse reports where a record ends; quoted line breaks inside it move its start up.
        const line = endLine - cells.reduce((breaks, cell) => breaks + (cell.match(/\r\n|\n|\r/g)?.length ?? 0), 0);
        chunk.push({ rowNumber, line, cells });
        if (chunk.length === UPLOAD_CHUNK_ROWS) {
          processChunk(job, columns, chunk);
          chunk = [];
          await yieldToEventLoop();
        }
      }
    } catch (error) {
      if (!(error instanceof UnreadableCsv)) throw error;
      if (chunk.length > 0 && columns) processChunk(job, columns, chunk);
      return finish(jobId, "failed", `the file stopped being readable CSV after row ${rowNumber}: ${error.message}`);
    }
    if (chunk.length > 0 && columns) processChunk(job, columns, chunk);
    finish(jobId, "completed", null);
  }

  /** One transaction: the chunk's devices, its row log and the job's progress commit together. */
  function processChunk(job: JobRow, columns: DeviceField[], rows: ParsedRow[]): void {
    const now = clock();
    const outcomes = rows.map((row): { row: ParsedRow; externalId: string | null; check: DeviceCheck } => {
      if (row.cells.length !== columns.length) {
        const issue = { field: "row", message: `has ${row.cells.length} cells; the header has ${columns.length}` };
        return { row, externalId: row.cells[columns.indexOf("externalId")]?.trim() || null, check: { issues: [issue] } };
      }
      const candidate = candidateFromRow(columns, row.cells);
      const externalId = typeof candidate.externalId === "string" ? candidate.externalId : null;
      return { row, externalId, check: checkDevice(candidate, { onboardedAt: now }) };
    });
    db.transaction((tx) => {
      const candidates = outcomes.filter((outcome) => outcome.check.device);
      const used = usedExternalIds(
        tx,
        job.organisationId,
        candidates.map((outcome) => outcome.check.device!.externalId),
      );
      const repeats = repeatedExternalIds(candidates.map((outcome) => outcome.check.device!.externalId));
      candidates.forEach((outcome, index) => {
        const externalId = outcome.check.device!.externalId;
        const usedBy = used.get(externalId);
        const earlier = repeats.get(index);
        const message =
          usedBy !== undefined
            ? `is already used by device ${usedBy} in this organisation`
            : earlier !== undefined
              ? `repeats row ${candidates[earlier].row.rowNumber} of this file`
              : undefined;
        if (message) outcome.check = { issues: [{ field: "externalId", message }, ...outcome.check.issues] };
      });

      const newDevices: NewDevice[] = [];
      const logRows = outcomes.map(({ row, externalId, check }) => {
        let status: UploadRowStatus = "Failed";
        let deviceId: string | null = null;
        if (check.device) {
          deviceId = randomUUID();
          status = check.issues.length === 0 ? "Success" : "SuccessWithValidationErrors";
          newDevices.push({
            id: deviceId,
            organisationId: job.organisationId,
            device: check.device,
            validationErrors: check.issues,
            uploadJobId: job.id,
            createdBy: job.createdBy,
            now: now.toISOString(),
          });
        }
        return { jobId: job.id, rowNumber: row.rowNumber, line: row.line, externalId, deviceId, status, errors: check.issues };
      });
      insertDevices(tx, newDevices);
      insertEach(tx, deviceUploadRows, logRows);
      const count = (status: UploadRowStatus) => logRows.filter((row) => row.status === status).length;
      tx.update(deviceUploadJobs)
        .set({
          processedRows: rows[rows.length - 1].rowNumber,
          succeeded: sql`${deviceUploadJobs.succeeded} + ${count("Success")}`,
          succeededWithErrors: sql`${deviceUploadJobs.succeededWithErrors} + ${count("SuccessWithValidationErrors")}`,
          failed: sql`${deviceUploadJobs.failed} + ${count("Failed")}`,
        })
        .where(eq(deviceUploadJobs.id, job.id))
        .run();
    });
  }

  return {
    enqueue(jobId) {
      queue.push(jobId);
      if (draining) return;
      draining = true;
      // Started on a later turn of the event loop, so the request that queued the job is answered first.
      setImmediate(() => void drain());
    },
    resumeUnfinished() {
      const unfinished = db
        .select({ id: deviceUploadJobs.id })
        .from(deviceUploadJobs)
        .where(inArray(deviceUploadJobs.status, ["queued", "processing"]))
        .orderBy(asc(deviceUploadJobs.createdAt), asc(deviceUploadJobs.id))
        .all();
      for (const { id } of unfinished) this.enqueue(id);
    },
  };
}

/** A syntax error in the file, as opposed to a failure of the platform while processing it. */
class UnreadableCsv extends Error {}

/**
 * The file's records in order, parsed one slice at a time with a turn of the event loop between slices.
 * Records are taken from csv-parse's synchronous `on_record` hook, so every record before a syntax error
 * is delivered before the error is thrown (a stream would drop the ones still buffered).
 */
async function* csvRecords(content: string): AsyncGenerator<{ cells: string[]; endLine: number }> {
  const parsed: { cells: string[]; endLine: number }[] = [];
  let failure: UnreadableCsv | undefined;
  const parser = parse({
    ...PARSE_OPTIONS,
    on_record: (cells: string[], context: { lines: number }) => {
      parsed.push({ cells, endLine: context.lines });
      return null;
    },
  });
  parser.on("error", (error) => (failure ??= new UnreadableCsv(error.message)));
  parser.resume();
  for (let start = 0; start < content.length && !failure; start += PARSE_SLICE_CHARS) {
    parser.write(content.slice(start, start + PARSE_SLICE_CHARS));
    await yieldToEventLoop();
    yield* parsed.splice(0);
  }
  if (!failure) {
    parser.end();
    await finished(parser).catch(() => undefined);
  }
  yield* parsed.splice(0);
  if (failure) throw failure;
}
