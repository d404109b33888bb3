import { eq, sql } from "drizzle-orm";
import type { Db } from "../../db/database";
import { IRecRegistryError, type IRecRedemptionRequest, type IRecRegistry, type SerialRange } from "./registry";
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
    redeem: (request) => retire(db, clock, request, request.beneficiary),
    cancelRedeemedElsewhere: (request) => retire(db, clock, request, `${REDEEMED_ELSEWHERE} for ${request.beneficiary}`),
  };
}

/**
 * How the simulated books mark a cancellation: a retirement like a redemption, whose beneficiary line gives the
 * reason and who the Wh were redeemed for elsewhere.
 */
export const REDEEMED_ELSEWHERE = "cancelled: redeemed elsewhere (D-REC)";

/** Retires the next `amountWh` serials of the certificate under the request's key, recording `entry` as their beneficiary. */
async function retire(db: Db, clock: () => Date, request: IRecRedemptionRequest, entry: string): Promise<SerialRange & { redemptionId: string }> {
  return db.transaction(
    (tx) => {
      const issued = tx.select().from(irecSimulatedIssuances).where(eq(irecSimulatedIssuances.certificateId, request.certificateId)).get();
      if (!issued) throw new IRecRegistryError(`certificate ${request.certificateId} has no I-REC issuance`);
      const amountWh = Number(request.amountWh);
      // The idempotency key doubles as this registry's redemption id. A cancellation sent under a redemption's key
      // (or the reverse) differs in its beneficiary line, so it is refused rather than answered as done.
      const done = tx.select().from(irecSimulatedRedemptions).where(eq(irecSimulatedRedemptions.id, request.redemptionKey)).get();
      if (done) {
        if (done.certificateId !== request.certificateId || done.amountWh !== amountWh || done.beneficiary !== entry) {
          throw new IRecRegistryError(`retirement ${request.redemptionKey} was made for another certificate, amount or beneficiary`);
        }
        return { ...range(issued.countryCode, done.firstSequence, done.amountWh), redemptionId: done.id };
      }
      if (amountWh < 1 || issued.redeemedWh + amountWh > issued.amountWh) {
        throw new IRecRegistryError(`only ${issued.amountWh - issued.redeemedWh} Wh of certificate ${request.certificateId} are left to redeem or cancel`);
      }
      const firstSequence = issued.firstSequence + issued.redeemedWh;
      const id = request.redemptionKey;
      tx.insert(irecSimulatedRedemptions).values({ id, certificateId: request.certificateId, firstSequence, amountWh, beneficiary: entry, redeemedAt: clock().getTime() }).run();
      tx.update(irecSimulatedIssuances).set({ redeemedWh: issued.redeemedWh + amountWh }).where(eq(irecSimulatedIssuances.certificateId, request.certificateId)).run();
      return { ...range(issued.countryCode, firstSequence, amountWh), redemptionId: id };
    },
    { behavior: "immediate" },
  );
}

function range(countryCode: string, firstSequence: number, amountWh: number): SerialRange {
  return { firstSerial: serial(countryCode, firstSequence), lastSerial: serial(countryCode, firstSequence + amountWh - 1) };
}

function serial(countryCode: string, sequence: number): string {
  return `SIM-${countryCode}-${String(sequence).padStart(12, "0")}`;
}
