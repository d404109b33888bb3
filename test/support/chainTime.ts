import { network } from "hardhat";
import type { TestClock } from "./seed";

/**
 * Keeps a test's API clock and the in-process chain's block time together, for flows where both judge
 * time (reservation windows, the release hold, voucher deadlines). The chain is shared by every test file
 * and its time only moves forward, so a test first aligns its clock to the chain, then moves both at once.
 */
export async function latestBlockTime(): Promise<number> {
  const block = (await network.provider.request({ method: "eth_getBlockByNumber", params: ["latest", false] })) as { timestamp: string };
  return Number(BigInt(block.timestamp)) * 1000;
}

/** Moves `clock` to the chain's time (plus a second, whole seconds) unless it is already later; returns it. */
export async function alignClockToChain(clock: TestClock): Promise<Date> {
  const chainNow = (await latestBlockTime()) + 1000;
  const target = Math.ceil(Math.max(chainNow, clock.current.getTime()) / 1000) * 1000;
  clock.current = new Date(target);
  await setChainTime(target);
  return clock.now();
}

/** Advances `clock` by `ms` and mines a block at the new time, so the next transaction sees it too. */
export async function advanceClockAndChain(clock: TestClock, ms: number): Promise<Date> {
  clock.advance(ms);
  await setChainTime(clock.current.getTime());
  return clock.now();
}

async function setChainTime(ms: number): Promise<void> {
  const seconds = Math.floor(ms / 1000);
  const latest = Math.floor((await latestBlockTime()) / 1000);
  if (seconds <= latest) return;
  await network.provider.request({ method: "evm_setNextBlockTimestamp", params: [seconds] });
  await network.provider.request({ method: "evm_mine", params: [] });
}
