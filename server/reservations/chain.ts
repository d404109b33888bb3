/**
 * The reservation log on chain, written by the platform's recorder key. The chain is the serialisation
 * point: two requests racing for one device both pass the database checks, and the contract refuses the
 * second, so every write goes to the chain first and into the database only with its transaction hash.
 */
import { BaseError, parseEventLogs, type Account, type Hash, type Hex } from "viem";
import type { ChainSigners } from "../app";
import { REGISTRY_ABI } from "../chain/registryAbi";
import { chainRef, uuidOfChainRef } from "../chain/refs";
import type { FieldError } from "../http/problem";
import { RegistryRevertError, sendRegistryTransaction, type RegistryConnection } from "../chain/sendTransaction";
import { FREQUENCIES, type Frequency } from "../issuance/windows";
import { STANDARDS, type Standard } from "./schema";

export interface ReservationChain extends RegistryConnection {
  recorder: Account;
}

export type ReservationChainDeps = RegistryConnection & { chainSigners?: ChainSigners };

/** The recorder's connection, or undefined when the API runs without the platform's keys (routes answer 503). */
export function reservationChainOf(deps: ReservationChainDeps): ReservationChain | undefined {
  const recorder = deps.chainSigners?.recorder;
  return recorder && { publicClient: deps.publicClient, registryAddress: deps.registryAddress, recorder };
}

const seconds = (ms: number) => Math.floor(ms / 1000);
const millis = (s: bigint) => Number(s) * 1000;

export interface NewChainReservation {
  chainRef: Hex;
  walletAddress: Hex;
  startAt: number;
  endAt: number;
  frequency: Frequency;
  standard: Standard;
  targetWh: bigint;
  canExceedTarget: boolean;
}

export async function createOnChain(chain: ReservationChain, r: NewChainReservation, deviceRefs: readonly Hex[]): Promise<Hash> {
  const { hash } = await sendRegistryTransaction(chain, chain.recorder, "createReservation", [
    r.chainRef,
    r.walletAddress,
    seconds(r.startAt),
    seconds(r.endAt),
    FREQUENCIES.indexOf(r.frequency),
    STANDARDS.indexOf(r.standard),
    r.targetWh,
    r.canExceedTarget,
    deviceRefs,
  ]);
  return hash;
}

export async function addOnChain(chain: ReservationChain, chainRef: Hex, deviceRefs: readonly Hex[]): Promise<Hash> {
  return (await sendRegistryTransaction(chain, chain.recorder, "addDevices", [chainRef, deviceRefs])).hash;
}

/** Removes devices; each one's release time is the chain's (block time, capped at the reservation's end). */
export async function removeOnChain(
  chain: ReservationChain,
  chainRef: Hex,
  deviceRefs: readonly Hex[]
): Promise<{ hash: Hash; releasedAt: Map<string, number> }> {
  const { hash, receipt } = await sendRegistryTransaction(chain, chain.recorder, "removeDevices", [chainRef, deviceRefs]);
  const removed = parseEventLogs({ abi: REGISTRY_ABI, logs: receipt.logs, eventName: "DeviceRemoved" });
  return { hash, releasedAt: new Map(removed.map((log) => [log.args.device.toLowerCase(), millis(log.args.releasedAt)])) };
}

/** Ends the reservation on chain; the end time is the chain's (block time, capped at the reservation's end). */
export async function endOnChain(chain: ReservationChain, chainRef: Hex): Promise<{ hash: Hash; endedAt: number }> {
  const { hash, receipt } = await sendRegistryTransaction(chain, chain.recorder, "endReservation", [chainRef]);
  const [ended] = parseEventLogs({ abi: REGISTRY_ABI, logs: receipt.logs, eventName: "ReservationEnded" });
  return { hash, endedAt: millis(ended.args.endedAt) };
}

/**
 * The positions of the `deviceRefs` the chain does not hold in the reservation: removing them would revert.
 * A PATCH that also adds devices asks first, since the addition is written before the removal.
 */
export async function devicesNotHeld(chain: RegistryConnection, reservationRef: Hex, deviceRefs: readonly Hex[]): Promise<number[]> {
  const holders = await Promise.all(
    deviceRefs.map((device) => chain.publicClient.readContract({ address: chain.registryAddress, abi: REGISTRY_ABI, functionName: "deviceStatus", args: [device] }))
  );
  return holders.flatMap(([holder], index) => (holder.toLowerCase() === reservationRef.toLowerCase() ? [] : [index]));
}

