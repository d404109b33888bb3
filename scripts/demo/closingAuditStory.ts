import { auditReport, type AuditSummary } from "./dRec/audit";
import { logIn } from "./dRec/accounts";
import type { DemoStory } from "./story";

/**
 * The audit once more, after the storage pilot: the same five checks, now over the imported GCs, the
 * cancellations for storage, the SD-GCs and the export too, so the demo ends on a registry that audits
 * clean as a whole. A platform administrator sees the report auditors see.
 */
export const closingAuditStory: DemoStory<AuditSummary> = {
  title: "The audit again, over everything the demo did",
  async run(context) {
    const admin = await logIn(context.api, context.admin.email, context.admin.password);
    return auditReport(context, admin);
  },
  summaryLines: (audit) => [
    `final audit:  ${audit.passed ? "passed" : "FAILED"} (${audit.checks.filter((c) => c.passed).length} of ${audit.checks.length} checks clean) over ${audit.totals.certificates} certificates, D-RECs and GCs, at block ${audit.block}`,
  ],
};
