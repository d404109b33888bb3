/**
 * `npm run audit`: re-derives the registry's state from the chain, checks it and the mirror, prints the
 * report. Exit code 0 without findings, 1 with findings, 2 when the audit cannot run.
 */
import { auditCommand, EXIT } from "../server/audit/command";

function exitAfterWriting(text: string, code: number): void {
  process.stdout.write(`${text}\n`, () => process.exit(code));
}

let output = "";
auditCommand(process.env, (text) => {
  output += text;
}).then(
  (code) => exitAfterWriting(output, code),
  (error: unknown) => {
    console.error("The audit could not complete:", error);
    process.exit(EXIT.cannotAudit);
  },
);
