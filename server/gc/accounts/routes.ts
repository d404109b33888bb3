import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { asc, eq } from "drizzle-orm";
import type { Context } from "hono";
import type { PublicClient } from "viem";
import { requireOrganisationType, requirePermission } from "../../auth/authenticate";
import { seesAllOrganisations } from "../../auth/permissions";
import { organisations } from "../../auth/schema";
import type { ChainSigners } from "../../app";
import type { Db } from "../../db/database";
import { principalOf, type AppEnv } from "../../http/env";
import { json, jsonBody, problemResponses, SECURED } from "../../http/openapi";
import { problem } from "../../http/problem";
import { decodeCursor, pageOf } from "../../chain/pagination";
import type { KeyVault } from "../../wallets/vault";
import { registerCds } from "../../cds/routes";
import { gcAccounts } from "../schema";
import { actionsOf } from "./actions";
import { createAccount, setMemberRoles } from "./accounts";
import {
  AccountDetailSchema,
  AccountListQuerySchema,
  AccountParams,
  AccountSchema,
  ActionListQuerySchema,
  ActionPageSchema,
  BundleDetailSchema,
  BundlePageSchema,
  BundleParams,
  BundleQuerySchema,
  CreateAccountSchema,
  CreatedAccountSchema,
  MemberParams,
  MemberRolesSchema,
  OperationResultSchema,
  RetireResultSchema,
  RetireSchema,
  SplitResultSchema,
  SplitSchema,
  SyncedAccountSchema,
  TransferSchema,
  WhitelistChangeSchema,
  WhitelistSchema,
  WithdrawResultSchema,
  WithdrawSchema,
} from "./apiSchemas";
import { findBundle, lineageOf, queryBundles } from "./bundles";
import { syncAccountChain } from "./chain";
import { retireBundles, splitBundleOf, transferBundles, withdrawBundle, type OperationDeps } from "./operations";
import { accountRefusal, chainRefusal, isRefusal, refuse } from "./refusal";
import type { AccountOperation } from "./roles";
import { accountFor, membersOf, rolesOf, whitelistOf, type AccountRow } from "./store";
import { accountDetailView, accountView, actionView, bundleDetailView, bundleView, whitelistEntryView } from "./views";
import { changeWhitelist } from "./whitelist";

export interface GcAccountsDeps {
  db: Db;
  publicClient: PublicClient;
  registryAddress: `0x${string}`;
  vault: KeyVault;
  clock: () => Date;
  fundManagedWallet?: (address: `0x${string}`) => Promise<void>;
  chainSigners?: ChainSigners;
}

const ACCOUNTS = { security: SECURED, tags: ["gc accounts"] };
const BUNDLES = { security: SECURED, tags: ["gc bundles"] };

const ROLE_NOTE =
  "Roles per account: administrator (everything, including users and whitelist), production (view, split, transfer), trading " +
  "(view, split, transfer, cancel, claim, export), audit (view), storage-validator (view, split, transfer). The owning " +
  "organisation's admin acts as an administrator; platform administrators and auditors see every account.";

const createAccountRoute = createRoute({
  ...ACCOUNTS,
  middleware: [requirePermission("certificates", "WRITE")] as const,
  method: "post",
  path: "/gc/accounts",
  summary: "Create a GC registry account, managed (the platform keeps its key) or self-custody (a wallet you bound)",
  description:
    "By a developer or buyer organisation's admin, or a platform administrator naming `organisationId`. A managed account gets a " +
    "generated address (funded with gas in local mode) that enables its GC transfer allowlist on chain at once; a self-custody " +
    "holder is given the call to send (`pendingCalls`). " +
    ROLE_NOTE,
  request: jsonBody(CreateAccountSchema),
  responses: { 201: json(CreatedAccountSchema, "The account"), ...problemResponses(400, 401, 403, 404, 409) },
});

const listAccountsRoute = createRoute({
  ...ACCOUNTS,
  middleware: [requirePermission("certificates", "READ")] as const,
  method: "get",
  path: "/gc/accounts",
  summary: "Your organisation's GC accounts (platform administrators and auditors: every organisation's)",
  request: { query: AccountListQuerySchema },
  responses: { 200: json(z.object({ items: z.array(AccountSchema) }), "The accounts, oldest first"), ...problemResponses(400, 401, 403, 404) },
});

const getAccountRoute = createRoute({
  ...ACCOUNTS,
  middleware: [requirePermission("certificates", "READ")] as const,
  method: "get",
  path: "/gc/accounts/{id}",
  summary: "A GC account with its users and whitelist",
  description: ROLE_NOTE,
  request: { params: AccountParams },
  responses: { 200: json(AccountDetailSchema, "The account"), ...problemResponses(400, 401, 403, 404) },
});

