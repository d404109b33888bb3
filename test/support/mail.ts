import type { MailTransport, OutgoingEmail } from "../../server/notifications/transport";

/** Keeps every delivered email, for tests to read links from; `failWith` makes deliveries fail until cleared. */
export class RecordingMailTransport implements MailTransport {
  readonly name = "recording";
  readonly sent: OutgoingEmail[] = [];
  failWith?: Error;

  async deliver(email: OutgoingEmail): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.sent.push(email);
  }

  /** The emails sent to `to`, oldest first. */
  to(to: string): OutgoingEmail[] {
    return this.sent.filter((email) => email.to === to.toLowerCase());
  }

  /** The first link in the latest email to `to`. */
  lastLink(to: string): string {
    const latest = this.to(to).at(-1);
    const link = latest && /https?:\/\/\S+/.exec(latest.body)?.[0];
    if (!link) throw new Error(`no email with a link was sent to ${to}`);
    return link;
  }
}
