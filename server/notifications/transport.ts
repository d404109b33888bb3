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

/**
 * The line the logging transport writes. Links carry one-time tokens (an invitation link lets its holder
 * join an organisation), so they are shown only where the log is the developer's own console.
 */
export function summariseEmail(email: OutgoingEmail, showLinks: boolean): string {
  const link = /https?:\/\/\S+/.exec(email.body)?.[0];
  return `to=${email.to} subject=${JSON.stringify(email.subject)}${link ? (showLinks ? ` link=${link}` : " (link withheld outside local mode)") : ""}`;
}

/** With no mail server configured, emails are logged one line each; in local mode with their links, to follow by hand. */
export function localMailTransport(log: (line: string) => void, options: { showLinks: boolean } = { showLinks: true }): MailTransport {
  return {
    name: "local",
    async deliver(email) {
      log(`mail      ${summariseEmail(email, options.showLinks)}`);
    },
  };
}