const syncRoute = createRoute({
  ...ACCOUNTS,
  middleware: [requirePermission("certificates", "WRITE")] as const,
  method: "post",
  path: "/gc/accounts/{id}/chain-sync",
  summary: "Bring the account's on-chain allowlist in line with its whitelist",
  description:
    "Managed accounts: sends what is missing (enabling the allowlist when that failed at creation, listing senders). " +
    "Self-custody accounts: reads the chain, records what the holder has sent (listings, removals, whose entries are then deleted, " +
    "and an allowlist turned off), and answers the calls still to send.",
  request: { params: AccountParams },
  responses: { 200: json(SyncedAccountSchema, "The account and any calls still to send"), ...problemResponses(400, 401, 403, 404, 502) },
});

const listMembersRoute = createRoute({
  ...ACCOUNTS,
  middleware: [requirePermission("certificates", "READ")] as const,
  method: "get",
  path: "/gc/accounts/{id}/users",
  summary: "The users linked to an account, with their roles",
  request: { params: AccountParams },
  responses: { 200: json(z.object({ users: z.array(AccountDetailSchema.shape.users.element) }), "The users"), ...problemResponses(400, 401, 403, 404) },
});

const setMemberRoute = createRoute({
  ...ACCOUNTS,
  middleware: [requirePermission("certificates", "WRITE")] as const,
  method: "put",
  path: "/gc/accounts/{id}/users/{userId}",
  summary: "Set a user's roles on an account (administrators); an empty list unlinks the user",
  description: "The user must belong to the account's organisation.",
  request: { params: MemberParams, ...jsonBody(MemberRolesSchema) },
  responses: { 200: json(z.object({ userId: z.string(), roles: MemberRolesSchema.shape.roles }), "The user's roles now"), ...problemResponses(400, 401, 403, 404) },
});

const getWhitelistRoute = createRoute({
  ...ACCOUNTS,
  middleware: [requirePermission("certificates", "READ")] as const,
  method: "get",
  path: "/gc/accounts/{id}/whitelist",
  summary: "The accounts this account accepts transfers from",
  request: { params: AccountParams },
  responses: { 200: json(WhitelistSchema, "The whitelist"), ...problemResponses(400, 401, 403, 404) },
});

const changeWhitelistRoute = createRoute({
  ...ACCOUNTS,
  middleware: [requirePermission("certificates", "WRITE")] as const,
  method: "post",
  path: "/gc/accounts/{id}/whitelist",
  summary: "Add or remove accounts this account accepts transfers from (administrators)",
  description:
    "Seed 000's whitelist: a transfer into an account succeeds only from an account it lists, so two trading accounts list each " +
    "other. The registry enforces the same list on chain (the account's GC transfer allowlist), so a direct wallet transfer " +
    "cannot bypass it. Managed accounts: written on chain first; a chain failure changes nothing (502). Self-custody accounts: " +
    "the `setAllowedSenders` call(s) the holder must send come back in `pendingCalls`; additions are recorded at once, removals stay " +
    "listed with `removalPending` (the chain still accepts the sender) until POST /gc/accounts/{id}/chain-sync sees them on chain. " +
    "Adding back a sender whose removal is pending cancels the removal.",
  request: { params: AccountParams, ...jsonBody(WhitelistChangeSchema) },
  responses: { 200: json(WhitelistSchema, "The whitelist now"), ...problemResponses(400, 401, 403, 404, 409, 502) },
});

const actionsRoute = createRoute({
  ...ACCOUNTS,
  middleware: [requirePermission("certificates", "READ")] as const,
  method: "get",
  path: "/gc/accounts/{id}/actions",
  summary: "The account's action log, newest first: who did what and when, failed attempts included",
  description:
    "Attempts refused because of the account's or its bundles' state (409) or by the chain are logged as failed; requests refused " +
    "as malformed or by access control write nothing.",
  request: { params: AccountParams, query: ActionListQuerySchema },
  responses: { 200: json(ActionPageSchema, "One page of actions"), ...problemResponses(400, 401, 403, 404) },
});

const queryBundlesRoute = createRoute({
  ...BUNDLES,
  middleware: [requirePermission("certificates", "READ")] as const,
  method: "get",
  path: "/gc/bundles",
  summary: "An account's GC bundles, filtered by device, period, status, energy source and origin, in production order",
  request: { query: BundleQuerySchema },
  responses: { 200: json(BundlePageSchema, "One page of bundles"), ...problemResponses(400, 401, 403, 404) },
});

