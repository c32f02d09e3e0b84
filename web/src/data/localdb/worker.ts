/**
 * The local database's worker (a module worker; started on first use, never in the first
 * screen's bundle). sqlite-wasm with the `opfs-sahpool` VFS: the origin-private file system
 * through sync access handles, which needs no cross-origin isolation. Two files per user:
 * `/sync-<user>.sqlite3` is the server's snapshot brought forward by the change pages (replaced
 * whole by a fresh snapshot), `/local-<user>.sqlite3` is this device's own (the last answers
 * of reads that are not in sync, message pages, the outbox). Sign-out deletes both.
 */
import sqlite3InitModule from '@sqlite.org/sqlite-wasm';
import { applyPage, readMeta, type ChangesPage, type SqlExec, type SqlValue } from './apply';
import type { LocalRequest } from './protocol';

type Sqlite3 = Awaited<ReturnType<typeof sqlite3InitModule>>;
type Pool = Awaited<ReturnType<Sqlite3['installOpfsSAHPoolVfs']>>;
type Db = InstanceType<Pool['OpfsSAHPoolDb']>;

const LOCAL_SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, saved_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,
  target TEXT NOT NULL, body TEXT NOT NULL, idempotency_key TEXT NOT NULL, created_at TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending', error TEXT);
`;

let pool: Promise<Pool> | null = null;
let sync: Db | null = null;
let local: Db | null = null;
let user: string | null = null;

const syncName = (id: string): string => `/sync-${id}.sqlite3`;
const localName = (id: string): string => `/local-${id}.sqlite3`;

function thePool(): Promise<Pool> {
  pool ??= sqlite3InitModule().then((sqlite3) => sqlite3.installOpfsSAHPoolVfs({ name: 'bca', initialCapacity: 8 }));
  return pool;
}

function exec(db: Db): SqlExec {
  return {
    run: (sql, bind) => void db.exec({ sql, bind: bind ?? [] }),
    rows: (sql, bind) => db.exec({ sql, bind: bind ?? [], rowMode: 'array', returnValue: 'resultRows' }) as SqlValue[][],
  };
}

function objects(db: Db, sql: string, bind: SqlValue[]): Record<string, SqlValue>[] {
  return db.exec({ sql, bind, rowMode: 'object', returnValue: 'resultRows' }) as Record<string, SqlValue>[];
}

function closeAll(): void {
  sync?.close();
  local?.close();
  sync = null;
  local = null;
}

/**
 * Makes room in the pool for `files` more (a database and its journal are two): the pool has
 * a fixed number of slots, and two accounts in one browser each keep their own files.
 */
async function room(p: Pool, files: number): Promise<void> {
  await p.reserveMinimumCapacity(p.getFileCount() + files);
}

async function open(userId: string): Promise<unknown> {
  const p = await thePool();
  await room(p, 4);
  if (user !== userId) closeAll();
  user = userId;
  local ??= new p.OpfsSAHPoolDb(localName(userId));
  local.exec(LOCAL_SCHEMA);
  if (!sync && p.getFileNames().includes(syncName(userId))) sync = new p.OpfsSAHPoolDb(syncName(userId));
  return sync ? readMeta(exec(sync)) : null;
}

async function handle(request: LocalRequest): Promise<unknown> {
  switch (request.op) {
    case 'open':
      return open(request.user);
    case 'import': {
      const p = await thePool();
      if (user !== request.user) await open(request.user);
      sync?.close();
      sync = null;
      await room(p, 2);
      await p.importDb(syncName(request.user), request.bytes);
      sync = new p.OpfsSAHPoolDb(syncName(request.user));
      return readMeta(exec(sync));
    }
    case 'apply': {
      if (!sync) throw new Error('no snapshot');
      const started = performance.now();
      applyPage(exec(sync), request.page as ChangesPage);
      return { meta: readMeta(exec(sync)), took: performance.now() - started };
    }
    case 'select': {
      const db = request.db === 'sync' ? sync : local;
      if (!db) throw new Error('not open');
      return objects(db, request.sql, request.bind);
    }
    case 'run': {
      if (!local) throw new Error('not open');
      local.exec({ sql: request.sql, bind: request.bind });
      return local.changes();
    }
    case 'drop': {
      const p = await thePool();
      if (user === request.user) {
        closeAll();
        user = null;
      }
      p.unlink(syncName(request.user));
      p.unlink(localName(request.user));
      return null;
    }
  }
}

self.onmessage = (event: MessageEvent<{ id: number; request: LocalRequest }>) => {
  const { id, request } = event.data;
  handle(request).then(
    (result) => self.postMessage({ id, result }),
    (error: unknown) => self.postMessage({ id, error: error instanceof Error ? error.message : String(error) }),
  );
};
