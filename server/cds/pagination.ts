/**
 * CDS lists page with `next` and `previous` links (seed 004's format: URLs, null at either end). A link
 * is the request's own URL with its `cursor` replaced; the cursor carries a direction and the keyset
 * position of the page's last row (going forward) or first row (going back), so pages neither repeat nor
 * skip rows while new ones are appended.
 */
import { decodeCursor, encodeCursor, type Position } from "../chain/pagination";

export type PageDirection = "after" | "before";

export interface PageCursor {
  direction: PageDirection;
  position: Position;
}

export interface PageEdges {
  /** Keyset positions of the page's first and last rows; null for an empty page. */
  first: Position | null;
  last: Position | null;
  hasPrevious: boolean;
  hasNext: boolean;
}

export const CURSOR_PARAMETER = "cursor";

export function pageLinks(requestUrl: string, page: PageEdges): { next: string | null; previous: string | null } {
  const link = (direction: PageDirection, position: Position) => {
    const url = new URL(requestUrl);
    url.searchParams.set(CURSOR_PARAMETER, encodeCursor([direction, ...position]));
    return url.toString();
  };
  return {
    next: page.hasNext && page.last ? link("after", page.last) : null,
    previous: page.hasPrevious && page.first ? link("before", page.first) : null,
  };
}

/** The cursor of a link built by `pageLinks` for a list whose positions have `shape`; undefined for anything else. */
export function readPageCursor(cursor: string, shape: readonly ("n" | "s")[]): PageCursor | undefined {
  const decoded = decodeCursor(cursor, ["s", ...shape]);
  if (!decoded || (decoded[0] !== "after" && decoded[0] !== "before")) return undefined;
  const [direction, ...position] = decoded;
  return { direction, position };
}
