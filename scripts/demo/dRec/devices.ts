import { waitFor } from "../http";
import type { DemoContext, Session } from "../story";
import { deviceBody, devicesCsv, type DemoDevice } from "./fixtures";

export interface RegisteredDevice {
  id: string;
  externalId: string;
  onboardedAt: number;
  via: "api" | "csv";
  spec: DemoDevice;
}

interface Device {
  id: string;
  externalId: string;
  onboardedAt: string;
  timeZone: string;
}

interface UploadJob {
  id: string;
  status: string;
  processedRows: number;
  succeeded: number;
  succeededWithErrors: number;
  failed: number;
  error: string | null;
}

interface UploadRow {
  rowNumber: number;
  externalId: string | null;
  deviceId: string | null;
  status: string;
  errors: { field: string; message: string }[];
}

/** POST /devices, one device per request, as a developer's form would send them. */
export async function registerOneByOne(context: DemoContext, developer: Session, specs: readonly DemoDevice[]): Promise<RegisteredDevice[]> {
  const registered: RegisteredDevice[] = [];
  for (const spec of specs) {
    const device = await context.api.post<Device>("/devices", deviceBody(spec), developer.as);
    registered.push({ id: device.id, externalId: device.externalId, onboardedAt: Date.parse(device.onboardedAt), via: "api", spec });
    context.print.line(`POST /devices       ${device.externalId}  ${spec.capacity} kW ${spec.deviceDescription} for a ${spec.offTaker}, ${spec.projectName} (${device.timeZone})`);
  }
  return registered;
}

/** POST /devices/uploads with a CSV file: answered at once with a job, which the demo follows to its per-row log. */
export async function uploadCsv(context: DemoContext, developer: Session, specs: readonly DemoDevice[]): Promise<RegisteredDevice[]> {
  const csv = devicesCsv(specs);
  const accepted = await context.api.request<UploadJob>("POST", "/devices/uploads?fileName=demo-devices.csv", { as: developer.as, body: csv, contentType: "text/csv" });
  context.print.line(`POST /devices/uploads  demo-devices.csv (${specs.length} rows, ${csv.length} bytes): 202, job ${accepted.id}`);
  const job = await waitFor("the device upload to finish", async () => {
    const current = await context.api.get<UploadJob>(`/devices/uploads/${accepted.id}`, developer.as);
    context.print.progress("rows processed", current.processedRows, specs.length);
    return current.status === "completed" || current.status === "failed" ? current : undefined;
  });
  if (job.status !== "completed" || job.failed > 0 || job.succeededWithErrors > 0) {
    throw new Error(`The demo's device upload did not store every row cleanly: ${JSON.stringify(job)}`);
  }
  const rows = await context.api.all<UploadRow>(`/devices/uploads/${job.id}/rows`, developer.as);
  const registered: RegisteredDevice[] = [];
  for (const row of rows) {
    const device = await context.api.get<Device>(`/devices/${row.deviceId}`, developer.as);
    const spec = specs.find((s) => s.externalId === device.externalId)!;
    registered.push({ id: device.id, externalId: device.externalId, onboardedAt: Date.parse(device.onboardedAt), via: "csv", spec });
    context.print.line(`row ${row.rowNumber}  ${row.status.padEnd(7)}  ${device.externalId}  ${spec.capacity} kW ${spec.deviceDescription} for ${spec.offTaker}, ${spec.projectName}`);
  }
  return registered;
}
