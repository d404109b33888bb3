import { expect } from "chai";
import { parse } from "csv-parse/sync";
import { eq } from "drizzle-orm";
import { createApp } from "../../server/app";
import { templateCsv } from "../../server/devices/csv";
import { deviceUploadJobs, deviceUploadRows } from "../../server/devices/schema";
import { MAX_UPLOAD_BYTES } from "../../server/devices/uploadRoutes";
import { UPLOAD_CHUNK_ROWS } from "../../server/devices/uploads";
import { createTestApi, seedOrganisation, seedUser, tableCounts, tableSnapshot, type SeededUser, type TestApi } from "../support/api";
import { finishedJob, uploadCsv } from "./support";

const HEADER = "externalId,countryCode,commissioningDate,capacity,fuelCode,deviceTypeCode,offTaker,latitude,longitude,sdgBenefits,projectName";
const row = (externalId: string, extra: Partial<Record<"capacity" | "fuelCode" | "offTaker" | "latitude" | "longitude" | "sdgBenefits" | "projectName" | "commissioningDate", string>> = {}) =>
  [
    externalId,
    "KE",
    extra.commissioningDate ?? "2024-01-15",
    extra.capacity ?? "5",
    extra.fuelCode ?? "Solar",
    "PVGroundMounted",
    extra.offTaker ?? "Residential",
    extra.latitude ?? "",
    extra.longitude ?? "",
    extra.sdgBenefits ?? "",
    extra.projectName ?? "",
  ].join(",");

interface LogRow {
  rowNumber: number;
  line: number;
  externalId: string | null;
  deviceId: string | null;
  status: string;
  errors: { field: string; message: string }[];
}

