import type { OutgoingEmail } from "../notifications/transport";

/** Seed 001: "Developer should be notified on every reservation of their device." */
export function devicesReservedEmail(input: {
  to: string;
  developerOrganisationName: string;
  buyerOrganisationName: string;
  reservation: { id: string; name: string; startAt: number; endAt: number; frequency: string; standard: string };
  devices: readonly { id: string; externalId: string }[];
}): OutgoingEmail {
  const { reservation, devices } = input;
  const count = devices.length === 1 ? "1 device" : `${devices.length} devices`;
  return {
    to: input.to,
    subject: `${input.buyerOrganisationName} reserved ${count} of ${input.developerOrganisationName}`,
    body: [
      `${input.buyerOrganisationName} has reserved ${count} of ${input.developerOrganisationName} in its reservation "${reservation.name}" (${reservation.id}).`,
      "",
      `Period: ${new Date(reservation.startAt).toISOString()} to ${new Date(reservation.endAt).toISOString()} (UTC, end exclusive)`,
      `Standard: ${reservation.standard}; certificates issued ${reservation.frequency}.`,
      "",
      "Devices:",
      ...devices.map((device) => `  - ${device.externalId} (${device.id})`),
      "",
      "While the reservation is active these devices cannot be removed, and the fields that shape their certificates cannot change.",
      "They are released at the reservation's end and held 12 hours before another reservation may take them.",
    ].join("\n"),
  };
}
