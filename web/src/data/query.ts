/**
 * A tiny query cache: one entry per key, its state in signals, loaded on first use, reloaded
 * when invalidated while someone watches it. Screens read `q.data.value` (re-rendering when it
 * changes) and never know where the data came from: today the API, after issue 23 the local
 * SQLite copy (the data module swaps the fetcher; screens stay as they are).
 */
import { batch, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { ApiError } from '../api/errors';

export interface Query<T> {
  readonly key: string;
  readonly data: ReadonlySignal<T | undefined>;
  readonly error: ReadonlySignal<ApiError | null>;
  /** True while a load runs (also during a reload that keeps showing the old data). */
  readonly loading: ReadonlySignal<boolean>;
  /** Loads unless loaded and fresh; resolves when done (never rejects: see `error`). */
  load(): Promise<void>;
  /** Loads again now. */
  reload(): Promise<void>;
  /** Replaces the data (after a command answered with the new state). */
  set(value: T): void;
  /** Changes the data in place through a function of the old one (no-op when not loaded). */
  update(change: (old: T) => T): void;
  /** Marks stale; reloads at once when loaded before. */
  invalidate(): void;
}

interface Entry<T> extends Query<T> {
  stale: boolean;
  reset(): void;
}

const entries = new Map<string, Entry<unknown>>();

function toApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError({ status: 0, code: 'bad_response', detail: String(error) });
}

function makeEntry<T>(key: string, fetcher: () => Promise<T>): Entry<T> {
  const data: Signal<T | undefined> = signal(undefined);
  const error = signal<ApiError | null>(null);
  const loading = signal(false);
  let flight: Promise<void> | null = null;
  let generation = 0;
  const entry: Entry<T> = {
    key,
    data,
    error,
    loading,
    stale: true,
    load() {
      if (!entry.stale && data.value !== undefined) return Promise.resolve();
      return flight ?? entry.reload();
    },
    reload() {
      const mine = ++generation;
      loading.value = true;
      entry.stale = false;
      flight = fetcher().then(
        (value) => {
          if (mine !== generation) return;
          batch(() => {
            data.value = value;
            error.value = null;
          });
        },
        (failure: unknown) => {
          if (mine !== generation) return;
          entry.stale = true;
          error.value = toApiError(failure);
        },
      ).finally(() => {
        if (mine === generation) {
          loading.value = false;
          flight = null;
        }
      });
      return flight;
    },
    set(value) {
      generation++;
      flight = null;
      batch(() => {
        data.value = value;
        error.value = null;
        loading.value = false;
      });
      entry.stale = false;
    },
    update(change) {
      if (data.value !== undefined) entry.set(change(data.value));
    },
    invalidate() {
      entry.stale = true;
      if (data.value !== undefined || flight) void entry.reload();
    },
    reset() {
      generation++;
      flight = null;
      entry.stale = true;
      batch(() => {
        data.value = undefined;
        error.value = null;
        loading.value = false;
      });
    },
  };
  return entry;
}

/** The query of `key`, made on first ask with `fetcher` (later asks share it). */
export function query<T>(key: string, fetcher: () => Promise<T>): Query<T> {
  let entry = entries.get(key) as Entry<T> | undefined;
  if (!entry) {
    entry = makeEntry(key, fetcher);
    entries.set(key, entry);
  }
  return entry;
}

/** Invalidates every query whose key starts with `prefix` (`'cards:'`, `'wallet:' + profileId`). */
export function invalidate(prefix: string): void {
  for (const [key, entry] of entries) if (key.startsWith(prefix)) entry.invalidate();
}

/** Forgets one query (a deleted thing's): a later invalidation must not ask the server for it. */
export function forget(key: string): void {
  entries.get(key)?.reset();
  entries.delete(key);
}

/** Forgets everything (sign-out: the next person sees none of it). */
export function clearQueries(): void {
  for (const entry of entries.values()) entry.reset();
  entries.clear();
}

/** In a component: starts loading `q` (when given) and returns it; read `q.data.value` in render. */
export function useQuery<T>(q: Query<T>): Query<T>;
export function useQuery<T>(q: Query<T> | null): Query<T> | null;
export function useQuery<T>(q: Query<T> | null): Query<T> | null {
  useEffect(() => {
    if (q) void q.load();
  }, [q]);
  return q;
}
