/** Reading GC bundles: one bundle, an account's bundles with the seed's query filters, and lineage. */
import { and, asc, eq, gt, gte, inArray, like, lte, or, sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/database";
import type { EnergySource } from "../../devices/catalogue";
import { parseBundleId, rangeSize, type IdRange } from "../bundleIds";
import { gcBundles, type GcBundleOrigin, type GcBundleStatus } from "../schema";

export type BundleRow = typeof gcBundles.$inferSelect;

export function findBundle(db: DbOrTx, id: string): BundleRow | undefined {
  return db.select().from(gcBundles).where(eq(gcBundles.id, id)).get();
}

export function bundlesByIds(db: DbOrTx, ids: readonly string[]): Map<string, BundleRow> {
  if (ids.length === 0) return new Map();
  return new Map(db.select().from(gcBundles).where(inArray(gcBundles.id, [...ids])).all().map((row) => [row.id, row]));
}

export const rangeOf = (bundle: Pick<BundleRow, "rangeStart" | "rangeEnd">): IdRange => ({ start: BigInt(bundle.rangeStart), end: BigInt(bundle.rangeEnd) });

/** The bundle's energy, checked against its certificate range (they are the same number by construction). */
export function energyOf(bundle: BundleRow): bigint {
  const energy = BigInt(bundle.energyWh);
  if (rangeSize(rangeOf(bundle)) !== energy) throw new Error(`bundle ${bundle.id} holds ${energy} Wh but covers ${rangeSize(rangeOf(bundle))} certificate ids`);
  return energy;
}

/** Every bundle id sharing `id`'s project, date code and EAC id: the ids a split must number its children after. */
export function idsSharingPrefix(db: DbOrTx, id: string): string[] {
  const { projectId, dateCode, eacId } = parseBundleId(id);
  // Project and EAC ids are letters and digits only, so the prefix holds no LIKE wildcard.
  return db
    .select({ id: gcBundles.id })
    .from(gcBundles)
    .where(like(gcBundles.id, `${projectId}-${dateCode}-${eacId}-%`))
    .all()
    .map((row) => row.id);
}

export interface BundleQuery {
  accountId: string;
  deviceId?: string;
  statuses?: GcBundleStatus[];
  origins?: GcBundleOrigin[];
  energySources?: EnergySource[];
  /** UTC ms: production periods starting at or after / ending at or before. */
  periodFrom?: number;
  periodTo?: number;
  limit: number;
  /** Keyset position of the previous page's last row: [startAt, id]. */
  after?: [number, string];
}

/** An account's bundles, in production order (`limit + 1` rows: the extra says whether a page follows). */
export function queryBundles(db: DbOrTx, query: BundleQuery): BundleRow[] {
  const { after } = query;
  return db
    .select()
    .from(gcBundles)
    .where(
      and(
        eq(gcBundles.accountId, query.accountId),
        query.deviceId === undefined ? undefined : eq(gcBundles.deviceId, query.deviceId),
        query.statuses === undefined ? undefined : inArray(gcBundles.status, query.statuses),
        query.origins === undefined ? undefined : inArray(gcBundles.origin, query.origins),
        query.energySources === undefined ? undefined : inArray(sql`json_extract(${gcBundles.attributes}, '$.energySource')`, query.energySources),
        query.periodFrom === undefined ? undefined : gte(gcBundles.startAt, query.periodFrom),
        query.periodTo === undefined ? undefined : lte(gcBundles.endAt, query.periodTo),
        after === undefined ? undefined : or(gt(gcBundles.startAt, after[0]), and(eq(gcBundles.startAt, after[0]), gt(gcBundles.id, after[1]))),
      ),
    )
    .orderBy(asc(gcBundles.startAt), asc(gcBundles.id))
    .limit(query.limit + 1)
    .all();
}

export interface Lineage {
  /** Root first, the bundle's parent last; empty for a bundle that was never split off another. */
  ancestors: string[];
  children: string[];
}

export function lineageOf(db: DbOrTx, bundle: BundleRow): Lineage {
  const ancestors: string[] = [];
  for (let parentId = bundle.parentId; parentId !== null; ) {
    ancestors.unshift(parentId);
    parentId = db.select({ parentId: gcBundles.parentId }).from(gcBundles).where(eq(gcBundles.id, parentId)).get()?.parentId ?? null;
  }
  const children = db
    .select({ id: gcBundles.id })
    .from(gcBundles)
    .where(eq(gcBundles.parentId, bundle.id))
    .orderBy(asc(gcBundles.rangeStart))
    .all()
    .map((row) => row.id);
  return { ancestors, children };
}
