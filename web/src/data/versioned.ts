/**
 * Edits of versioned rows (contacts, cards, profiles): each carries the version shown
 * (`If-Match`), so another device's change answers 412 `precondition_failed` instead of being
 * overwritten. The 412 becomes a conflict with both versions, for the person to choose
 * (`conflicts`, shown by the row's screen), unless the server already holds the edit (an
 * earlier send of it whose answer was lost). Made offline (or behind other waiting writes), an
 * edit waits in the outbox and shows at once: every read of the rows goes through `reading`.
 */
import { signal, type ReadonlySignal } from '@preact/signals';
import { api, newIdempotencyKey } from '../api';
import { ApiError } from '../api/errors';
import { enqueue, mustQueue, outbox, registerSender, restore } from './outbox';

interface Versioned {
  id: string;
  version: number;
}

/** My edit and the version another device saved meanwhile. `scope` is the row's owner (a contact's profile). */
export interface Conflict<Row, Changes> {
  scope: string;
  mine: Changes;
  theirs: Row;
}

export interface VersionedRows<Row extends Versioned> {
  /** The outbox's kind of these edits. */
  kind: string;
  url(id: string, scope: string): string;
  /** The row as this device shows it now (to show an edit waiting in the outbox). */
  shown(id: string, scope: string): Row | undefined;
  /** Puts a row (saved, or showing a waiting edit) into every query that shows it. */
  put(row: Row, scope: string): void;
  /** An edit refused for good (deleted meanwhile, invalid): show the server's state again. */
  refused(scope: string): void;
}

export interface VersionedEdits<Row, Changes> {
  conflicts: ReadonlySignal<ReadonlyMap<string, Conflict<Row, Changes>>>;
  /** A read (one row or a list) with my edits that wait in the outbox on top (also after a reload). */
  reading: <T extends Row | Row[]>(read: Promise<T>) => Promise<T>;
  /** Saves `changes` made on `version`; a 412 is thrown after it was recorded in `conflicts`. */
  update: (id: string, scope: string, changes: Changes, version: number) => Promise<Row>;
  /** Ends a conflict: my edit saved over their version, or theirs kept. */
  resolve: (id: string, keep: 'mine' | 'theirs') => Promise<void>;
}

/** JSON with object keys sorted: the same value reads the same whatever order the keys came in. */
function canonical(value: unknown): string {
  return JSON.stringify(value ?? null, (_, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

/** True when `row` already reads as `changes`. */
export function holds(row: object, changes: object): boolean {
  return Object.entries(changes).every(([field, value]) => canonical((row as Record<string, unknown>)[field]) === canonical(value));
}

export function versionedEdits<Row extends Versioned, Changes extends object>(rows: VersionedRows<Row>): VersionedEdits<Row, Changes> {
  const conflicts = signal<ReadonlyMap<string, Conflict<Row, Changes>>>(new Map());

  function setConflict(id: string, conflict: Conflict<Row, Changes> | null): void {
    const next = new Map(conflicts.peek());
    if (conflict) next.set(id, conflict);
    else next.delete(id);
    conflicts.value = next;
  }

  async function conflicted(id: string, scope: string, mine: Changes): Promise<void> {
    const theirs = await api.get<Row>(rows.url(id, scope));
    rows.put(theirs, scope);
    if (!holds(theirs, mine)) setConflict(id, { scope, mine, theirs });
  }

  async function send(id: string, scope: string, changes: Changes, version: number): Promise<Row> {
    try {
      const row = await api.patch<Row>(rows.url(id, scope), changes, { ifMatch: version });
      rows.put(row, scope);
      return row;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'precondition_failed') await conflicted(id, scope, changes);
      throw error;
    }
  }

  /** Per row, the version my last waiting edit was made on and the one it saved: a second edit
   *  made offline on the same version is sent on the first one's result (it is no conflict). */
  const saved = new Map<string, { base: number; now: number }>();

  registerSender(rows.kind, {
    async send(item) {
      const { scope, changes, version } = item.body as { scope: string; changes: Changes; version: number };
      const earlier = saved.get(item.target);
      try {
        const row = await send(item.target, scope, changes, earlier?.base === version ? earlier.now : version);
        saved.set(item.target, { base: version, now: row.version });
      } catch (error) {
        // A conflict is recorded: the outbox goes on with the next write.
        if (!(error instanceof ApiError && error.code === 'precondition_failed')) throw error;
      }
    },
    onFailed(item) {
      rows.refused(String(item.body.scope));
    },
  });

  async function update(id: string, scope: string, changes: Changes, version: number): Promise<Row> {
    if (!mustQueue()) return send(id, scope, changes, version);
    await enqueue({ kind: rows.kind, target: id, body: { scope, changes, version }, key: newIdempotencyKey() });
    const pending = { ...(rows.shown(id, scope) ?? (await api.get<Row>(rows.url(id, scope)))), ...changes };
    rows.put(pending, scope);
    return pending;
  }

  async function resolve(id: string, keep: 'mine' | 'theirs'): Promise<void> {
    const conflict = conflicts.peek().get(id);
    if (!conflict) return;
    if (keep === 'mine') await update(id, conflict.scope, conflict.mine, conflict.theirs.version);
    setConflict(id, null);
  }

  function overlay(row: Row): Row {
    let shown = row;
    for (const item of outbox.peek()) {
      if (item.kind === rows.kind && item.target === row.id) shown = { ...shown, ...(item.body.changes as Changes) };
    }
    return shown;
  }

  async function reading<T extends Row | Row[]>(read: Promise<T>): Promise<T> {
    const [value] = await Promise.all([read, restore()]);
    return (Array.isArray(value) ? value.map(overlay) : overlay(value as Row)) as T;
  }

  return { conflicts, reading, update, resolve };
}
