/**
 * The bulk-upload file format: one column per device field (the JSON names), one device per row.
 * Lists (sdgBenefits) are separated by ";", booleans are yes/no or true/false, empty cells are absent.
 * Cells become the same candidate object a JSON client would send, so `checkDevice` judges both alike.
 */
import { DEVICE_FIELDS, type DeviceField, type DeviceInput } from "./validation";

type CellKind = "text" | "number" | "boolean" | "list";

const CELL_KINDS = {
  externalId: "text",
  projectName: "text",
  countryCode: "text",
  commissioningDate: "text",
  capacity: "number",
  offTaker: "text",
  fuelCode: "text",
  deviceTypeCode: "text",
  impactStory: "text",
  deviceDescription: "text",
  sdgBenefits: "list",
  address: "text",
  latitude: "number",
  longitude: "number",
  qualityLabels: "text",
  gridInterconnection: "boolean",
  energyStorage: "boolean",
  energyStorageCapacity: "number",
  timeZone: "text",
  yieldOverride: "number",
  energySource: "text",
  technologyType: "text",
  isStorage: "boolean",
  grid: "text",
} as const satisfies Record<DeviceField, CellKind>;

/** Columns a file must have: without them every row would fail the same way, so the file is refused at once. */
export const REQUIRED_COLUMNS: readonly DeviceField[] = ["externalId", "countryCode", "commissioningDate", "capacity"];

export type HeaderCheck = { columns: DeviceField[] } | { problems: string[] };

/** Matches header cells to fields, ignoring case and surrounding spaces. */
export function mapHeader(header: readonly string[]): HeaderCheck {
  const byLowerName = new Map(DEVICE_FIELDS.map((field) => [field.toLowerCase(), field]));
  const problems: string[] = [];
  const columns: DeviceField[] = [];
  header.forEach((cell, index) => {
    const field = byLowerName.get(cell.trim().toLowerCase());
    if (!field) problems.push(`column ${index + 1} "${cell}" is not a device field (accepted: ${DEVICE_FIELDS.join(", ")})`);
    else if (columns.includes(field)) problems.push(`column ${index + 1} repeats ${field}`);
    else columns.push(field);
  });
  const missing = REQUIRED_COLUMNS.filter((field) => !columns.includes(field));
  if (missing.length > 0) problems.push(`required columns are missing: ${missing.join(", ")}`);
  return problems.length > 0 ? { problems } : { columns };
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const TRUE = new Set(["true", "yes", "y", "1"]);
const FALSE = new Set(["false", "no", "n", "0"]);

/** One row as a candidate device. A cell that is not of its column's kind is kept as text, so the check names it. */
export function candidateFromRow(columns: readonly DeviceField[], cells: readonly string[]): Record<string, unknown> {
  const candidate: Record<string, unknown> = {};
  columns.forEach((field, index) => {
    const cell = (cells[index] ?? "").trim();
    if (cell === "") return;
    const kind: CellKind = CELL_KINDS[field];
    const lower = cell.toLowerCase();
    if (kind === "number") candidate[field] = NUMBER.test(cell) ? Number(cell) : cell;
    else if (kind === "boolean") candidate[field] = TRUE.has(lower) ? true : FALSE.has(lower) ? false : cell;
    else if (kind === "list") candidate[field] = cell.split(";").map((item) => item.trim()).filter((item) => item !== "");
    else candidate[field] = cell;
  });
  return candidate;
}

const EXAMPLE_DEVICE: Required<{ [K in DeviceField]: NonNullable<DeviceInput[K]> }> = {
  externalId: "KE-NBO-0001",
  projectName: "Nairobi schools solar",
  countryCode: "KE",
  commissioningDate: "2023-04-01",
  capacity: 12.5,
  offTaker: "School",
  fuelCode: "Solar",
  deviceTypeCode: "PVRoofMounted",
  impactStory: "Powers lighting and computers for 600 pupils",
  deviceDescription: "RooftopSolar",
  sdgBenefits: ["AffordableAndCleanEnergy", "ClimateAction"],
  address: "1 School Road, Nairobi",
  latitude: -1.2921,
  longitude: 36.8219,
  qualityLabels: "IEC 61215",
  gridInterconnection: true,
  energyStorage: true,
  energyStorageCapacity: 20,
  timeZone: "Africa/Nairobi",
  yieldOverride: 1600,
  energySource: "solar_pv",
  technologyType: "solar_pv",
  isStorage: false,
  grid: "KPLC",
};

/** One CSV cell, quoted when it holds a quote, comma or line break. */
export function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The downloadable template: every column, and one filled-in example row. */
export function templateCsv(): string {
  const cells = DEVICE_FIELDS.map((field) => {
    const value = EXAMPLE_DEVICE[field];
    return Array.isArray(value) ? value.join(";") : typeof value === "boolean" ? (value ? "yes" : "no") : String(value);
  });
  return `${DEVICE_FIELDS.join(",")}\r\n${cells.map(csvCell).join(",")}\r\n`;
}
