import { eq, sql } from "drizzle-orm";
import type { Db } from "../../db/database";
import { IRecRegistryError, type IRecRegistry, type SerialRange } from "./registry";
import { irecSimulatedIssuances, irecSimulatedRedemptions } from "./schema";

/** A local stand-in for the I-REC registry, on the platform's database, for development and tests. */
export function simulatedIRecRegistry(db: Db, clock: () => Date): IRecRegistry {
  return {
    async requestIssuance(request) {
      return db.transaction(
        (tx) => {
          const existing = tx.select().from(irecSimulatedIssuances).where(eq(irecSimulatedIssuances.certificateId, request.certificateId)).get();
          if (existing) return range(existing.countryCode, existing.firstSequence, existing.amountWh);
          if (request.amountWh < 1n) throw new IRecRegistryError("an issuance needs at least 1 Wh");
          const next = tx
            .select({ next: sql<number>`coalesce(max(${irecSimulatedIssuances.firstSequence} + ${irecSimulatedIssuances.amountWh}), 1)` })
            .from(irecSimulatedIssuances)
            .where(eq(irecSimulatedIssuances.countryCode, request.countryCode))
            .get()!.next;
          const amountWh = Number(request.amountWh);
          tx.insert(irecSimulatedIssuances)
            .values({ certificateId: request.certificateId, countryCode: request.countryCode, firstSequence: next, amountWh, redeemedWh: 0, issuedAt: clock().getTime() })
            .run();
          return range(request.countryCode, next, amountWh);
        },
        { behavior: "immediate" },
      );
    },
    async redeem(request) {
      return db.transaction(
        (tx) => {
          const issued = tx.select().from(irecSimulatedIssuances).where(eq(irecSimulatedIssuances.certificateId, request.certificateId)).get();
          if (!issued) throw new IRecRegistryError(`certificate ${request.certificateId} has no I-REC issuance`);
          const amountWh = Number(request.amountWh);
          // The idempotency key doubles as this registry's redemption id.
          const done = tx.select().from(irecSimulatedRedemptions).where(eq(irecSimulatedRedemptions.id, request.redemptionKey)).get();
          if (done) {
            if (done.certificateId !== request.certificateId || done.amountWh !== amountWh || done.beneficiary !== request.beneficiary) {
              throw new IRecRegistryError(`redemption ${request.redemptionKey} was made for another certificate, amount or beneficiary`);
            }
            return { ...range(issued.countryCode, done.firstSequence, done.amountWh), redemptionId: done.id };
          }
          if (amountWh < 1 || issued.redeemedWh + amountWh > issued.amountWh) {
            throw new IRecRegistryError(`only ${issued.amountWh - issued.redeemedWh} Wh of certificate ${request.certificateId} are left to redeem`);
          }
          const firstSequence = issued.firstSequence + issued.redeemedWh;
          const id = request.redemptionKey;
          tx.insert(irecSimulatedRedemptions).values({ id, certificateId: request.certificateId, firstSequence, amountWh, beneficiary: request.beneficiary, redeemedAt: clock().getTime() }).run();
          tx.update(irecSimulatedIssuances).set({ redeemedWh: issued.redeemedWh + amountWh }).where(eq(irecSimulatedIssuances.certificateId, request.certificateId)).run();
          return { ...range(issued.countryCode, firstSequence, amountWh), redemptionId: id };
        },
        { behavior: "immediate" },
      );
    },
  };
}

function range(countryCode: string, firstSequence: number, amountWh: number): SerialRange {
  return { firstSerial: serial(countryCode, firstSequence), lastSerial: serial(countryCode, firstSequence + amountWh - 1) };
}

function serial(countryCode: string, sequence: number): string {
  return `SIM-${countryCode}-${String(sequence).padStart(12, "0")}`;
}
