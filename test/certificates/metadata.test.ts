import { expect } from "chai";
import { certificateMetadata, deviceGroupId, METADATA_VERSION, whToMWh, type MetadataDevice, type MetadataInput } from "../../server/certificates/metadata";

const device = (n: number, overrides: Partial<MetadataDevice> = {}): MetadataDevice => ({
  id: `00000000-0000-4000-8000-00000000000${n}`,
  externalId: `meter-${n}`,
  projectName: `Project ${n}`,
  countryCode: "KE",
  fuelCode: "Solar",
  deviceTypeCode: "PVRoofMounted",
  offTaker: "School",
  deviceDescription: "SolarHomeSystem",
  capacityW: 5_000,
  commissioningDate: "2024-03-01",
  gridInterconnection: true,
  qualityLabels: null,
  sdgBenefits: ["NoPoverty"],
  timeZone: "Africa/Nairobi",
  yieldKwhPerKwYear: 1_700,
  ...overrides,
});

const DAY = 86_400_000;
const start = Date.UTC(2026, 4, 1);

function input(overrides: Partial<MetadataInput> = {}): MetadataInput {
  return {
    certificateId: "452312848583266388373324160190187140051835877600158453279131187530910662657",
    volumeWh: 24_000n,
    generationStart: start,
    generationEnd: start + DAY,
    evidenceRoot: `0x${"ab".repeat(32)}`,
    txHash: `0x${"cd".repeat(32)}`,
    countryCode: "*",
    standard: { state: null, firstSerial: null, lastSerial: null, txHash: null },
    reservation: {
      id: "11111111-1111-4111-8111-111111111111",
      name: "School power 2026",
      standard: "D-REC",
      frequency: "daily",
      targetWh: 1_500_000n,
      canExceedTarget: false,
      startAt: start,
      endAt: start + 30 * DAY,
      createdAt: start - DAY,
      buyerOrganisationId: "22222222-2222-4222-8222-222222222222",
      buyerWallet: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      succeededWh: 48_000n,
      requestedWh: 72_000n,
      failedWh: 1n,
    },
    developer: { id: "33333333-3333-4333-8333-333333333333", name: "Sunny Dev", wallet: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" },
    group: {
      devices: [
        device(2, { capacityW: 15_000, yieldKwhPerKwYear: 1_500, offTaker: "HealthFacility", deviceTypeCode: "PVGroundMounted", commissioningDate: "2023-01-15", qualityLabels: "ISO" }),
        device(1),
      ],
      updatedAt: start - DAY + 60_000,
    },
    contributingDeviceIds: ["00000000-0000-4000-8000-000000000002", "00000000-0000-4000-8000-000000000001"],
    ...overrides,
  };
}

describe("certificates: ERC-1155 metadata", () => {
  it("converts Wh to MWh exactly, without floating point", () => {
    expect(whToMWh(1_500_000n)).to.equal("1.5");
    expect(whToMWh(1n)).to.equal("0.000001");
    expect(whToMWh(0n)).to.equal("0");
    expect(whToMWh(123_456_789_012_345_678n)).to.equal("123456789012.345678");
    expect(whToMWh(-2_000_000n)).to.equal("-2");
  });

  it("names a device group by a stable UUID of reservation, developer and country", () => {
    const id = deviceGroupId("r", "o", "KE");
    expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deviceGroupId("r", "o", "KE")).to.equal(id);
    expect(new Set([id, deviceGroupId("r", "o", "UG"), deviceGroupId("r", "o2", "KE"), deviceGroupId("r2", "o", "KE")]).size).to.equal(4);
  });

  it("is a wallet-readable token description: name, description, decimals 0", () => {
    const metadata = certificateMetadata(input());
    expect(metadata.name).to.equal("D-REC 24000 Wh, 2026-05-01 to 2026-05-02");
    expect(metadata.decimals).to.equal(0);
    expect(metadata.description).to.include("24000 Wh").and.include("2 device(s) of Sunny Dev").and.include("11111111-1111-4111-8111-111111111111");
  });

  it("carries every field of the seed's certificate structure, from its inputs", () => {
    const { properties } = certificateMetadata(input());
    const group = deviceGroupId("11111111-1111-4111-8111-111111111111", "33333333-3333-4333-8333-333333333333", "*");
    expect(properties).to.deep.include({
      version: METADATA_VERSION,
      unit: "Wh",
      volumeWh: "24000",
      generationStart: "2026-05-01T00:00:00.000Z",
      generationEnd: "2026-05-02T00:00:00.000Z",
      buyerReservationId: "11111111-1111-4111-8111-111111111111",
      beneficiary: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      isStandardIssuanceRequested: false,
      isStandardIssued: false,
      type: "D-REC",
      deviceIds: ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"],
      groupId: group,
      standardSerials: null,
    });
    const { devices, ...deviceGroup } = properties.deviceGroup;
    expect(deviceGroup).to.deep.equal({
      createdAt: "2026-04-30T00:00:00.000Z",
      updatedAt: "2026-04-30T00:01:00.000Z",
      id: group,
      deviceGroupId: group,
      name: "School power 2026 / Sunny Dev / KE",
      organisationId: "33333333-3333-4333-8333-333333333333",
      fuelCode: "Solar",
      countryCode: "KE",
      standardCompliance: "D-REC",
      deviceTypeCodes: ["PVGroundMounted", "PVRoofMounted"],
      offTakers: ["HealthFacility", "School"],
      installationConfigurations: ["SolarHomeSystem"],
      sectors: ["HealthFacility", "School"],
      commissioningDateRange: ["2023-01-15", "2024-03-01"],
      gridInterconnection: true,
      aggregatedCapacity: 20,
      capacityRange: { minKw: 5, maxKw: 15 },
      // (5 kW × 1,700 + 15 kW × 1,500) / 20 kW
      yieldValue: 1_550,
      labels: ["ISO"],
      buyerId: "22222222-2222-4222-8222-222222222222",
      buyerAddress: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      leftoverReads: 0,
      leftoverReadsByCountryCode: {},
      frequency: "daily",
      targetVolumeInMegaWattHour: "1.5",
      targetVolumeCertificateGenerationSucceededInMegaWattHour: "0.048",
      targetVolumeCertificateGenerationRequestedInMegaWattHour: "0.072",
      targetVolumeCertificateGenerationFailedInMegaWattHour: "0.000001",
      authorityToExceed: false,
      reservationStartDate: "2026-05-01T00:00:00.000Z",
      reservationEndDate: "2026-05-31T00:00:00.000Z",
      organization: { name: "Sunny Dev", blockchainAccountAddress: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" },
    });
    expect(devices.map((d) => [d.id, d.externalId, d.capacityKw])).to.deep.equal([
      ["00000000-0000-4000-8000-000000000001", "meter-1", 5],
      ["00000000-0000-4000-8000-000000000002", "meter-2", 15],
    ]);
  });

  it("shows an I-REC certificate's request, and its serial range once issued", () => {
    const irec = { ...input().reservation, standard: "I-REC" as const };
    const provisional = certificateMetadata(input({ reservation: irec, countryCode: "KE", standard: { state: "provisional", firstSerial: null, lastSerial: null, txHash: null } })).properties;
    expect([provisional.isStandardIssuanceRequested, provisional.isStandardIssued, provisional.standardSerials]).to.deep.equal([true, false, null]);
    expect(provisional.deviceGroup.standardCompliance).to.equal("I-REC");
    expect(provisional.groupId).to.equal(deviceGroupId(irec.id, "33333333-3333-4333-8333-333333333333", "KE"));

    const serials = { state: "issued" as const, firstSerial: "SIM-KE-000000000001", lastSerial: "SIM-KE-000000024000", txHash: `0x${"ef".repeat(32)}` };
    const issued = certificateMetadata(input({ reservation: irec, countryCode: "KE", standard: serials })).properties;
    expect(issued.isStandardIssued).to.equal(true);
    expect(issued.standardSerials).to.deep.equal({ firstSerial: serials.firstSerial, lastSerial: serials.lastSerial, transactionHash: serials.txHash });
  });

  it("describes a group that mixes countries and grid connections without claiming uniformity", () => {
    const group = { devices: [device(1, { countryCode: "UG", gridInterconnection: false }), device(2)], updatedAt: start };
    const { deviceGroup } = certificateMetadata(input({ group })).properties;
    expect(deviceGroup.countryCode).to.equal("KE,UG");
    expect(deviceGroup.gridInterconnection).to.equal(false);
    expect(deviceGroup.name).to.equal("School power 2026 / Sunny Dev / KE, UG");
  });
});