describe("device bulk upload", () => {
  let api: TestApi;
  let developer: SeededUser;

  before(async () => {
    api = await createTestApi();
  });
  after(() => api.close());
  beforeEach(() => {
    developer = seedOrganisation(api, "developer");
  });

  const upload = async (csv: string, token = developer.token) => {
    const response = await uploadCsv(api, token, csv);
    expect(response.status, await response.clone().text()).to.equal(202);
    const job = await response.json();
    expect(response.headers.get("location")).to.equal(`/devices/uploads/${job.id}`);
    expect(job).to.deep.include({ status: "queued", processedRows: 0, organisationId: developer.organisationId });
    return finishedJob(api, token, job.id);
  };
  const logOf = async (jobId: string, query = "", token = developer.token) => {
    const response = await api.request("GET", `/devices/uploads/${jobId}/rows${query}`, { token });
    expect(response.status).to.equal(200);
    return (await response.json()) as { items: LogRow[]; nextCursor: string | null };
  };

  it("serves a template with every column whose example row uploads as a Success", async () => {
    const response = await api.request("GET", "/devices/uploads/template");
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-type")).to.match(/^text\/csv/);
    const text = await response.text();
    expect(text).to.equal(templateCsv());
    const job = await upload(text);
    expect(job).to.deep.include({ status: "completed", processedRows: 1, succeeded: 1, succeededWithErrors: 0, failed: 0 });
    const [logged] = (await logOf(job.id as string)).items;
    const device = await (await api.request("GET", `/devices/${logged.deviceId}`, { token: developer.token })).json();
    expect(device).to.deep.include({ externalId: "KE-NBO-0001", address: "1 School Road, Nairobi", energyStorageCapacity: 20, uploadJobId: job.id });
  });

  it("logs Success, Success with validation errors and Failed rows, storing only the first two", async () => {
    const before = tableCounts(api).devices;
    const csv = [
      HEADER,
      row("ok-1", { sdgBenefits: "NoPoverty;ClimateAction", projectName: `"Solar, for schools"` }),
      row("flagged-1", { offTaker: "Hospital", latitude: "200", longitude: "36.8" }),
      row("failed-1", { capacity: "-1", fuelCode: "Wind" }),
      row("failed-2", { capacity: "" }),
      row("ok-1"),
      row("bad id!"),
      row("failed-3", { commissioningDate: "2027-01-01" }),
    ].join("\n");
    const job = await upload(csv);
    expect(job).to.deep.include({ status: "completed", processedRows: 7, succeeded: 1, succeededWithErrors: 1, failed: 5, error: null });
    expect(tableCounts(api).devices).to.equal(before + 2);

    const { items } = await logOf(job.id as string);
    expect(items.map((r) => [r.rowNumber, r.line, r.externalId, r.status])).to.deep.equal([
      [1, 2, "ok-1", "Success"],
      [2, 3, "flagged-1", "SuccessWithValidationErrors"],
      [3, 4, "failed-1", "Failed"],
      [4, 5, "failed-2", "Failed"],
      [5, 6, "ok-1", "Failed"],
      [6, 7, "bad id!", "Failed"],
      [7, 8, "failed-3", "Failed"],
    ]);
    expect(items[0].errors).to.deep.equal([]);
    expect(items[1].errors).to.deep.equal([
      { field: "offTaker", message: "must be one of: School, HealthFacility, Residential, Commercial, Industrial, PublicSector, Agriculture" },
      { field: "latitude", message: "must be at most 90" },
    ]);
    expect(items[2].deviceId).to.equal(null);
    expect(items[2].errors).to.deep.equal([
      { field: "capacity", message: "must be greater than 0 kW" },
      { field: "fuelCode", message: "must be one of: Solar" },
    ]);
    expect(items[3].errors).to.deep.equal([{ field: "capacity", message: "is required" }]);
    expect(items[4].errors[0].field).to.equal("externalId");
    expect(items[4].errors[0].message).to.match(/^repeats row 1 of this file$/);
    expect(items[5].errors).to.deep.equal([{ field: "externalId", message: "may contain only letters, digits, - and _" }]);
    expect(items[6].errors[0].message).to.match(/on or before the onboarding date/);

    const ok = await (await api.request("GET", `/devices/${items[0].deviceId}`, { token: developer.token })).json();
    expect(ok).to.deep.include({ projectName: "Solar, for schools", capacity: 5 });
    expect(ok.sdgBenefits).to.deep.equal(["NoPoverty", "ClimateAction"]);

    // The flagged device is stored without the faulty values, and each flag clears when its field is corrected.
    const flagged = await (await api.request("GET", `/devices/${items[1].deviceId}`, { token: developer.token })).json();
    expect(flagged).to.deep.include({ offTaker: null, latitude: null, longitude: null, timeZone: "Africa/Nairobi" });
    expect(flagged.validationErrors.map((e: { field: string }) => e.field)).to.deep.equal(["offTaker", "latitude"]);
    const renamed = await api.request("PATCH", `/devices/${flagged.id}`, { token: developer.token, body: { projectName: "Renamed" } });
    expect((await renamed.json()).validationErrors.map((e: { field: string }) => e.field)).to.deep.equal(["offTaker", "latitude"]);
    const fixed = await api.request("PATCH", `/devices/${flagged.id}`, { token: developer.token, body: { offTaker: "HealthFacility" } });
    expect(fixed.status).to.equal(200);
    expect(await fixed.json()).to.deep.include({ offTaker: "HealthFacility", validationErrors: [{ field: "latitude", message: "must be at most 90" }] });
    const located = await (await api.request("PATCH", `/devices/${flagged.id}`, { token: developer.token, body: { latitude: -1.3, longitude: 36.8 } })).json();
    expect(located.validationErrors).to.deep.equal([]);
    // Removing an uploaded device keeps the log, which then points at no device.
    expect((await api.request("DELETE", `/devices/${flagged.id}`, { token: developer.token })).status).to.equal(204);
    expect((await logOf(job.id as string)).items[1]).to.deep.include({ status: "SuccessWithValidationErrors", deviceId: null });

    const failedOnly = await logOf(job.id as string, "?status=Failed&limit=2");
    expect(failedOnly.items.map((r) => r.rowNumber)).to.deep.equal([3, 4]);
    const rest = await logOf(job.id as string, `?status=Failed&limit=2&cursor=${failedOnly.nextCursor}`);
    expect(rest.items.map((r) => r.rowNumber)).to.deep.equal([5, 6]);
  });

  it("refuses an existing external id of the organisation, but not another organisation's", async () => {
    const first = await upload([HEADER, row("dup-1")].join("\n"));
    expect(first.succeeded).to.equal(1);
    const again = await upload([HEADER, row("dup-1"), row("dup-2")].join("\n"));
    expect(again).to.deep.include({ succeeded: 1, failed: 1 });
    const [failedRow] = (await logOf(again.id as string, "?status=Failed")).items;
    expect(failedRow.errors[0].message).to.match(/^is already used by device [0-9a-f-]{36} in this organisation$/);
    const other = seedOrganisation(api, "developer");
    const response = await uploadCsv(api, other.token, [HEADER, row("dup-1")].join("\n"));
    expect((await finishedJob(api, other.token, (await response.json()).id)).succeeded).to.equal(1);
  });

  it("stores the file as uploaded, accepts a multipart form, and lists jobs per organisation", async () => {
    const csv = `\uFEFF${[HEADER, row("m-1"), row("m-2")].join("\r\n")}\r\n`;
    const form = new FormData();
    form.append("file", new File([csv], "my devices.csv", { type: "text/csv" }));
    const response = await api.app.request("/devices/uploads", { method: "POST", headers: { authorization: `Bearer ${developer.token}` }, body: form });
    expect(response.status).to.equal(202);
    const job = await finishedJob(api, developer.token, (await response.json()).id);
    expect(job).to.deep.include({ fileName: "my devices.csv", succeeded: 2 });
    const stored = await api.request("GET", `/devices/uploads/${job.id}/file`, { token: developer.token });
    // Byte for byte, but for the byte-order mark, which decoding the upload as UTF-8 drops.
    expect(await stored.text()).to.equal(csv.slice(1));
    expect(stored.headers.get("content-disposition")).to.equal('attachment; filename="my_devices.csv"');

    api.clock.advance(1_000);
    const second = await upload([HEADER, row("m-3")].join("\n"));
    const jobs = await (await api.request("GET", "/devices/uploads?limit=1", { token: developer.token })).json();
    expect(jobs.items.map((j: { id: string }) => j.id)).to.deep.equal([second.id]);
    expect(jobs.items[0]).to.not.have.property("content");
    const older = await (await api.request("GET", `/devices/uploads?limit=1&cursor=${jobs.nextCursor}`, { token: developer.token })).json();
    expect(older.items.map((j: { id: string }) => j.id)).to.deep.equal([job.id]);
    expect(older.nextCursor).to.equal(null);

    const stranger = seedOrganisation(api, "developer");
    expect((await (await api.request("GET", "/devices/uploads", { token: stranger.token })).json()).items).to.deep.equal([]);
    for (const path of [`/devices/uploads/${job.id}`, `/devices/uploads/${job.id}/rows`, `/devices/uploads/${job.id}/file`]) {
      expect((await api.request("GET", path, { token: stranger.token })).status, path).to.equal(404);
    }
    const auditor = seedOrganisation(api, "auditor");
    const audited = await (await api.request("GET", `/devices/uploads?organisationId=${developer.organisationId}`, { token: auditor.token })).json();
    expect(audited.items.map((j: { id: string }) => j.id)).to.deep.equal([second.id, job.id]);
  });

  it("refuses unreadable files at once, storing nothing", async () => {
    const before = tableSnapshot(api);
    const cases: [string, RegExp][] = [
      ["", /empty/],
      [HEADER, /no device rows/],
      ["externalId,colour\nx,red", /column 2 "colour" is not a device field[\s\S]*required columns are missing: countryCode, commissioningDate, capacity/],
      ['externalId,"countryCode\nx', /not readable CSV/],
    ];
    for (const [csv, message] of cases) {
      const response = await uploadCsv(api, developer.token, csv);
      expect(response.status, csv).to.equal(400);
      const problem = await response.json();
      expect(problem.errors.map((e: { message: string }) => e.message).join("\n"), csv).to.match(message);
    }
    const wrongType = await api.request("POST", "/devices/uploads", { token: developer.token, body: { externalId: "x" } });
    expect(wrongType.status).to.be.oneOf([400, 415]);
    const huge = await api.app.request("/devices/uploads", {
      method: "POST",
      headers: { authorization: `Bearer ${developer.token}`, "content-type": "text/csv", "content-length": String(MAX_UPLOAD_BYTES + 1) },
      body: "x".repeat(MAX_UPLOAD_BYTES + 1),
    });
    expect(huge.status).to.equal(413);
    expect(tableSnapshot(api)).to.deep.equal(before);
  });

  it("marks a job failed when the file turns unreadable midway, keeping the rows before", async () => {
    const job = await upload([HEADER, row("before-1"), `"unclosed,KE`].join("\n"));
    expect(job.status).to.equal("failed");
    expect(job.error).to.match(/^the file stopped being readable CSV after row 1: Quote Not Closed/);
    expect(job.succeeded).to.equal(1);
  });

  it("logs rows with the wrong number of cells as failed", async () => {
    const job = await upload([HEADER, row("short-1").split(",").slice(0, 5).join(","), row("fine-1")].join("\n"));
    expect(job).to.deep.include({ succeeded: 1, failed: 1 });
    const [failed] = (await logOf(job.id as string, "?status=Failed")).items;
    expect(failed).to.deep.include({ externalId: "short-1", errors: [{ field: "row", message: "has 5 cells; the header has 11" }] });
  });

  it("needs WRITE on devices and a developer organisation (or an administrator naming one)", async () => {
    const csv = [HEADER, row("perm-1")].join("\n");
    const before = tableSnapshot(api);
    const reader = seedUser(api, developer.organisationId, { isOrganisationAdmin: false, permissions: { devices: ["READ"] } });
    expect((await uploadCsv(api, reader.token, csv)).status).to.equal(403);
    expect((await uploadCsv(api, seedOrganisation(api, "buyer").token, csv)).status).to.equal(403);
    expect((await uploadCsv(api, seedOrganisation(api, "auditor").token, csv)).status).to.equal(403);
    expect((await uploadCsv(api, "", csv)).status).to.equal(401);
    expect(tableSnapshot(api).device_upload_jobs).to.equal(before.device_upload_jobs);
    const admin = seedOrganisation(api, "admin");
    expect((await uploadCsv(api, admin.token, csv)).status).to.equal(400);
    const accepted = await uploadCsv(api, admin.token, csv, `?organisationId=${developer.organisationId}`);
    expect(accepted.status).to.equal(202);
    const job = await finishedJob(api, admin.token, (await accepted.json()).id);
    expect(job).to.deep.include({ organisationId: developer.organisationId, createdBy: admin.userId, succeeded: 1 });
  });

  it("resumes a job left processing by a previous run after its last committed chunk", async () => {
    const rows = Array.from({ length: UPLOAD_CHUNK_ROWS + 20 }, (_, i) => row(`resume-${i}`));
    const csv = [HEADER, ...rows].join("\n");
    // A previous run committed the first chunk (devices, log and progress together), then stopped.
    const interrupted = await upload([HEADER, ...rows.slice(0, UPLOAD_CHUNK_ROWS)].join("\n"));
    const db = api.database.db;
    db.update(deviceUploadJobs).set({ content: csv, status: "processing", finishedAt: null }).where(eq(deviceUploadJobs.id, interrupted.id as string)).run();

    const restarted = createApp(api.deps);
    let job: Record<string, unknown> = {};
    for (let attempt = 0; attempt < 1000 && job.status !== "completed"; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      job = await (await restarted.request(`/devices/uploads/${interrupted.id}`, { headers: { authorization: `Bearer ${developer.token}` } })).json();
    }
    expect(job).to.deep.include({ status: "completed", processedRows: UPLOAD_CHUNK_ROWS + 20, succeeded: UPLOAD_CHUNK_ROWS + 20, failed: 0 });
    const logged = db.select().from(deviceUploadRows).where(eq(deviceUploadRows.jobId, interrupted.id as string)).all();
    expect(logged.map((r) => r.rowNumber)).to.deep.equal(Array.from({ length: UPLOAD_CHUNK_ROWS + 20 }, (_, i) => i + 1));
  });

  it("processes 10,000 rows from one file", async function () {
    this.timeout(120_000);
    const csv = [HEADER, ...Array.from({ length: 10_000 }, (_, i) => row(`bulk-${i}`, { sdgBenefits: "NoPoverty" }))].join("\n");
    const before = tableCounts(api).devices;
    const job = await upload(csv);
    expect(job).to.deep.include({ status: "completed", processedRows: 10_000, succeeded: 10_000, failed: 0 });
    expect(tableCounts(api).devices).to.equal(before + 10_000);
    const file = parse(await (await api.request("GET", `/devices/uploads/${job.id}/file`, { token: developer.token })).text());
    expect(file).to.have.length(10_001);
  });
});
