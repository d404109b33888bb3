import { randomBytes } from "node:crypto";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createTestClient, http } from "viem";
import { generatePrivateKey, privateKeyToAccount, privateKeyToAddress } from "viem/accounts";
import { createApp, type AppDeps, type ChainSigners } from "../server/app";
import { scheduleIssuance } from "../server/issuance/engine";
import { connectChain, type ChainClients } from "../server/chain/clients";
import { listeningOn, type Config, type Hex } from "../server/config";
import { openDatabase, removeDatabaseFiles } from "../server/db/database";
import { startIndexer } from "../indexer/startIndexer";
import { createKeyVault, MASTER_KEY_BYTES } from "../server/wallets/vault";
import { bindDeployment, readDeployment } from "../indexer/store/deployment";
import { bootstrapPlatformAdmin } from "../server/auth/bootstrap";
import { startOutboxDispatcher } from "../server/notifications/outbox";
import { recordMissingDeviceSnapshots } from "../server/issuance/deviceSnapshots";
import { yieldOverrides } from "../server/reads/yields";
import { localMailTransport } from "../server/notifications/transport";
import { startLocalChain } from "./local/hardhatNode";
import { deployRegistry } from "./deploy/deployRegistry";

export interface Stack {
  apiUrl: string;
  rpcUrl: string;
  registryAddress: Hex;
  databasePath: string;
  stop(): Promise<void>;
}

type Keys = Required<Config["keys"]>;
/** How often emails whose delivery failed are tried again (each also waits out its own back-off). */
const OUTBOX_RETRY_INTERVAL_MS = 30_000;
type Log = (message: string) => void;

/**
 * Starts chain (local mode only), registry, database, indexer and API, in that order. Local mode is a
 * clean slate every time: a new chain, a newly deployed registry, and a new database file.
 */