const getBundleRoute = createRoute({
  ...BUNDLES,
  middleware: [requirePermission("certificates", "READ")] as const,
  method: "get",
  path: "/gc/bundles/{id}",
  summary: "A GC bundle with its lineage both ways (the bundles it was split from, the bundles it was split into)",
  request: { params: BundleParams },
  responses: { 200: json(BundleDetailSchema, "The bundle"), ...problemResponses(400, 401, 403, 404) },
});

const splitRoute = createRoute({
  ...BUNDLES,
  middleware: [requirePermission("certificates", "WRITE")] as const,
  method: "post",
  path: "/gc/bundles/{id}/split",
  summary: "Split an active bundle into children whose Wh add up to it exactly (seed 003)",
  description:
    "The parent becomes `split`; each child keeps its project, date code and EAC id, takes the next free sequence number and " +
    "carries its own energy in its id, e.g. GC101-20240928-20003-0001-0750000 into …-0001-0500000 and …-0001-0250000. Children " +
    "partition the parent's certificate ids in the order given. One `split` transaction on chain.",
  request: { params: BundleParams, ...jsonBody(SplitSchema) },
  responses: { 201: json(SplitResultSchema, "The parent and its children"), ...problemResponses(400, 401, 403, 404, 409, 502) },
});

const transferRoute = createRoute({
  ...BUNDLES,
  middleware: [requirePermission("certificates", "WRITE")] as const,
  method: "post",
  path: "/gc/bundles/transfer",
  summary: "Transfer bundles (or a part of one) to another account that has whitelisted the source",
  description:
    "The target must list the source in its whitelist and, as the chain shows it now, in its on-chain allowlist, with the allowlist on; " +
    "otherwise 409, logged as failed. With `amountWh`, the one bundle named is split first into that amount and the rest; the part " +
    "moves, the rest stays.",
  request: jsonBody(TransferSchema),
  responses: { 200: json(OperationResultSchema, "The bundles moved"), ...problemResponses(400, 401, 403, 404, 409, 502) },
});

const retireRoute = (reason: "cancel" | "claim") =>
  createRoute({
    ...BUNDLES,
    middleware: [requirePermission("certificates", "WRITE")] as const,
    method: "post",
    path: `/gc/bundles/${reason}`,
    summary:
      reason === "cancel"
        ? "Cancel bundles (or a part of one) for a beneficiary: retired on chain with reason Cancelled"
        : "Claim bundles (or a part of one) for a beneficiary: retired on chain with reason Claimed, added to the claimed ledger",
    description:
      "The beneficiary is written on chain; the details (bundles, beneficiary, type, location, purpose) are published here and their " +
      "keccak256 goes on chain as `detailsHash`. Retired bundles appear in GET /cds/eacs and the cancellation statements.",
    request: jsonBody(RetireSchema),
    responses: { 200: json(RetireResultSchema, "The bundles retired"), ...problemResponses(400, 401, 403, 404, 409, 502) },
  });

const withdrawRoute = createRoute({
  ...BUNDLES,
  middleware: [requirePermission("certificates", "WRITE"), requireOrganisationType("admin")] as const,
  method: "post",
  path: "/gc/bundles/{id}/withdraw",
  summary: "Withdraw a bundle found invalid (platform administrators): its token is revoked and can no longer move",
  request: { params: BundleParams, ...jsonBody(WithdrawSchema) },
  responses: { 200: json(WithdrawResultSchema, "The withdrawn bundle"), ...problemResponses(400, 401, 403, 404, 409, 502, 503) },
});

const iso = (value: string | undefined) => (value === undefined ? undefined : Date.parse(value));

