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

export function problem(c: Context, status: ContentfulStatusCode, title: string, detail: string, errors?: FieldError[]) {
  const body: Problem = { type: `https://httpstatuses.io/${status}`, title, status, detail, ...(errors ? { errors } : {}) };
  return c.json(body, status, { "content-type": "application/problem+json" });
}

export function fieldErrors(target: string, error: ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    field: [target, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
}

/** zod-openapi's validation hook: a refused request is answered 400 naming every faulty field. */
export function validationHook(
  result: { success: true } | { success: false; error: ZodError; target: string },
  c: Context,
) {
  if (!result.success) {
    return problem(c, 400, "Invalid request", `The request ${result.target} is not valid.`, fieldErrors(result.target, result.error));
  }
  return undefined;
}
