/**
 * The client's side of the sync contract (docs/api.md, "Sync" and "Snapshots"): a page of
 * `/v1/sync/changes` applied to the snapshot file. An `upsert` replaces the row with `data`
 * (columns absent from `data` become NULL), a `delete` removes it; JSON fields are stored as
 * JSON text with sorted keys and ASCII escapes (byte for byte what the server writes), booleans
 * as 0/1. Pure: it runs against any `SqlExec` (sqlite-wasm in the worker, in Node for tests).
 */

export type Entity = 'profile' | 'relation' | 'card' | 'subscription' | 'chat' | 'contact';

export interface SyncChange {
  entity: string;
  op: 'upsert' | 'delete';
  id: string;
  data?: Record<string, unknown> | null;
}

export interface ChangesPage {
  changes: SyncChange[];
  cursor: string;
  has_more: boolean;
}

export type SqlValue = string | number | null;

export interface SqlExec {
  run(sql: string, bind?: SqlValue[]): void;
  rows(sql: string, bind?: SqlValue[]): SqlValue[][];
}

export const TABLE_OF: Record<Entity, string> = {
  profile: 'profiles',
  relation: 'relations',
  card: 'cards',
  subscription: 'subscriptions',
  chat: 'chats',
  contact: 'contacts',
};

/** The snapshot schema version this client understands; another one takes a fresh snapshot. */
export const SCHEMA_VERSION = 5;

/** JSON as Python's `json.dumps(v, separators=(",", ":"), sort_keys=True)` writes it. */
export function pythonJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort(byCodePoint)) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function columnValue(value: unknown): SqlValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' || typeof value === 'string') return value;
  return pythonJson(value);
}

function isEntity(name: string): name is Entity {
  return Object.hasOwn(TABLE_OF, name);
}

/** Applies one page's changes (the caller wraps page + cursor in one transaction). */
export function applyChanges(db: SqlExec, changes: readonly SyncChange[]): void {
  const columns = new Map<string, string[]>();
  const columnsOf = (table: string): string[] => {
    let found = columns.get(table);
    if (!found) {
      found = db.rows(`PRAGMA table_info(${table})`).map((row) => String(row[1])).filter((name) => name !== 'id');
      columns.set(table, found);
    }
    return found;
  };
  for (const change of changes) {
    // An entity this build does not know yet (a newer server) is skipped, not fatal.
    if (!isEntity(change.entity)) continue;
    const table = TABLE_OF[change.entity];
    if (change.op === 'upsert') {
      const data = change.data ?? {};
      const names = columnsOf(table);
      const values = [change.id, ...names.map((name) => columnValue(data[name]))];
      db.run(`INSERT OR REPLACE INTO ${table} (id, ${names.join(', ')}) VALUES (${values.map(() => '?').join(', ')})`, values);
    } else {
      db.run(`DELETE FROM ${table} WHERE id = ?`, [change.id]);
    }
  }
}

/** One page, in one transaction, with the cursor moved in the same transaction. */
export function applyPage(db: SqlExec, page: ChangesPage): void {
  db.run('BEGIN IMMEDIATE');
  try {
    applyChanges(db, page.changes);
    db.run('UPDATE meta SET cursor = ?', [Number(page.cursor)]);
    db.run('COMMIT');
  } catch (error) {
    db.run('ROLLBACK');
    throw error;
  }
}

export interface Meta {
  userId: string;
  cursor: number;
  schemaVersion: number;
}

export function readMeta(db: SqlExec): Meta | null {
  try {
    const row = db.rows('SELECT user_id, cursor, schema_version FROM meta')[0];
    if (!row) return null;
    return { userId: String(row[0]), cursor: Number(row[1]), schemaVersion: Number(row[2]) };
  } catch {
    return null;
  }
}
