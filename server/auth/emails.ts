import type { OutgoingEmail } from "../notifications/transport";
import type { OrganisationType } from "./permissions";

export function signUpEmail(input: {
  to: string;
  firstName: string;
  organisation: { name: string; type: OrganisationType };
  publicUrl: string;
}): OutgoingEmail {
  return {
    to: input.to,
    subject: `Your organisation ${input.organisation.name} is registered`,
    body: [
      `Hello ${input.firstName},`,
      "",
      `${input.organisation.name} is now registered on the energy attribute certificate registry as a ${input.organisation.type} organisation, with you as its administrator.`,
      "",
      `Log in with this email address and the password you chose: ${input.publicUrl}/auth/login`,
      "Then invite your colleagues with POST /organisation/invitations.",
      "",
      "If you did not sign up, tell us by replying to this email.",
    ].join("\n"),
  };
}
