import fs from "node:fs";
import path from "node:path";
import Database, { type RunResult } from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";

const MIGRATIONS_FOLDER = path.join(__dirname, "migrations");

/** What `drizzle()` returns: the query builder, and the better-sqlite3 client for hot paths that prepare their own statements. */
export type Db = BetterSQLite3Database & { $client: Database.Database };
/** The database or an open transaction: for helpers that write as part of a caller's transaction. */
export type DbOrTx = BaseSQLiteDatabase<"sync", RunResult>;

export interface RegistryDatabase {
  db: Db;
  sqlite: Database.Database;
  path: string;
  close(): void;
}

/** Opens (creating if needed) the SQLite file and brings its schema up to date. `:memory:` works for tests. */
export function openDatabase(file: string): RegistryDatabase {
  if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new Database(file);
  // WAL lets the API read while the indexer writes; NORMAL sync is durable at each checkpoint in WAL mode.
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  // 64 MiB of page cache instead of SQLite's 2 MiB: the mirror's tables carry many indexes, and their pages
  // are what a backfill and the reads over them keep touching.
  sqlite.pragma("cache_size = -65536");
  const db = drizzle(sqlite);
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return { db, sqlite, path: file, close: () => sqlite.close() };
}

/** Removes a database file and its WAL companions (local mode starts from nothing). */
export function removeDatabaseFiles(file: string): void {
  for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(`${file}${suffix}`, { force: true });
}
