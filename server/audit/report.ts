import { CHECKS, type CheckName, type Finding } from "./findings";

export interface CheckResult {
  name: CheckName;
  description: string;
  passed: boolean;
  findings: Finding[];
}

export interface AuditReport {
  /** True when no check has a finding. */
  passed: boolean;
  generatedAt: string;
  chainId: number;
  registryAddress: string;
  /** The block everything was read at: the mirror's checkpoint when the chain has it, else the head. */
  block: { number: string; hash: string };
  totals: {
    certificates: number;
    splitChildren: number;
    holdings: number;
    reservations: number;
    revoked: number;
    evidenceLeaves: number;
  };
  checks: CheckResult[];
}

export function checkResults(findings: Record<CheckName, Finding[]>): CheckResult[] {
  return (Object.keys(CHECKS) as CheckName[]).map((name) => ({ name, description: CHECKS[name], passed: findings[name].length === 0, findings: findings[name] }));
}

/** The report as the command prints it: one line per check, each finding under its check. */
export function formatReport(report: AuditReport): string {
  const t = report.totals;
  const lines = [
    `Audit of registry ${report.registryAddress} on chain ${report.chainId} at block ${report.block.number} (${report.block.hash})`,
    `${t.certificates} certificates issued by voucher, ${t.splitChildren} split children, ${t.revoked} revoked; ${t.holdings} (holder, id) positions; ${t.reservations} reservations; ${t.evidenceLeaves} evidence leaves read`,
    "",
  ];
  report.checks.forEach((check, index) => {
    const verdict = check.passed ? "PASS" : `FAIL (${check.findings.length} finding${check.findings.length === 1 ? "" : "s"})`;
    lines.push(`${index + 1}. ${check.description}: ${verdict}`);
    for (const finding of check.findings) {
      const involved = [
        finding.certificateIds && `id ${finding.certificateIds.join(", ")}`,
        finding.holder && `holder ${finding.holder}`,
        finding.device && `device ${finding.device}`,
        finding.period && `period ${finding.period.start}..${finding.period.end}`,
      ].filter(Boolean);
      lines.push(`   - [${finding.code}] ${finding.message}${involved.length ? `  (${involved.join("; ")})` : ""}`);
    }
  });
  const total = report.checks.reduce((sum, check) => sum + check.findings.length, 0);
  lines.push("", report.passed ? "Result: no findings." : `Result: ${total} finding${total === 1 ? "" : "s"}.`);
  return lines.join("\n");
}
