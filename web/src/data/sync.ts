/**
 * Offline sync (issue 23): the signed-in user's copy of their world in the local database.
 *
 * - First the snapshot (`GET /v1/sync/snapshot`: 202 + Retry-After while it is built, ETag /
 *   If-None-Match), imported whole; then `GET /v1/sync/changes?since=<cursor>` page by page,
 *   each page and its cursor in one transaction. `410 cursor_expired`, or a local file of
 *   another schema version (or user), takes a fresh snapshot. The snapshot is asked for in
 *   the schema version this build reads (`?schema_version=`): a server that writes another
 *   answers 406 `schema_unsupported`, and the state turns `outdated` (the shell offers to
 *   reload; reads stay on the network meanwhile).
 * - Runs at start, on the server's `{"type":"sync"}` hint, on every (re)connect of the live
 *   socket and when the browser says it is online again; one run at a time (a hint during a
 *   run runs it once more). Afterwards the queries of the touched entities reload.
 * - Reads: `synced(local, remote)` reads the local copy whenever one exists (also offline,
 *   before this session synced), the network otherwise. Answers that are not in sync (the
 *   chat list, message pages) go through `cached(key, remote)`: the last answer is kept in the
 *   local database and shown when the network is down.
 * - Where the browser cannot keep the database (no OPFS), everything stays on the network.
 * - Sign-out deletes the user's files; each user has their own, so two accounts in one
 *   browser never see each other's data.
 */
import { effect, signal } from '@preact/signals';
import { api } from '../api';
import { ApiError } from '../api/errors';
import { SCHEMA_VERSION, type ChangesPage, type Meta, type SqlValue } from './localdb/apply';
import { call, localDbAvailable, runLocal, selectLocal, selectSync, stopLocalDb, type Row } from './localdb/index';
import { onLiveMessage, liveStatus } from './live';
import { lastSynced, online, SYNCED_KEY } from './offline';
import { invalidate } from './query';
import { currentUser, onSignOut } from './session';

export type SyncState = 'idle' | 'syncing' | 'ready' | 'failed' | 'unavailable' | 'outdated';
export const syncState = signal<SyncState>('idle');
export { lastSynced, online, showOffline } from './offline';

const ETAG_KEY = 'bca.sync.etag.';
/** Timings for the benchmark (bench/app_bench.py) and the browser's performance panel (an
 *  applied page's detail tells how long the worker itself took). */
const APPLY_MEASURE = 'bca:sync-apply';
const IMPORT_MEASURE = 'bca:sync-import';
const PREFIXES: Record<string, string[]> = {
  profile: ['profiles:', 'people:', 'cards:'],
  relation: ['people:', 'profiles:'],
  card: ['cards:', 'wallet:'],
  subscription: ['wallet:'],
  chat: ['chat:'],
  contact: ['contacts:'],
};

function store(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

let opened: { user: string; meta: Promise<Meta | null> } | null = null;

/** The user's local copy's meta (opening the database once per user), or null. */
function localMeta(user: string): Promise<Meta | null> {
  if (!localDbAvailable.value) return Promise.resolve(null);
  if (opened?.user !== user) {
    const meta = call<Meta | null>({ op: 'open', user }).catch(() => null);
    opened = { user, meta };
  }
  return opened.meta;
}

/** True when reads may use the local copy of synced entities. */
export async function hasLocalCopy(): Promise<boolean> {
  const user = currentUser.peek();
  if (!user) return false;
  // Never synced on this device: there is no copy, so the first screen does not wait for the
  // database's worker and WebAssembly (a megabyte on a phone's first start) to say so.
  if (store()?.getItem(SYNCED_KEY + user.id) == null) return false;
  const meta = await localMeta(user.id);
  return meta !== null && meta.userId === user.id && meta.schemaVersion === SCHEMA_VERSION;
}

/** A synced entity's read: the local copy when there is one, the network otherwise. */
export async function synced<T>(local: () => Promise<T>, remote: () => Promise<T>): Promise<T> {
  if (await hasLocalCopy()) {
    try {
      return await local();
    } catch {
      // The copy could not answer (being replaced, closed): ask the server.
    }
  }
  return remote();
}

export function isNetworkError(error: unknown): boolean {
  return error instanceof ApiError && error.status === 0 && error.code === 'network_error';
}

/** The Web Lock held while an answer is being kept (another tab, or a test, can see it). */
const KEEPING_LOCK = 'bca-keeping';

/**
 * Keeps an answer in the local database, after it was shown: the first write of a page waits
 * for the database's worker to start, so it can land a second later.
 */
function keep(userId: string, key: string, value: unknown): Promise<void> {
  const write = (): Promise<void> =>
    localMeta(userId)
      .then(() => runLocal('INSERT OR REPLACE INTO kv (key, value, saved_at) VALUES (?, ?, ?)', [key, JSON.stringify(value), new Date().toISOString()]))
      .then(() => undefined, () => undefined);
  return typeof navigator !== 'undefined' && 'locks' in navigator ? navigator.locks.request(KEEPING_LOCK, { mode: 'shared' }, write) : write();
}

/** A read outside sync whose last answer is kept for offline start. */
export async function cached<T>(key: string, remote: () => Promise<T>): Promise<T> {
  const user = currentUser.peek();
  try {
    const value = await remote();
    if (user && localDbAvailable.value) void keep(user.id, key, value);
    return value;
  } catch (error) {
    if (!user || !isNetworkError(error) || !localDbAvailable.value) throw error;
    await localMeta(user.id);
    const rows = await selectLocal('SELECT value FROM kv WHERE key = ?', [key]).catch((): Row[] => []);
    const text = rows[0]?.value;
    if (typeof text !== 'string') throw error;
    return JSON.parse(text) as T;
  }
}

/** Rows of the local copy (synced entities). */
export function localRows(sql: string, bind: SqlValue[] = []): Promise<Row[]> {
  return selectSync(sql, bind);
}

// --- the sync run ---------------------------------------------------------------------------

let running: Promise<void> | null = null;
let again = false;

/** Brings the local copy up to date (one run at a time; a call during a run runs once more). */
export function syncNow(): Promise<void> {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    do {
      again = false;
      await runOnce();
    } while (again);
  })().finally(() => {
    running = null;
  });
  return running;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function takeSnapshot(user: string, reuse: boolean): Promise<Meta | null> {
  const etagKey = ETAG_KEY + user;
  for (let attempt = 0; attempt < 30; attempt++) {
    const etag = reuse ? store()?.getItem(etagKey) : null;
    const response = await api.send<Blob>('/v1/sync/snapshot', { as: 'blob', query: { schema_version: SCHEMA_VERSION }, headers: etag ? { 'If-None-Match': etag } : {} });
    if (response.status === 304) return localMeta(user);
    if (response.status === 202) {
      const wait = Number(response.headers.get('Retry-After') ?? '1');
      await sleep(Math.min(10, Number.isFinite(wait) && wait > 0 ? wait : 1) * 1000);
      continue;
    }
    const bytes = new Uint8Array(await response.data.arrayBuffer());
    const started = performance.now();
    const size = bytes.byteLength;
    const meta = await call<Meta | null>({ op: 'import', user, bytes }, [bytes.buffer]);
    performance.measure(IMPORT_MEASURE, { start: started, detail: { bytes: size } });
    opened = { user, meta: Promise.resolve(meta) };
    if (response.etag) store()?.setItem(etagKey, response.etag);
    return meta;
  }
  throw new Error('the snapshot was not ready');
}

