import { and, eq, inArray, isNull } from "drizzle-orm";
import type { DbOrTx } from "../db/database";
import type { DeviceLocks } from "../devices/locks";
import { reservationDevices, reservations } from "./schema";

/**
 * Devices in an active reservation are locked (seed 001: "in case of active reservations, users should not
 * be allowed to update the device groups"): their developers can neither remove them nor change the fields
 * their certificates carry until the reservation releases them.
 */
export function reservationDeviceLocks(db: DbOrTx): DeviceLocks {
  return {
    locked(deviceIds) {
      const locked = new Map<string, string>();
      for (let start = 0; start < deviceIds.length; start += 500) {
        const rows = db
          .select({ deviceId: reservationDevices.deviceId, reservationId: reservations.id, name: reservations.name })
          .from(reservationDevices)
          .innerJoin(reservations, eq(reservations.id, reservationDevices.reservationId))
          .where(and(inArray(reservationDevices.deviceId, deviceIds.slice(start, start + 500)), isNull(reservationDevices.releasedAt)))
          .all();
        for (const row of rows) locked.set(row.deviceId, `in active reservation "${row.name}" (${row.reservationId})`);
      }
      return locked;
    },
  };
}
