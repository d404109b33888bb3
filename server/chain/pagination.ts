import { z } from "@hono/zod-openapi";

/**
 * Keyset pagination over the mirror: a cursor is the position (numbers, in the list's order) of the last
 * row of a page, opaque to clients. Pages never repeat or skip a row while the indexer appends.
 */
export const LIMIT = z.coerce
  .number({ error: "must be a whole number" })
  .int("must be a whole number")
  .min(1, "must be at least 1")
  .max(500, "must be at most 500")
  .default(50);

export const CURSOR = z.string().optional().openapi({ description: "`nextCursor` of the previous page" });

export type Position = (number | string)[];

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

/**
 * The position in `cursor`, or undefined when it is not a cursor of a list whose positions have `shape`
 * ("n" an integer, "s" a string, in order).
 */
export function decodeCursor(cursor: string, shape: readonly ("n" | "s")[]): Position | undefined {
  try {
    const position: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (!Array.isArray(position) || position.length !== shape.length) return undefined;
    const fits = position.every((value, i) => (shape[i] === "n" ? Number.isSafeInteger(value) : typeof value === "string"));
    return fits ? (position as Position) : undefined;
  } catch {
    return undefined;
  }
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Builds a page from `limit + 1` fetched rows: the extra row only says whether another page follows. */
export function pageOf<R, T>(rows: R[], limit: number, position: (row: R) => Position, view: (row: R) => T): Page<T> {
  const items = rows.slice(0, limit);
  return {
    items: items.map(view),
    nextCursor: rows.length > limit ? encodeCursor(position(items[items.length - 1])) : null,
  };
}
