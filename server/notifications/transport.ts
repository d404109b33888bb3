/** One email as the business code writes it to the outbox. */
export interface OutgoingEmail {
  to: string;
  subject: string;
  body: string;
}

/** Where the outbox dispatcher hands emails. `deliver` rejects when the email was not accepted. */
export interface MailTransport {
  name: string;
  deliver(email: OutgoingEmail): Promise<void>;
}

/** The line the local transport writes: enough to follow a link by hand without reading the whole body. */
export function summariseEmail(email: OutgoingEmail): string {
  const link = /https?:\/\/\S+/.exec(email.body)?.[0];
  return `to=${email.to} subject=${JSON.stringify(email.subject)}${link ? ` link=${link}` : ""}`;
}

/** Local mode has no mail server: emails are logged, one line each, so invitations can be followed. */
export function localMailTransport(log: (line: string) => void): MailTransport {
  return {
    name: "local",
    async deliver(email) {
      log(`mail      ${summariseEmail(email)}`);
    },
  };
}
