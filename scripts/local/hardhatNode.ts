import hre from "hardhat";
import { TASK_NODE_CREATE_SERVER, TASK_NODE_GET_PROVIDER } from "hardhat/builtin-tasks/task-names";
import type { EIP1193Provider, JsonRpcServer } from "hardhat/types";

export interface LocalChain {
  rpcUrl: string;
  close(): Promise<void>;
}

/** Starts Hardhat Network in this process behind a JSON-RPC server, as `hardhat node` does. */
export async function startLocalChain(hostname: string, port: number): Promise<LocalChain> {
  const provider: EIP1193Provider = await hre.run(TASK_NODE_GET_PROVIDER, {});
  const server: JsonRpcServer = await hre.run(TASK_NODE_CREATE_SERVER, { hostname, port, provider });
  const { address, port: actualPort } = await server.listen();
  return {
    rpcUrl: `http://${address}:${actualPort}`,
    close: () => server.close(),
  };
}