export async function startStack(given: Config, log: Log = console.log): Promise<Stack> {
  const closers: (() => unknown)[] = [];
  // The API stops taking requests first, though it was bound first.
  let closeServer = async () => {};
  const stop = async () => {
    await closeServer();
    for (const close of closers.reverse()) await close();
  };
  try {
    // The API's port is taken first: with PORT=0 it is known only once bound, and the registry's token
    // URIs and the emailed links name it. Until the app is ready, requests get 503.
    let handle: (request: Request) => Response | Promise<Response> = () => new Response(null, { status: 503, headers: { "retry-after": "1" } });
    const server = serve({ fetch: (request) => handle(request), hostname: given.api.host, port: given.api.port });
    await once(server, "listening");
    closeServer = () => new Promise<void>((resolve) => server.close(() => resolve()));
    const config = listeningOn(given, (server.address() as AddressInfo).port);
    const apiUrl = `http://${config.api.host}:${config.api.port}`;

    let rpcUrl = config.chain.rpcUrl;
    if (config.local) {
      const chain = await startLocalChain(config.chain.localHost, config.chain.localPort);
      closers.push(chain.close);
      rpcUrl = chain.rpcUrl;
      log(`chain     local Hardhat network at ${rpcUrl}`);
    }
    const clients = await connectChain(http(rpcUrl));
    if (config.local) removeDatabaseFiles(config.databasePath);
    const database = openDatabase(config.databasePath);
    closers.push(database.close);
    log(`database  ${config.databasePath}`);
    const backfilled = recordMissingDeviceSnapshots(database.db, yieldOverrides(database.db));
    if (backfilled > 0) log(`database  recorded the device snapshots of ${backfilled} certificate job(s) planned before snapshots existed`);

    const registry = await resolveRegistry(config, clients, database.db, log);
    bindDeployment(database.db, { chainId: clients.chain.id, registryAddress: registry.address, deployBlock: registry.deployBlock });

    const follower = startIndexer(
      config.indexer,
      { client: clients.publicClient, db: database.db, registryAddress: registry.address, deployBlock: registry.deployBlock },
      log,
    );
    closers.push(follower.stop);
    const mirrored = await follower.syncOnce();
    log(`indexer   mirrored to block ${mirrored?.blockNumber ?? "none yet"}; polls every ${config.indexer.pollIntervalMs} ms`);

    // loadConfig requires MASTER_KEY outside local mode; a local database is new at every start, so a
    // master key generated per start loses no sealed key.
    const vault = createKeyVault(config.masterKey ?? randomBytes(MASTER_KEY_BYTES));
    if (!config.masterKey) log("vault     managed-wallet keys sealed under a master key generated for this run (local mode)");
    const clock = () => new Date();
    const admin = await bootstrapPlatformAdmin(database.db, { configured: config.platformAdmin, local: config.local, now: clock() });
    if (admin.created) {
      log(`admin     platform administrator ${admin.email}${admin.generatedPassword ? ` with password ${admin.generatedPassword} (generated; shown only now)` : ""}`);
    } else if (admin.reason === "no credentials configured") {
      log("admin     no platform administrator yet: set PLATFORM_ADMIN_EMAIL and PLATFORM_ADMIN_PASSWORD to create one");
    }
    // No mail server is configured: emails are logged. Another MailTransport plugs in here.
    const mail = localMailTransport(log, { showLinks: config.local });
    const outbox = startOutboxDispatcher(database.db, mail, clock, {
      intervalMs: OUTBOX_RETRY_INTERVAL_MS,
      onError: (error) => log(`mail      error: ${error instanceof Error ? error.message : String(error)}`),
    });
    closers.push(outbox.stop);
    const deps: AppDeps = {
      publicClient: clients.publicClient,
      registryAddress: registry.address,
      db: database.db,
      clock,
      vault,
      mail,
      accounts: config.accounts,
      readRules: config.readRules,
      chainSigners: chainSignersOf(registry.keys, log),
      fundManagedWallet: config.local ? localFaucet(clients) : undefined,
    };
    const app = createApp(deps);
    if (deps.chainSigners) {
      const issuance = scheduleIssuance(deps, config.issuanceIntervalMs, (error) => log(`issuance  error: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`));
      closers.push(issuance.stop);
      log(`issuance  every ${config.issuanceIntervalMs / 1000} s (POST /issuance/runs runs it now)`);
    }
    handle = (request) => app.fetch(request);
    log(`api       ${apiUrl}  (health: ${apiUrl}/health, docs: ${apiUrl}/docs)`);
    return { apiUrl, rpcUrl: rpcUrl!, registryAddress: registry.address, databasePath: config.databasePath, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function resolveRegistry(config: Config, clients: ChainClients, db: Parameters<typeof readDeployment>[0], log: Log) {
  const existing = config.chain.registryAddress;
  if (existing) {
    const code = await clients.publicClient.getCode({ address: existing });
    if (!code || code === "0x") throw new Error(`REGISTRY_ADDRESS ${existing} has no contract code on the chain at RPC_URL.`);
    const deployBlock = readDeployment(db)?.deployBlock ?? config.chain.registryDeployBlock ?? 0n;
    log(`registry  reusing ${existing} (indexing from block ${deployBlock})`);
    return { address: existing, deployBlock, keys: config.keys };
  }
  const keys = config.local ? await fundedLocalKeys(config.keys, clients) : (config.keys as Keys);
  const admin = privateKeyToAddress(keys.admin);
  const deployed = await deployRegistry(
    clients.publicClient,
    clients.wallet(keys.admin),
    { admin, issuer: privateKeyToAddress(keys.issuer), recorder: privateKeyToAddress(keys.recorder), pauser: admin },
    config.metadataBaseUrl,
  );
  log(`registry  deployed at ${deployed.address} in block ${deployed.blockNumber}`);
  return { address: deployed.address, deployBlock: deployed.blockNumber, keys: keys as Config["keys"] };
}

/** The issuer and recorder accounts, when both keys are known; without them issuance and reservations are off. */
function chainSignersOf(keys: Config["keys"], log: Log): ChainSigners | undefined {
  if (keys.issuer && keys.recorder) {
    return { issuer: privateKeyToAccount(keys.issuer), recorder: privateKeyToAccount(keys.recorder), ...(keys.admin ? { admin: privateKeyToAccount(keys.admin) } : {}) };
  }
  log("keys      ISSUER_PRIVATE_KEY and RECORDER_PRIVATE_KEY not both set: reservations and issuance are unavailable");
  return undefined;
}

/** Local mode gives every new managed wallet 100 ETH of the local chain, so developers can pay gas at once. */
export function localFaucet(clients: ChainClients): (address: `0x${string}`) => Promise<void> {
  const testClient = createTestClient({ mode: "hardhat", chain: clients.chain, transport: clients.transport });
  return (address) => testClient.setBalance({ address, value: 10n ** 20n });
}

/** Local mode generates any key not given, and funds every key on the local chain. */
async function fundedLocalKeys(given: Config["keys"], clients: ChainClients): Promise<Keys> {
  const keys: Keys = {
    admin: given.admin ?? generatePrivateKey(),
    issuer: given.issuer ?? generatePrivateKey(),
    recorder: given.recorder ?? generatePrivateKey(),
  };
  const testClient = createTestClient({ mode: "hardhat", chain: clients.chain, transport: clients.transport });
  for (const key of Object.values(keys)) {
    await testClient.setBalance({ address: privateKeyToAddress(key), value: 10n ** 22n });
  }
  return keys;
}
