import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";

/** One faulty input: where it is (`body.email`, `query.limit`, `path.id`) and why it was refused. */
export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details, with the per-field errors our clients rely on. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

/** Generic in the status so a route's typed responses accept it for each status the route declares. */
export function problem<S extends ContentfulStatusCode>(c: Context, status: S, title: string, detail: string, errors?: FieldError[]) {
  const body: Problem = { type: `https://httpstatuses.io/${status}`, title, status, detail, ...(errors ? { errors } : {}) };
  return c.json(body, status, { "content-type": "application/problem+json" });
}

// Hono names request parts after its validator targets; clients know them as the body and the path.
const PART_NAMES: Record<string, string> = { json: "body", form: "body", param: "path" };

export function fieldErrors(target: string, error: ZodError): FieldError[] {
  const part = PART_NAMES[target] ?? target;
  return error.issues.flatMap((issue) => {
    const at = [part, ...issue.path.map(String)];
    // One error per unknown field (an `organisationId` slipped into a body, say), named like any other field.
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => ({ field: [...at, key].join("."), message: "is not a field of this request" }));
    return [{ field: at.join("."), message: issue.message }];
  });
}

/** zod-openapi's validation hook: a refused request is answered 400 naming every faulty field. */
export function validationHook(
  result: { success: true } | { success: false; error: ZodError; target: string },
  c: Context,
) {
  if (!result.success) {
    return problem(c, 400, "Invalid request", `The request ${PART_NAMES[result.target] ?? result.target} is not valid.`, fieldErrors(result.target, result.error));
  }
  return undefined;
}
