import { waitForIndexer } from "../indexer";
import type { DemoContext, Session } from "../story";

export interface AuditSummary {
  passed: boolean;
  block: string;
  totals: Record<string, number>;
  checks: { name: string; description: string; passed: boolean; findings: number }[];
}

interface Report {
  passed: boolean;
  block: { number: string };
  totals: Record<string, number>;
  checks: { name: string; description: string; passed: boolean; findings: { code: string; message: string }[] }[];
}

/** The auditor's report (GET /audit/report), re-derived from the chain at the mirror's checkpoint. */
export async function auditReport(context: DemoContext, auditor: Session): Promise<AuditSummary> {
  await waitForIndexer(context.api, context.print);
  const report = await context.api.get<Report>("/audit/report", auditor.as);
  const t = report.totals;
  context.print.line(
    `GET /audit/report at block ${report.block.number}: ${t.certificates} certificates, ${t.holdings} (holder, id) positions, ${t.reservations} reservation(s), ${t.evidenceLeaves} evidence leaves`,
  );
  report.checks.forEach((check, index) => {
    context.print.line(`  ${check.passed ? "PASS" : "FAIL"}  ${index + 1}. ${check.description}`);
    for (const finding of check.findings) context.print.line(`        [${finding.code}] ${finding.message}`);
  });
  context.print.line(report.passed ? "Result: no findings." : "Result: findings (see above).");
  return {
    passed: report.passed,
    block: report.block.number,
    totals: report.totals,
    checks: report.checks.map((c) => ({ name: c.name, description: c.description, passed: c.passed, findings: c.findings.length })),
  };
}
