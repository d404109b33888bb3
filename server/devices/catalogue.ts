/**
 * The closed lists a device is described with (seed 001 "Add Devices", seed 000 GC device model).
 * Codes are what the API and the CSV upload accept; labels are the seed's wording for people.
 */
import countriesAndTimezones from "countries-and-timezones";

export const OFF_TAKERS = ["School", "HealthFacility", "Residential", "Commercial", "Industrial", "PublicSector", "Agriculture"] as const;
export type OffTaker = (typeof OFF_TAKERS)[number];

/** The seed lists solar thermal co-firing as removed: solar is the only fuel for now. */
export const FUEL_CODES = ["Solar"] as const;
export type FuelCode = (typeof FUEL_CODES)[number];

export const DEVICE_TYPE_CODES = ["PVGroundMounted", "PVRoofMounted", "PVFloating", "PVAggregated", "SolarThermalConcentration"] as const;
export type DeviceTypeCode = (typeof DEVICE_TYPE_CODES)[number];

export const DEVICE_DESCRIPTIONS = ["SolarLantern", "SolarHomeSystem", "MiniGrid", "RooftopSolar", "GroundMountSolar"] as const;
export type DeviceDescription = (typeof DEVICE_DESCRIPTIONS)[number];

/**
 * The seed's SDG list. Its numbering drifts from the UN's after goal 3 (it has no "Quality education"),
 * so codes are the goals' names and `unGoal` carries the UN number. The order is the bit order of the
 * stored mask (see sdgMask): append new goals, never reorder.
 */
export const SDG_BENEFIT_CATALOGUE = [
  { code: "NoPoverty", unGoal: 1, label: "No poverty" },
  { code: "ZeroHunger", unGoal: 2, label: "Zero hunger" },
  { code: "GoodHealthAndWellBeing", unGoal: 3, label: "Good health and well-being" },
  { code: "GenderEquality", unGoal: 5, label: "Gender equality" },
  { code: "CleanWaterAndSanitation", unGoal: 6, label: "Clean water and sanitation" },
  { code: "AffordableAndCleanEnergy", unGoal: 7, label: "Affordable and clean energy" },
  { code: "DecentWorkAndEconomicGrowth", unGoal: 8, label: "Decent work and economic growth" },
  { code: "IndustryInnovationAndInfrastructure", unGoal: 9, label: "Industry, innovation and infrastructure" },
  { code: "ReducedInequality", unGoal: 10, label: "Reduced inequality" },
  { code: "SustainableCitiesAndCommunities", unGoal: 11, label: "Sustainable cities and communities" },
  { code: "ResponsibleConsumptionAndProduction", unGoal: 12, label: "Responsible consumption and production" },
  { code: "ClimateAction", unGoal: 13, label: "Climate action" },
  { code: "LifeBelowWater", unGoal: 14, label: "Life below water" },
  { code: "LifeOnLand", unGoal: 15, label: "Life on land" },
  { code: "PeaceJusticeAndStrongInstitutions", unGoal: 16, label: "Peace, justice and strong institutions" },
  { code: "PartnershipsForTheGoals", unGoal: 17, label: "Partnerships for the goals" },
] as const;
export const SDG_BENEFITS = SDG_BENEFIT_CATALOGUE.map((goal) => goal.code) as unknown as readonly [SdgBenefit, ...SdgBenefit[]];
export type SdgBenefit = (typeof SDG_BENEFIT_CATALOGUE)[number]["code"];

/** For documentation: each code with its UN goal. */
export const SDG_DESCRIPTION = `SDG benefit codes: ${SDG_BENEFIT_CATALOGUE.map((goal) => `${goal.code} (UN SDG ${goal.unGoal}, ${goal.label})`).join("; ")}`;

/** A set of benefits as one integer, so "has all of these" is a single AND in SQL instead of a join. */
export function sdgMask(benefits: readonly SdgBenefit[]): number {
  return benefits.reduce((mask, benefit) => mask | (1 << SDG_BENEFITS.indexOf(benefit)), 0);
}

export function sdgBenefitsOf(mask: number): SdgBenefit[] {
  return SDG_BENEFITS.filter((_, bit) => (mask & (1 << bit)) !== 0);
}

/** EnergyTag GC registry's energy sources and technology types (seed 000's DeviceBase). */
export const ENERGY_SOURCES = ["solar_pv", "wind", "hydro", "biomass", "nuclear", "electrolysis", "geothermal", "battery_storage", "chp", "other"] as const;
export type EnergySource = (typeof ENERGY_SOURCES)[number];

export const TECHNOLOGY_TYPES = ["solar_pv", "wind_turbine", "hydro", "battery_storage", "other_storage", "chp", "other"] as const;
export type TechnologyType = (typeof TECHNOLOGY_TYPES)[number];

export const STORAGE_TECHNOLOGY_TYPES: readonly TechnologyType[] = ["battery_storage", "other_storage"];

/** What a D-REC fuel code means in GC terms. */
export const ENERGY_SOURCE_OF_FUEL: Record<FuelCode, EnergySource> = { Solar: "solar_pv" };

/** What a D-REC device type means in GC terms (the GC list has no solar-thermal entry). */
export const TECHNOLOGY_OF_DEVICE_TYPE: Record<DeviceTypeCode, TechnologyType> = {
  PVGroundMounted: "solar_pv",
  PVRoofMounted: "solar_pv",
  PVFloating: "solar_pv",
  PVAggregated: "solar_pv",
  SolarThermalConcentration: "other",
};

/** ISO 3166-1 alpha-2 codes, as listed by countries-and-timezones. */
export const COUNTRY_CODES = Object.keys(countriesAndTimezones.getAllCountries()).sort() as [string, ...string[]];
const COUNTRY_CODE_SET = new Set(COUNTRY_CODES);

export function isCountryCode(code: string): boolean {
  return COUNTRY_CODE_SET.has(code);
}
