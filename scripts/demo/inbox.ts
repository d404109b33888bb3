/**
 * The demo's mailbox. No mail server runs locally: the stack logs each email as one line
 * (`mail      to=… subject="…" link=…`, see server/notifications/transport.ts). The demo hands the stack
 * this inbox's `log`, which passes every line on and keeps the links, so the demo can follow an
 * invitation link as its recipient would.
 */
export interface Inbox {
  log(line: string): void;
  /** The latest link matching `pattern` emailed to `to`, waiting briefly for it (the outbox is delivered after commit). */
  linkFor(to: string, pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** The latest email to `to`, waiting briefly for it. */
  lastTo(to: string, timeoutMs?: number): Promise<{ to: string; subject: string }>;
}

const MAIL_LINE = /^mail\s+to=(\S+) subject=("(?:[^"\\]|\\.)*")(?: link=(\S+))?/;

export function createInbox(forward: (line: string) => void): Inbox {
  const received: { to: string; subject: string; link?: string }[] = [];
  const latest = async <T>(to: string, pick: (mail: (typeof received)[number]) => T | undefined, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const mail of [...received].reverse()) {
        const found = mail.to === to.toLowerCase() ? pick(mail) : undefined;
        if (found !== undefined) return found;
      }
      if (Date.now() > deadline) throw new Error(`No such email reached ${to}.`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return {
    log(line) {
      const mail = MAIL_LINE.exec(line);
      if (mail) received.push({ to: mail[1].toLowerCase(), subject: JSON.parse(mail[2]) as string, link: mail[3] });
      forward(line);
    },
    linkFor: (to, pattern, timeoutMs = 10_000) => latest(to, (mail) => (mail.link && pattern.test(mail.link) ? mail.link : undefined), timeoutMs),
    lastTo: (to, timeoutMs = 10_000) => latest(to, (mail) => ({ to: mail.to, subject: mail.subject }), timeoutMs),
  };
}
