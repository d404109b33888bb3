/**
 * Which devices may not change what their certificates would say right now. The reservations domain
 * provides the real answer (a device in an active reservation); until then nothing is locked.
 */
export interface DeviceLocks {
  /** Of `deviceIds`, the locked ones, each with a reason shown to the caller (e.g. "in active reservation …"). */
  locked(deviceIds: readonly string[]): Map<string, string>;
}

export const noDeviceLocks: DeviceLocks = { locked: () => new Map() };