export function registerGcAccounts(app: OpenAPIHono<AppEnv>, deps: GcAccountsDeps): void {
  const { db } = deps;
  const operationDeps: OperationDeps = { ...deps, admin: deps.chainSigners?.admin };

  /** The account, or the refusal to answer with (`field` names where its id came from). */
  const accountOr = (c: Context<AppEnv>, accountId: string, operation: AccountOperation, field = "path.id", what?: string) => {
    const found = accountFor(db, principalOf(c), accountId, operation);
    return "refused" in found ? accountRefusal(found.refused, field, what) : found;
  };

  app.openapi(createAccountRoute, async (c) => {
    const principal = principalOf(c);
    const outcome = await createAccount(deps, principal, c.req.valid("json"));
    if (isRefusal(outcome)) return refuse(c, outcome);
    return c.json({ ...outcome, account: accountDetailView(db, outcome.account, principal, rolesOf(db, outcome.account.id, principal.userId)) }, 201);
  });

  app.openapi(listAccountsRoute, (c) => {
    const principal = principalOf(c);
    const requested = c.req.valid("query").organisationId;
    const organisationId = seesAllOrganisations(principal) ? requested : principal.organisationId;
    // Naming an organisation the caller may not see answers as if it did not exist.
    const unknown = seesAllOrganisations(principal)
      ? requested !== undefined && !db.select({ id: organisations.id }).from(organisations).where(eq(organisations.id, requested)).get()
      : requested !== undefined && requested !== principal.organisationId;
    if (unknown) return problem(c, 404, "Not found", "No such organisation.", [{ field: "query.organisationId", message: "no such organisation" }]);
    const rows = db
      .select()
      .from(gcAccounts)
      .where(organisationId === undefined ? undefined : eq(gcAccounts.organisationId, organisationId))
      .orderBy(asc(gcAccounts.createdAt), asc(gcAccounts.id))
      .all();
    return c.json({ items: rows.map((row) => accountView(row, principal, rolesOf(db, row.id, principal.userId))) }, 200);
  });

  app.openapi(getAccountRoute, (c) => {
    const found = accountOr(c, c.req.valid("param").id, "view", "path.id", "viewing it");
    if (isRefusal(found)) return refuse(c, found);
    return c.json(accountDetailView(db, found.account, principalOf(c), found.roles), 200);
  });

  app.openapi(syncRoute, async (c) => {
    const found = accountOr(c, c.req.valid("param").id, "manage", "path.id", "managing it");
    if (isRefusal(found)) return refuse(c, found);
    let synced: Awaited<ReturnType<typeof syncAccountChain>>;
    try {
      synced = await syncAccountChain(deps, found.account, principalOf(c));
    } catch (error) {
      const refusal = chainRefusal(error, "Allowlist change");
      return refuse(c, { ...refusal, status: 502 });
    }
    return c.json({ account: accountDetailView(db, synced.account, principalOf(c), found.roles), pendingCalls: synced.pendingCalls }, 200);
  });

  app.openapi(listMembersRoute, (c) => {
    const found = accountOr(c, c.req.valid("param").id, "view", "path.id", "viewing it");
    if (isRefusal(found)) return refuse(c, found);
    return c.json({ users: membersOf(db, found.account.id) }, 200);
  });

  app.openapi(setMemberRoute, (c) => {
    const { id, userId } = c.req.valid("param");
    const found = accountOr(c, id, "manage", "path.id", "managing its users");
    if (isRefusal(found)) return refuse(c, found);
    const roles = setMemberRoles(db, { userId: principalOf(c).userId, at: deps.clock().getTime() }, found.account, { userId, roles: c.req.valid("json").roles });
    if (isRefusal(roles)) return refuse(c, roles);
    return c.json({ userId, roles }, 200);
  });

  const whitelistAnswer = (account: AccountRow, pendingCalls: { function: string; args: Record<string, unknown> }[]) => ({
    accountId: account.id,
    entries: whitelistOf(db, account.id).map(whitelistEntryView),
    pendingCalls,
  });

  app.openapi(getWhitelistRoute, (c) => {
    const found = accountOr(c, c.req.valid("param").id, "view", "path.id", "viewing it");
    if (isRefusal(found)) return refuse(c, found);
    return c.json(whitelistAnswer(found.account, []), 200);
  });

  app.openapi(changeWhitelistRoute, async (c) => {
    const found = accountOr(c, c.req.valid("param").id, "manage", "path.id", "changing its whitelist");
    if (isRefusal(found)) return refuse(c, found);
    const outcome = await changeWhitelist(deps, principalOf(c), found.account, c.req.valid("json"));
    if (isRefusal(outcome)) return refuse(c, outcome);
    return c.json(whitelistAnswer(found.account, outcome.pendingCalls), 200);
  });

  app.openapi(actionsRoute, (c) => {
    const found = accountOr(c, c.req.valid("param").id, "view", "path.id", "viewing it");
    if (isRefusal(found)) return refuse(c, found);
    const query = c.req.valid("query");
    const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ["n"]);
    if (query.cursor !== undefined && !before) return problem(c, 400, "Invalid request", "The request query is not valid.", [{ field: "query.cursor", message: "is not a cursor of this list" }]);
    const rows = actionsOf(db, found.account.id, { limit: query.limit, action: query.action, before: before?.[0] as number | undefined });
    return c.json(pageOf(rows, query.limit, (row) => [row.seq], actionView), 200);
  });

  app.openapi(queryBundlesRoute, (c) => {
    const query = c.req.valid("query");
    const found = accountOr(c, query.accountId, "view", "query.accountId", "viewing it");
    if (isRefusal(found)) return refuse(c, found);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ["n", "s"]);
    const errors = [];
    if (query.cursor !== undefined && !after) errors.push({ field: "query.cursor", message: "is not a cursor of this list" });
    const [periodFrom, periodTo] = [iso(query.periodFrom), iso(query.periodTo)];
    if (periodFrom !== undefined && periodTo !== undefined && periodFrom > periodTo) errors.push({ field: "query.periodTo", message: "must not be before periodFrom" });
    if (errors.length > 0) return problem(c, 400, "Invalid request", "The request query is not valid.", errors);
    const rows = queryBundles(db, {
      accountId: found.account.id,
      deviceId: query.deviceId,
      statuses: query.status,
      origins: query.origin,
      energySources: query.energySource,
      periodFrom,
      periodTo,
      limit: query.limit,
      after: after as [number, string] | undefined,
    });
    return c.json(pageOf(rows, query.limit, (row) => [row.startAt, row.id], bundleView), 200);
  });

  /** The bundle and its account, if the caller may perform `operation` there; unknown and hidden bundles look alike. */
  const bundleOr = (c: Context<AppEnv>, operation: AccountOperation, what: string) => {
    const bundle = findBundle(db, c.req.param("id")!);
    const noSuchBundle = { status: 404 as const, title: "Not found", detail: "No such bundle.", errors: [{ field: "path.id", message: "no such bundle" }] };
    if (!bundle) return noSuchBundle;
    const found = accountOr(c, bundle.accountId, operation, "path.id", what);
    if (isRefusal(found)) return found.status === 404 ? noSuchBundle : found;
    return { bundle, ...found };
  };

  app.openapi(getBundleRoute, (c) => {
    const found = bundleOr(c, "view", "viewing its bundles");
    if (isRefusal(found)) return refuse(c, found);
    return c.json(bundleDetailView(found.bundle, lineageOf(db, found.bundle)), 200);
  });

  app.openapi(splitRoute, async (c) => {
    const found = bundleOr(c, "split", "splitting its bundles");
    if (isRefusal(found)) return refuse(c, found);
    const children = await splitBundleOf(operationDeps, principalOf(c), found.account, found.bundle.id, c.req.valid("json").amounts);
    if (isRefusal(children)) return refuse(c, children);
    return c.json({ parent: bundleView(findBundle(db, found.bundle.id)!), children: children.map(bundleView), txHash: children[0].txHash! }, 201);
  });

  app.openapi(transferRoute, async (c) => {
    const body = c.req.valid("json");
    const found = accountOr(c, body.sourceAccountId, "transfer", "body.sourceAccountId", "transferring from it");
    if (isRefusal(found)) return refuse(c, found);
    const outcome = await transferBundles(operationDeps, principalOf(c), found.account, body);
    if (isRefusal(outcome)) return refuse(c, outcome);
    return c.json({ bundles: outcome.bundles.map(bundleView), txHash: outcome.txHash }, 200);
  });

  for (const reason of ["cancel", "claim"] as const) {
    app.openapi(retireRoute(reason), async (c) => {
      const body = c.req.valid("json");
      const found = accountOr(c, body.accountId, reason, "body.accountId", reason === "cancel" ? "cancelling" : "claiming");
      if (isRefusal(found)) return refuse(c, found);
      const outcome = await retireBundles(operationDeps, principalOf(c), found.account, reason === "cancel" ? "cancelled" : "claimed", body);
      if (isRefusal(outcome)) return refuse(c, outcome);
      return c.json({ bundles: outcome.bundles.map(bundleView), txHash: outcome.txHash, details: outcome.details, detailsHash: outcome.detailsHash }, 200);
    });
  }

  app.openapi(withdrawRoute, async (c) => {
    const bundle = findBundle(db, c.req.valid("param").id);
    if (!bundle) return problem(c, 404, "Not found", "No such bundle.", [{ field: "path.id", message: "no such bundle" }]);
    const outcome = await withdrawBundle(operationDeps, principalOf(c), bundle, c.req.valid("json").reason);
    if (isRefusal(outcome)) return refuse(c, outcome);
    return c.json({ bundle: bundleView(outcome.bundle), txHash: outcome.txHash }, 200);
  });

  registerCds(app, deps);
}