async function runOnce(): Promise<void> {
  const user = currentUser.peek();
  if (!user || !localDbAvailable.value) {
    if (!localDbAvailable.value) syncState.value = 'unavailable';
    return;
  }
  syncState.value = 'syncing';
  const touched = new Set<string>();
  try {
    let meta = await localMeta(user.id);
    if (!meta || meta.userId !== user.id || meta.schemaVersion !== SCHEMA_VERSION) {
      meta = await takeSnapshot(user.id, false);
      Object.keys(PREFIXES).forEach((entity) => touched.add(entity));
    }
    let expired = false;
    for (;;) {
      if (!meta) throw new Error('no snapshot');
      let page: ChangesPage;
      try {
        page = await api.get<ChangesPage>('/v1/sync/changes', { since: String(meta.cursor), limit: 500 });
      } catch (error) {
        if (error instanceof ApiError && error.status === 410 && !expired) {
          expired = true;
          meta = await takeSnapshot(user.id, false);
          Object.keys(PREFIXES).forEach((entity) => touched.add(entity));
          continue;
        }
        throw error;
      }
      if (currentUser.peek()?.id !== user.id) return;
      if (page.changes.length > 0 || String(meta.cursor) !== page.cursor) {
        const started = performance.now();
        const applied = await call<{ meta: Meta | null; took: number }>({ op: 'apply', page });
        meta = applied.meta;
        performance.measure(APPLY_MEASURE, { start: started, detail: { changes: page.changes.length, inWorker: applied.took } });
        opened = { user: user.id, meta: Promise.resolve(meta) };
        for (const change of page.changes) touched.add(change.entity);
      }
      if (!page.has_more) break;
    }
    const now = new Date().toISOString();
    store()?.setItem(SYNCED_KEY + user.id, now);
    lastSynced.value = now;
    syncState.value = 'ready';
  } catch (error) {
    if (error instanceof ApiError && error.code === 'schema_unsupported') {
      syncState.value = 'outdated';
      return;
    }
    syncState.value = localDbAvailable.value ? 'failed' : 'unavailable';
    const signedOut = error instanceof ApiError && error.code === 'aborted';
    if (!isNetworkError(error) && !signedOut && localDbAvailable.value) console.warn('sync failed', error);
  } finally {
    for (const entity of touched) for (const prefix of PREFIXES[entity] ?? []) invalidate(prefix);
  }
}

// --- triggers -------------------------------------------------------------------------------

if (typeof window !== 'undefined') {
  effect(() => {
    if (online.value && currentUser.value) void syncNow();
  });
  effect(() => {
    if (liveStatus.value === 'live' && currentUser.peek()) void syncNow();
  });
  onLiveMessage((message) => {
    if (message.type === 'sync') void syncNow();
  });
  onSignOut(() => {
    const user = currentUser.peek();
    opened = null;
    lastSynced.value = null;
    syncState.value = 'idle';
    if (!user) return;
    store()?.removeItem(SYNCED_KEY + user.id);
    store()?.removeItem(ETAG_KEY + user.id);
    if (localDbAvailable.value) void call({ op: 'drop', user: user.id }).finally(stopLocalDb);
  });
}
