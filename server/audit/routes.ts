import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { PublicClient } from "viem";
import { readDeployment } from "../../indexer/store/deployment";

import { requireOrganisationType } from "../auth/authenticate";
import type { Db } from "../db/database";
import type { AppEnv } from "../http/env";
import { json, problemResponses, SECURED } from "../http/openapi";
import { CHECKS, type CheckName } from "./findings";
import { NO_PUBLISHED_EVIDENCE, type EvidenceSource } from "./evidenceSource";
import { readMirror } from "./mirrorReader";
import type { AuditReport } from "./report";
import { runAudit } from "./runner";

const FindingSchema = z
  .object({
    code: z.string().openapi({ example: "balance-mismatch" }),
    message: z.string(),
    certificateIds: z.array(z.string()).optional().openapi({ description: "Token ids, decimal" }),
    holder: z.string().optional(),
    device: z.string().optional().openapi({ description: "The device's on-chain reference (bytes32)" }),
    period: z.object({ start: z.string(), end: z.string() }).optional().openapi({ description: "Unix seconds, end exclusive" }),
  })
  .openapi("AuditFinding");

const ReportSchema = z
  .object({
    passed: z.boolean().openapi({ description: "True when no check has a finding" }),
    generatedAt: z.string(),
    chainId: z.number().int(),
    registryAddress: z.string(),
    block: z.object({ number: z.string(), hash: z.string() }).openapi({ description: "The block everything was read at (the mirror's checkpoint)" }),
    totals: z.object({
      certificates: z.number().int(),
      splitChildren: z.number().int(),
      holdings: z.number().int(),
      reservations: z.number().int(),
      revoked: z.number().int(),
      evidenceLeaves: z.number().int(),
    }),
    checks: z.array(
      z.object({
        name: z.enum(Object.keys(CHECKS) as [CheckName, ...CheckName[]]),
        description: z.string(),
        passed: z.boolean(),
        findings: z.array(FindingSchema),
      }),
    ),
  })
  .openapi("AuditReport");

const reportRoute = createRoute({
  method: "get",
  path: "/audit/report",
  tags: ["audit"],
  summary: "Audit the registry from the chain: mirror, supply, evidence, double certification, reservations (auditors and platform administrators)",
  description:
    "Re-derives the registry's state from its logs and views at the mirror's checkpoint and runs every check. Read-only; " +
    "requests arriving while an audit runs share its report.",
  security: SECURED,
  middleware: [requireOrganisationType("auditor", "admin")] as const,
  responses: { 200: json(ReportSchema, "The report; `passed` is false when any check has findings"), ...problemResponses(401, 403) },
});

export interface AuditDeps {
  db: Db;
  publicClient: PublicClient;
  registryAddress: `0x${string}`;
  /** The published evidence; none until the issuance engine publishes it. */
  evidence?: EvidenceSource;
}

export function registerAudit(app: OpenAPIHono<AppEnv>, deps: AuditDeps): void {
  let running: Promise<AuditReport> | undefined;
  app.openapi(reportRoute, async (c) => {
    // An audit reads every log and position: one at a time, whoever asks.
    running ??= runAudit({
      client: deps.publicClient,
      registryAddress: deps.registryAddress,
      deployBlock: readDeployment(deps.db)?.deployBlock ?? 0n,
      mirror: () => readMirror(deps.db),
      evidence: deps.evidence ?? NO_PUBLISHED_EVIDENCE,
    }).finally(() => {
      running = undefined;
    });
    return c.json(await running, 200);
  });
}
