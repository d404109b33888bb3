import { expect } from "chai";
import type { TestApi } from "../support/api";

/** A complete, valid device as a JSON client would send it; override what a test is about. */
export function validDevice(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    externalId: "KE-0001",
    projectName: "Nairobi schools",
    countryCode: "KE",
    commissioningDate: "2024-01-15",
    capacity: 12.5,
    offTaker: "School",
    fuelCode: "Solar",
    deviceTypeCode: "PVRoofMounted",
    impactStory: "Lights for 600 pupils",
    deviceDescription: "RooftopSolar",
    sdgBenefits: ["AffordableAndCleanEnergy", "ClimateAction"],
    address: "1 School Road, Nairobi",
    latitude: -1.2921,
    longitude: 36.8219,
    qualityLabels: "IEC 61215",
    gridInterconnection: true,
    energyStorage: true,
    energyStorageCapacity: 20,
    yieldOverride: 1600,
    grid: "KPLC",
    ...overrides,
  };
}

/** Polls the job-status endpoint, as a client would, until the background worker has finished the job. */
export async function finishedJob(api: TestApi, token: string, jobId: string): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < 2000; attempt++) {
    const response = await api.request("GET", `/devices/uploads/${jobId}`, { token });
    expect(response.status).to.equal(200);
    const job = (await response.json()) as Record<string, unknown>;
    if (job.status === "completed" || job.status === "failed") return job;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`upload ${jobId} did not finish`);
}

export function uploadCsv(api: TestApi, token: string, csv: string, query = "") {
  return api.request("POST", `/devices/uploads${query}`, { token, body: csv, headers: { "content-type": "text/csv" } });
}
