import { and, eq, gte, lt, sum } from "drizzle-orm";
import type { Hex } from "viem";
import type { Db } from "../db/database";
import { uuidOfChainRef } from "../chain/refs";
import { storageRecords } from "./schema";

/**
 * The Wh a storage device's published discharge records (SDRs) hold over [start, end) in unix seconds: what
 * its SD-GCs of that period may add up to at most. Undefined when the ref is no device's or nothing is recorded.
 */
export function publishedDischargeWh(db: Db, deviceRef: Hex, start: bigint, end: bigint): bigint | undefined {
  const deviceId = uuidOfChainRef(deviceRef);
  if (!deviceId) return undefined;
  const row = db
    .select({ wh: sum(storageRecords.energyWh) })
    .from(storageRecords)
    .where(
      and(
        eq(storageRecords.deviceId, deviceId),
        eq(storageRecords.flow, "discharge"),
        gte(storageRecords.hourStart, Number(start) * 1000),
        lt(storageRecords.hourStart, Number(end) * 1000),
      ),
    )
    .get();
  return row?.wh == null ? undefined : BigInt(row.wh);
}
