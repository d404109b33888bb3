import { expect } from "chai";
import { eq } from "drizzle-orm";
import { openDatabase, type RegistryDatabase } from "../../server/db/database";
import { dispatchOutbox, enqueueEmail, MAX_DELIVERY_ATTEMPTS, retryDelayMs, startOutboxDispatcher } from "../../server/notifications/outbox";
import { outboxEmails } from "../../server/notifications/schema";
import { localMailTransport, summariseEmail, type MailTransport, type OutgoingEmail } from "../../server/notifications/transport";
import { createTestApi, TestClock } from "../support/api";
import { RecordingMailTransport } from "../support/mail";
import { signUpBody } from "../support/accounts";

describe("email outbox (server/notifications)", () => {
  let database: RegistryDatabase;
  let clock: TestClock;
  let mail: RecordingMailTransport;
  beforeEach(() => {
    database = openDatabase(":memory:");
    clock = new TestClock();
    mail = new RecordingMailTransport();
  });
  afterEach(() => database.close());

  const email: OutgoingEmail = { to: "ada@example.org", subject: "Hello", body: "See http://127.0.0.1:3000/invitations/abc for details." };
  const row = (id: string) => database.db.select().from(outboxEmails).where(eq(outboxEmails.id, id)).get()!;

  it("writes nothing when the business transaction rolls back", () => {
    expect(() =>
      database.db.transaction((tx) => {
        enqueueEmail(tx, email, clock.now());
        throw new Error("the business change failed");
      }),
    ).to.throw("the business change failed");
    expect(database.db.select().from(outboxEmails).all()).to.deep.equal([]);
  });

  it("delivers a committed email once and records the delivery", async () => {
    const id = enqueueEmail(database.db, email, clock.now());
    expect(await dispatchOutbox(database.db, mail, clock.now)).to.deep.equal({ delivered: 1, failed: 0 });
    expect(mail.sent).to.deep.equal([email]);
    expect(row(id)).to.include({ deliveredAt: clock.now().toISOString(), attempts: 1, nextAttemptAt: null, lastError: null });
    expect(await dispatchOutbox(database.db, mail, clock.now)).to.deep.equal({ delivered: 0, failed: 0 });
    expect(mail.sent).to.have.length(1);
  });

  it("records a failed delivery and retries it after its back-off", async () => {
    const id = enqueueEmail(database.db, email, clock.now());
    mail.failWith = new Error("connection refused");
    expect(await dispatchOutbox(database.db, mail, clock.now)).to.deep.equal({ delivered: 0, failed: 1 });
    expect(row(id)).to.include({ attempts: 1, lastError: "recording: connection refused", deliveredAt: null });
    expect(row(id).nextAttemptAt).to.equal(new Date(clock.now().getTime() + retryDelayMs(1)).toISOString());

    mail.failWith = undefined;
    clock.advance(retryDelayMs(1) - 1);
    expect(await dispatchOutbox(database.db, mail, clock.now), "not due yet").to.deep.equal({ delivered: 0, failed: 0 });
    clock.advance(1);
    expect(await dispatchOutbox(database.db, mail, clock.now)).to.deep.equal({ delivered: 1, failed: 0 });
    expect(row(id)).to.include({ attempts: 2, deliveredAt: clock.now().toISOString() });
  });

  it("gives up after MAX_DELIVERY_ATTEMPTS, keeping the email and its last error", async () => {
    const id = enqueueEmail(database.db, email, clock.now());
    mail.failWith = new Error("mailbox unavailable");
    for (let attempt = 1; attempt <= MAX_DELIVERY_ATTEMPTS; attempt += 1) {
      expect((await dispatchOutbox(database.db, mail, clock.now)).failed, `attempt ${attempt}`).to.equal(1);
      clock.advance(retryDelayMs(attempt));
    }
    expect(row(id)).to.include({ attempts: MAX_DELIVERY_ATTEMPTS, nextAttemptAt: null, deliveredAt: null });
    clock.advance(24 * 3_600_000);
    expect(await dispatchOutbox(database.db, mail, clock.now)).to.deep.equal({ delivered: 0, failed: 0 });
  });

  it("backs off 1, 2, 4 … minutes, capped at an hour", () => {
    expect([1, 2, 3, 4, 7, 8, 20].map(retryDelayMs)).to.deep.equal([60_000, 120_000, 240_000, 480_000, 3_600_000, 3_600_000, 3_600_000]);
  });

  it("never sends an email twice when two dispatches overlap", async () => {
    for (let i = 0; i < 5; i += 1) enqueueEmail(database.db, { ...email, to: `person${i}@example.org` }, clock.now());
    const slow: MailTransport = {
      name: "slow",
      deliver: async (message) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        await mail.deliver(message);
      },
    };
    const results = await Promise.all([dispatchOutbox(database.db, slow, clock.now), dispatchOutbox(database.db, slow, clock.now)]);
    expect(results[0].delivered + results[1].delivered).to.equal(5);
    expect(mail.sent.map((m) => m.to).sort()).to.deep.equal([0, 1, 2, 3, 4].map((i) => `person${i}@example.org`));
  });

  it("retries on a timer until stopped", async () => {
    enqueueEmail(database.db, email, clock.now());
    const dispatcher = startOutboxDispatcher(database.db, mail, clock.now, { intervalMs: 10, onError: (error) => expect.fail(String(error)) });
    await new Promise((resolve) => setTimeout(resolve, 60));
    await dispatcher.stop();
    expect(mail.sent).to.deep.equal([email]);
    enqueueEmail(database.db, { ...email, to: "after@example.org" }, clock.now());
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(mail.sent, "nothing is sent once stopped").to.have.length(1);
  });

  it("has a local transport that logs one line: recipient, subject and the link", async () => {
    const lines: string[] = [];
    await localMailTransport((line) => lines.push(line)).deliver(email);
    expect(lines).to.deep.equal([`mail      ${summariseEmail(email, true)}`]);
    expect(summariseEmail(email, true)).to.equal('to=ada@example.org subject="Hello" link=http://127.0.0.1:3000/invitations/abc');
    expect(summariseEmail({ ...email, body: "no link" }, true)).to.equal('to=ada@example.org subject="Hello"');
  });

  it("withholds links, which carry one-time tokens, outside local mode", async () => {
    const lines: string[] = [];
    await localMailTransport((line) => lines.push(line), { showLinks: false }).deliver(email);
    expect(lines).to.deep.equal(['mail      to=ada@example.org subject="Hello" (link withheld outside local mode)']);
    expect(lines.join()).to.not.contain("/invitations/abc");
  });

  it("does not fail the request whose email could not be delivered; the email waits in the outbox", async () => {
    const failing = new RecordingMailTransport();
    failing.failWith = new Error("smtp down");
    const api = await createTestApi({ mail: failing });
    try {
      const body = signUpBody();
      expect((await api.request("POST", "/auth/signup", { body })).status).to.equal(201);
      const waiting = api.database.db.select().from(outboxEmails).where(eq(outboxEmails.to, body.email)).get()!;
      expect(waiting).to.include({ deliveredAt: null, attempts: 1, lastError: "recording: smtp down" });
      failing.failWith = undefined;
      api.clock.advance(retryDelayMs(1));
      await dispatchOutbox(api.database.db, failing, api.clock.now);
      expect(failing.to(body.email)).to.have.length(1);
    } finally {
      api.close();
    }
  });
});
