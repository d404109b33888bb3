import type { OutgoingEmail } from "../notifications/transport";

export function invitationEmail(input: {
  to: string;
  firstName: string;
  organisationName: string;
  isOrganisationAdmin: boolean;
  link: string;
  expiresAt: string;
}): OutgoingEmail {
  return {
    to: input.to,
    subject: `${input.organisationName} invites you to the energy attribute certificate registry`,
    body: [
      `Hello ${input.firstName},`,
      "",
      `${input.organisationName} invites you to join it on the energy attribute certificate registry${input.isOrganisationAdmin ? " as its administrator" : ""}.`,
      "",
      `See the invitation: ${input.link}`,
      `Accept it by choosing your password (POST ${input.link}/accept with password and passwordConfirmation), or decline it (POST ${input.link}/reject).`,
      "",
      `The link works once and expires at ${input.expiresAt}. No password is sent by email: you choose yours when you accept.`,
    ].join("\n"),
  };
}