export interface ChainReservationState {
  /** When the chain ended it (ms), or null while it is active there. */
  endedAt: number | null;
  /** Ended because a target without authority to exceed was met. */
  targetReached: boolean;
}

export async function chainReservationState(chain: RegistryConnection, chainRef: Hex): Promise<ChainReservationState> {
  const r = await chain.publicClient.readContract({ address: chain.registryAddress, abi: REGISTRY_ABI, functionName: "getReservation", args: [chainRef] });
  return {
    endedAt: r.endedAt === 0 ? null : r.endedAt * 1000,
    targetReached: !r.canExceedTarget && r.endedAt !== 0 && r.issuedWh >= r.targetWh,
  };
}

/** Whether the call failed because the chain has already ended the reservation. */
export const endedOnChain = (error: unknown): boolean => error instanceof RegistryRevertError && error.errorName === "ReservationNotActive";

const iso = (s: unknown) => new Date(Number(s) * 1000).toISOString();
const reservationName = (ref: unknown) => uuidOfChainRef(String(ref)) ?? String(ref);

export const NOT_HELD_ON_CHAIN = "is not in this reservation on chain";

/**
 * The device a contract refusal is about and why, phrased for the caller, or undefined when the revert is
 * not about one device being unavailable.
 */
export function deviceRefusal(error: unknown): { deviceRef: string; message: string } | undefined {
  if (!(error instanceof RegistryRevertError)) return undefined;
  const [device, detail] = error.args;
  const deviceRef = String(device).toLowerCase();
  switch (error.errorName) {
    case "DeviceAlreadyReserved":
      return { deviceRef, message: `is already in reservation ${reservationName(detail)} on chain` };
    case "DeviceOnHold":
      return { deviceRef, message: `is on hold until ${iso(detail)} after its last reservation (chain)` };
    case "DeviceWindowOverlap":
      return { deviceRef, message: `was reserved until ${iso(detail)}; a reservation taking it must start at or after then (chain)` };
    case "DeviceNotInReservation":
      return { deviceRef, message: NOT_HELD_ON_CHAIN };
    default:
      return undefined;
  }
}

/** A reservation-log call that failed, as the answer it becomes. */
export interface ChainFailure {
  status: 409 | 503;
  title: string;
  detail: string;
  errors?: FieldError[];
}

/**
 * Why a call to the reservation log failed, or undefined when the error is not the chain's (a bug: 500).
 * Reverts that follow from the request or the reservation's state are conflicts (409), naming the device
 * when `devices` lists what the request sent under `field`; any other revert (the recorder lost its role)
 * and a node that does not answer mean the chain did not take the call (503). `written` says what the
 * request had written before this call; by default nothing was.
 */
export function chainFailure(error: unknown, devices?: { ids: readonly string[]; field: string }, written = "Nothing was changed."): ChainFailure | undefined {
  if (endedOnChain(error)) {
    return {
      status: 409,
      title: "Reservation ended on chain",
      detail: `The chain has ended this reservation (its target was met, or it was ended meanwhile); it can no longer change. ${written}`,
    };
  }
  const refusal = deviceRefusal(error);
  if (refusal) {
    const index = devices ? devices.ids.findIndex((id) => chainRef(id) === refusal.deviceRef) : -1;
    const field = !devices ? undefined : index < 0 ? devices.field : `${devices.field}.${index}`;
    return {
      status: 409,
      title: "Device unavailable",
      detail: `The chain refused device ${uuidOfChainRef(refusal.deviceRef) ?? refusal.deviceRef}: it ${refusal.message}. ${written}`,
      ...(field ? { errors: [{ field, message: refusal.message }] } : {}),
    };
  }
  if (error instanceof RegistryRevertError && error.errorName === "ReservationExists") {
    return { status: 409, title: "Reservation exists on chain", detail: `The chain already records a reservation with this id. ${written}` };
  }
  if (error instanceof RegistryRevertError) {
    return {
      status: 503,
      title: "Chain refused the platform",
      detail: `The registry refused the platform's call (${error.errorName}), for a reason that is the platform's, not the request's. ${written}`,
    };
  }
  if (error instanceof BaseError) {
    return { status: 503, title: "Chain unavailable", detail: `The chain did not answer. ${written} Try again shortly.` };
  }
  return undefined;
}
