/**
 * The page's side of the local database: a lazily started module worker (its code and the
 * sqlite3.wasm it loads are fetched on first use, never with the first screen). Every call
 * resolves, or rejects when the browser cannot keep the database (no OPFS sync access handles):
 * then `localDbAvailable` turns false and the data modules stay on the network.
 */
import { signal } from '@preact/signals';
import type { SqlValue } from './apply';
import type { LocalRequest } from './protocol';

export type Row = Record<string, SqlValue>;

/** False once the worker failed to start (no OPFS): reads go to the network only. */
export const localDbAvailable = signal(typeof Worker !== 'undefined');

let worker: Worker | null = null;
let nextId = 0;
const waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

function theWorker(): Worker {
  if (worker) return worker;
  const started = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'bca-localdb' });
  started.onmessage = (event: MessageEvent<{ id: number; result?: unknown; error?: string }>) => {
    const pending = waiting.get(event.data.id);
    if (!pending) return;
    waiting.delete(event.data.id);
    if (event.data.error !== undefined) pending.reject(new Error(event.data.error));
    else pending.resolve(event.data.result);
  };
  started.onerror = (event) => {
    event.preventDefault();
    fail(new Error(event.message || 'the local database could not start'));
  };
  worker = started;
  return started;
}

function fail(error: Error): void {
  localDbAvailable.value = false;
  for (const pending of waiting.values()) pending.reject(error);
  waiting.clear();
  worker?.terminate();
  worker = null;
}

export function call<T>(request: LocalRequest, transfer: Transferable[] = []): Promise<T> {
  if (!localDbAvailable.value) return Promise.reject(new Error('no local database'));
  const id = ++nextId;
  return new Promise<T>((resolve, reject) => {
    waiting.set(id, { resolve: resolve, reject });
    try {
      theWorker().postMessage({ id, request }, transfer);
    } catch (error) {
      waiting.delete(id);
      fail(error instanceof Error ? error : new Error(String(error)));
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

export function selectSync(sql: string, bind: SqlValue[] = []): Promise<Row[]> {
  return call<Row[]>({ op: 'select', db: 'sync', sql, bind });
}

export function selectLocal(sql: string, bind: SqlValue[] = []): Promise<Row[]> {
  return call<Row[]>({ op: 'select', db: 'local', sql, bind });
}

export function runLocal(sql: string, bind: SqlValue[] = []): Promise<number> {
  return call<number>({ op: 'run', sql, bind });
}

/** Stops the worker (sign-out, after the files were deleted). */
export function stopLocalDb(): void {
  worker?.terminate();
  worker = null;
  for (const pending of waiting.values()) pending.reject(new Error('stopped'));
  waiting.clear();
}
