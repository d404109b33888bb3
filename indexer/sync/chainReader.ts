import type { PublicClient } from "viem";
import type { BlockHeader } from "../store/checkpoint";

/** The chain calls the indexer makes; tests wrap a real client to inject failures. */
export type ChainReader = Pick<PublicClient, "getBlockNumber" | "getBlock" | "getLogs">;

/** The header of block `number`, or undefined when the chain has no such block (it is shorter after a reorg). */
export async function headerAt(client: ChainReader, number: number): Promise<BlockHeader | undefined> {
  try {
    const block = await client.getBlock({ blockNumber: BigInt(number) });
    return { number, hash: block.hash!.toLowerCase(), parentHash: block.parentHash.toLowerCase(), timestamp: Number(block.timestamp) };
  } catch (error) {
    if (error instanceof Error && error.name === "BlockNotFoundError") return undefined;
    throw error;
  }
}
