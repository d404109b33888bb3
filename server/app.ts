import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { BaseError, HttpRequestError, TimeoutError, type LocalAccount, type PublicClient } from "viem";
import type { Db } from "./db/database";
import type { AppEnv } from "./http/env";
import { problem, validationHook } from "./http/problem";
import { authenticate } from "./auth/authenticate";
import { registerAuth } from "./auth/routes";
import { registerInvitations } from "./invitations/routes";
import { registerAdmin } from "./admin/routes";
import type { AccountSettings } from "./config";
import type { MailTransport } from "./notifications/transport";
import { bodySizeLimit } from "./http/bodyLimit";
import { MAX_UPLOAD_BYTES } from "./devices/uploadRoutes";
import { registerHealth } from "./health/route";
import { registerWallets } from "./wallets/routes";
import type { KeyVault } from "./wallets/vault";
import { registerDocs } from "./docs/route";
import { registerDevices } from "./devices/routes";
import type { DeviceLocks } from "./devices/locks";
import { reservationDeviceLocks } from "./reservations/locks";
import { registerReservations } from "./reservations/routes";
import { READ_BATCH_MAX_BYTES, registerReads } from "./reads/routes";
import { registerYields } from "./reads/yieldRoutes";
import type { ReadRules } from "./reads/judgeRead";
import { registerAudit } from "./audit/routes";
import { registerChainReads } from "./chain/routes";
import type { EvidenceSource } from "./audit/evidenceSource";
import { registerCertificates } from "./certificates/routes";
import { publishedEvidence } from "./issuance/evidenceStore";
import { registerIssuance } from "./issuance/routes";
import type { IRecRegistry } from "./issuance/irec/registry";
import type { EngineHooks } from "./issuance/submit";
import { registerGcAccounts } from "./gc/accounts/routes";
import { registerGcIssuance } from "./gc/issuance/routes";
import { registerStorage, STORAGE_TABLE_MAX_BYTES } from "./storage/routes";
import type { GcTerms } from "./gc/issuance/terms";
import { MAX_IMPORT_BYTES } from "./gc/issuance/bundleCsv";

export interface AppDeps {
  db: Db;
  publicClient: PublicClient;
  registryAddress: `0x${string}`;
  /** Injected so tests can move time (token expiry, invitation expiry). */
  clock: () => Date;
  /** Where outbox emails go (the local transport logs them; tests record them). */
  mail: MailTransport;
  /** Session and invitation lifetimes, and the base URL of links in emails. */
  accounts: AccountSettings;
  /** Seals and opens managed-wallet keys; holds the master key so nothing else has to. */
  vault: KeyVault;
  /** Which devices are frozen by an active reservation; defaults to the reservations domain's answer. */
  deviceLocks?: DeviceLocks;
  /** Meter-read validation settings (degradation, safety margin). */
  readRules: ReadRules;
  /** Published certificate evidence, which the audit checks; defaults to none published (the issuance engine supplies it). */
  evidence?: EvidenceSource;
  /**
   * The platform's own chain keys: the issuer signs vouchers, the recorder writes the reservation log.
   * Absent when the API reuses a registry without them; routes that need one then answer 503.
   */
  chainSigners?: ChainSigners;
  /** The I-REC registry the engine asks for serials; defaults to the simulated local one. */
  irec?: IRecRegistry;
  /**
   * Gives a new managed wallet gas money. Local mode and tests fund it from the chain's own faucet;
   * elsewhere it is undefined and the operator funds wallets (the API shows their addresses).
   */
  fundManagedWallet?: (address: `0x${string}`) => Promise<void>;
  /** The GC issuing body's name and validity rule (defaults to DEFAULT_GC_TERMS). */
  gcTerms?: GcTerms;
  /** Fault injection points of the issuance engine, for crash tests. */
  issuanceHooks?: EngineHooks;
}

export interface ChainSigners {
  issuer: LocalAccount;
  recorder: LocalAccount;
  /** The registry's admin (revokes certificates a platform administrator withdraws); absent when its key is not given. */
  admin?: LocalAccount;
}

export type App = OpenAPIHono<AppEnv>;

/** The HTTP API: every route is declared with zod schemas, which also produce `/openapi.json`. */
export function createApp(deps: AppDeps): App {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", description: "Session token from POST /auth/login" });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", { type: "apiKey", in: "header", name: "X-API-Key", description: "Organisation API key (eak_…)" });
  // Routes that take more than the 1 MiB default body: list them here (see bodySizeLimit).
  app.use(
    "*",
    bodySizeLimit([
      { method: "POST", path: "/devices/uploads", maxBytes: MAX_UPLOAD_BYTES },
      { method: "POST", path: "/devices/{id}/reads", maxBytes: READ_BATCH_MAX_BYTES },
      { method: "POST", path: "/devices/by-external-id/{externalId}/reads", maxBytes: READ_BATCH_MAX_BYTES },
      { method: "POST", path: "/gc/imports", maxBytes: MAX_IMPORT_BYTES },
      { method: "POST", path: "/storage/devices/{deviceId}/records", maxBytes: STORAGE_TABLE_MAX_BYTES },
      { method: "POST", path: "/storage/devices/{deviceId}/allocations", maxBytes: STORAGE_TABLE_MAX_BYTES },
    ]),
  );
  app.use("*", authenticate(deps.db, deps.clock));

  registerHealth(app, deps);
  registerAuth(app, deps);
  registerInvitations(app, deps);
  registerAdmin(app, deps);
  registerWallets(app, deps);
  registerDevices(app, { ...deps, deviceLocks: deps.deviceLocks ?? reservationDeviceLocks(deps.db) });
  registerReservations(app, deps);
  registerReads(app, deps);
  registerYields(app, deps);
  registerAudit(app, { ...deps, evidence: deps.evidence ?? publishedEvidence(deps.db) });
  registerIssuance(app, deps);
  registerChainReads(app, deps);
  registerCertificates(app, deps);
  registerGcAccounts(app, deps);
  registerGcIssuance(app, deps);
  registerStorage(app, deps);
  registerDocs(app);

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Energy attribute certificate registry", version: "0.1.0" },
  });
  app.notFound((c) => problem(c, 404, "Not found", `No route for ${c.req.method} ${c.req.path}.`));
  app.onError((error, c) => {
    // Hono's own refusals (malformed JSON, unsupported media type) are the client's doing: answer them as such.
    if (error instanceof HTTPException && error.status < 500) return problem(c, error.status as ContentfulStatusCode, "Invalid request", error.message);
    // The chain's node not answering is not a bug of ours: say so, and that a retry may work.
    if (error instanceof BaseError && error.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError) !== null) {
      return problem(c, 503, "Chain unavailable", "The blockchain node did not answer; nothing was recorded. Try again shortly.");
    }
    console.error(error);
    return problem(c, 500, "Internal error", "The server failed to handle the request; it has been logged.");
  });
  return app;
}
