import type { Context } from "hono";
import { problem, type FieldError } from "../../http/problem";
import { RegistryRevertError } from "../../chain/sendTransaction";
import type { AccessVerdict } from "./roles";

/** Why a GC account or bundle request is refused, as the problem answer it becomes. */
export interface Refusal {
  status: 400 | 403 | 404 | 409 | 502 | 503;
  title: string;
  detail: string;
  errors?: FieldError[];
}

export const isRefusal = (value: unknown): value is Refusal => typeof value === "object" && value !== null && "status" in value && "title" in value;

/**
 * The refusal as a problem answer. Typed as a 400, which every route declares, because one Refusal type serves
 * routes that can answer different subsets of its statuses; each route lists the statuses its refusals take.
 */
export function refuse(c: Context, refusal: Refusal) {
  return problem(c, refusal.status as 400, refusal.title, refusal.detail, refusal.errors);
}

export const invalid = (errors: FieldError[], detail = "The request is not valid."): Refusal => ({ status: 400, title: "Invalid request", detail, errors });

export const conflict = (title: string, detail: string, errors?: FieldError[]): Refusal => ({ status: 409, title, detail, ...(errors ? { errors } : {}) });

/** The refusal for an account the caller may not act on: unknown (404) or known without the role (403). */
export function accountRefusal(verdict: Exclude<AccessVerdict, "allowed">, field: string, what = "this"): Refusal {
  return verdict === "hidden"
    ? { status: 404, title: "Not found", detail: "No such account.", errors: [{ field, message: "no such account" }] }
    : { status: 403, title: "Forbidden", detail: `Your roles on the account do not allow ${what}.` };
}

/**
 * A chain refusal as an answer: reverts that follow from the state of the certificates or accounts are
 * conflicts (409); anything else (node unreachable, no gas) means the chain did not take the call (502).
 */
export function chainRefusal(error: unknown, what: string): Refusal {
  if (error instanceof RegistryRevertError) {
    return conflict(`${what} refused by the registry`, `The registry refused the ${what.toLowerCase()}: ${revertReason(error)}.`);
  }
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return { status: 502, title: "Chain unavailable", detail: `The ${what.toLowerCase()} was not confirmed on chain (${message}); nothing was recorded.` };
}

function revertReason(error: RegistryRevertError): string {
  switch (error.errorName) {
    case "SenderNotAllowlisted":
      return `the receiving address ${String(error.args[1])} does not accept GCs from ${String(error.args[0])} (its on-chain allowlist)`;
    case "ERC1155InsufficientBalance":
      return `the holder has ${String(error.args[1])} Wh of token ${String(error.args[3])}, not ${String(error.args[2])}`;
    case "CertificateIsRevoked":
      return `token ${String(error.args[0])} was withdrawn`;
    case "EnforcedPause":
      return "the registry is paused";
    default:
      return `${error.errorName}(${error.args.map(String).join(", ")})`;
  }
}
