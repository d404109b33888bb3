import fs from "node:fs";
import path from "node:path";
import type { Abi } from "viem";

/** Hardhat's build output; `npx hardhat compile` (run by npm start, npm test and npm run indexer) writes it. */
export const REGISTRY_ARTIFACT = path.join(__dirname, "..", "..", "artifacts", "contracts", "CertificateRegistry.sol", "CertificateRegistry.json");

let cached: Abi | undefined;

/** The registry's ABI from the compiled artifact, so the indexer decodes exactly what the contract emits. */
export function registryAbi(): Abi {
  if (!cached) {
    if (!fs.existsSync(REGISTRY_ARTIFACT)) throw new Error(`${REGISTRY_ARTIFACT} is missing: run \`npx hardhat compile\` first.`);
    cached = (JSON.parse(fs.readFileSync(REGISTRY_ARTIFACT, "utf8")) as { abi: Abi }).abi;
  }
  return cached;
}
