import { eq } from "drizzle-orm";
import type { Db } from "../../server/db/database";
import { chainDeployment } from "./schema";

export interface Deployment {
  chainId: number;
  registryAddress: `0x${string}`;
  deployBlock: bigint;
}

export class DeploymentMismatchError extends Error {
  constructor(stored: Deployment, wanted: Deployment) {
    super(
      `The database mirrors registry ${stored.registryAddress} on chain ${stored.chainId}, not ${wanted.registryAddress} on chain ${wanted.chainId}. ` +
        "Point DATABASE_PATH at another file, or REGISTRY_ADDRESS at the registry this database mirrors.",
    );
    this.name = "DeploymentMismatchError";
  }
}

/** Records which registry this database mirrors, and refuses to mix it with another one. */
export function bindDeployment(db: Db, wanted: Deployment): void {
  const row = db.select().from(chainDeployment).where(eq(chainDeployment.id, 1)).get();
  if (!row) {
    db.insert(chainDeployment)
      .values({ id: 1, chainId: wanted.chainId, registryAddress: wanted.registryAddress.toLowerCase(), deployBlock: Number(wanted.deployBlock) })
      .run();
    return;
  }
  const stored: Deployment = { chainId: row.chainId, registryAddress: row.registryAddress as `0x${string}`, deployBlock: BigInt(row.deployBlock) };
  if (stored.chainId !== wanted.chainId || stored.registryAddress !== wanted.registryAddress.toLowerCase()) {
    throw new DeploymentMismatchError(stored, wanted);
  }
}

export function readDeployment(db: Db): Deployment | undefined {
  const row = db.select().from(chainDeployment).where(eq(chainDeployment.id, 1)).get();
  return row && { chainId: row.chainId, registryAddress: row.registryAddress as `0x${string}`, deployBlock: BigInt(row.deployBlock) };
}
