import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { problem } from "./problem";

export const MiB = 1024 * 1024;
/** Every request body is capped at this unless a rule below allows its route more. */
export const DEFAULT_BODY_LIMIT = 1 * MiB;

export interface BodyLimitRule {
  method: string;
  /** A route path as declared, `{param}` segments included, e.g. "/devices/{id}/reads". */
  path: string;
  maxBytes: number;
}

/** The limit for a request: the first matching rule's, else the default. Pure, for tests. */
export function bodyLimitFor(method: string, path: string, rules: readonly BodyLimitRule[], defaultMaxBytes = DEFAULT_BODY_LIMIT): number {
  const rule = rules.find((r) => r.method.toUpperCase() === method.toUpperCase() && pathPattern(r.path).test(path));
  return rule?.maxBytes ?? defaultMaxBytes;
}

function pathPattern(path: string): RegExp {
  const escaped = path.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join("[^/]+")}$`);
}

/**
 * Refuses an oversized body with 413 problem details before any route or authentication reads it.
 * The limit has to be global (a route's own middleware runs too late to raise it), so a route that needs
 * more than DEFAULT_BODY_LIMIT (device bulk uploads, meter-read batches) gets a rule in the list that
 * createApp passes here: `{ method: "POST", path: "/devices/uploads", maxBytes: 20 * MiB }`.
 */
export function bodySizeLimit(rules: readonly BodyLimitRule[], defaultMaxBytes = DEFAULT_BODY_LIMIT): MiddlewareHandler {
  const limiters = new Map<number, MiddlewareHandler>();
  const limiterFor = (maxSize: number) => {
    let limiter = limiters.get(maxSize);
    if (!limiter) {
      limiter = bodyLimit({
        maxSize,
        onError: (c) => problem(c, 413, "Payload too large", `The request body exceeds the ${maxSize} bytes this route accepts.`),
      });
      limiters.set(maxSize, limiter);
    }
    return limiter;
  };
  return (c, next) => limiterFor(bodyLimitFor(c.req.method, c.req.path, rules, defaultMaxBytes))(c, next);
}
