/**
 * The outbox (issue 23, item 3): writes made while offline wait here, in order, each with the
 * Idempotency-Key it got when it was written, and are sent one by one when the network is back
 * (a send whose answer was lost is sent again with the same key: the server answers with what
 * it stored the first time, so nothing is ever duplicated). Kept in memory and in the user's
 * local database (table `outbox`), so a reload while offline keeps them.
 *
 * A kind's sender (registered by its data module) resolves when the server took the write,
 * rejects with a network error to stop and wait, or with another error to drop the item as
 * failed (`onFailed` tells the module, which shows it).
 */
import { effect, signal } from '@preact/signals';
import { localDbAvailable, runLocal, selectLocal } from './localdb/index';
import { online } from './offline';
import { currentUser, onSignOut } from './session';
import { hasLocalCopy, isNetworkError } from './sync';

export interface OutboxItem {
  kind: string;
  target: string;
  body: Record<string, unknown>;
  key: string;
}

interface Sender {
  send(item: OutboxItem): Promise<void>;
  onFailed?(item: OutboxItem, error: unknown): void;
}

const senders = new Map<string, Sender>();
/**
 * The module that registers each kind's sender, loaded when an item of that kind waits: the
 * screens (and the data modules they use) load lazily, and after a reload the outbox may hold
 * writes of a screen not opened yet.
 */
const SENDER_MODULES: Readonly<Record<string, () => Promise<unknown>>> = {
  message: () => import('./chat'),
  'message-change': () => import('./chat'),
  read: () => import('./chat'),
  'contact-edit': () => import('./contacts'),
  'card-edit': () => import('./cards'),
  'profile-edit': () => import('./profiles'),
};

async function senderOf(kind: string): Promise<Sender | undefined> {
  if (!senders.has(kind)) await SENDER_MODULES[kind]?.();
  return senders.get(kind);
}
/** What waits, oldest first. */
export const outbox = signal<OutboxItem[]>([]);
let restoring: { user: string; done: Promise<void> } | null = null;
let flushing: Promise<void> | null = null;

export function registerSender(kind: string, sender: Sender): void {
  senders.set(kind, sender);
}

async function persist(run: () => Promise<unknown>): Promise<void> {
  if (!localDbAvailable.value || !(await hasLocalCopy().catch(() => false))) return;
  await run().catch(() => undefined);
}

/** The items kept from an earlier run of the app (read once per user; callers at once share the read). */
export function restore(): Promise<OutboxItem[]> {
  const user = currentUser.peek();
  if (!user) return Promise.resolve(outbox.value);
  if (restoring?.user !== user.id) restoring = { user: user.id, done: readKept() };
  return restoring.done.then(() => outbox.value);
}

async function readKept(): Promise<void> {
  if (!localDbAvailable.value || !(await hasLocalCopy().catch(() => false))) return;
  const rows = await selectLocal('SELECT kind, target, body, idempotency_key FROM outbox ORDER BY seq').catch(() => []);
  const known = new Set(outbox.value.map((item) => item.key));
  const kept = rows
    .map((row) => ({ kind: String(row.kind), target: String(row.target), body: JSON.parse(String(row.body)) as Record<string, unknown>, key: String(row.idempotency_key) }))
    .filter((item) => !known.has(item.key));
  outbox.value = [...kept, ...outbox.value];
}

/** True when a new write of this kind must wait behind others (or for the network). */
export function mustQueue(): boolean {
  return !online.peek() || outbox.value.length > 0;
}

export async function enqueue(item: OutboxItem): Promise<void> {
  outbox.value = [...outbox.value, item];
  await persist(() =>
    runLocal('INSERT INTO outbox (kind, target, body, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?)', [
      item.kind,
      item.target,
      JSON.stringify(item.body),
      item.key,
      new Date().toISOString(),
    ]),
  );
  if (online.peek()) void flush();
}

async function drop(item: OutboxItem): Promise<void> {
  outbox.value = outbox.value.filter((other) => other.key !== item.key);
  await persist(() => runLocal('DELETE FROM outbox WHERE idempotency_key = ?', [item.key]));
}

/** Sends what waits, in order; stops at the first network failure. */
export function flush(): Promise<void> {
  flushing ??= (async () => {
    await restore();
    for (;;) {
      const item = outbox.value[0];
      if (!item || !online.peek()) return;
      const sender = await senderOf(item.kind);
      if (!sender) return;
      try {
        await sender.send(item);
      } catch (error) {
        if (isNetworkError(error)) return;
        sender.onFailed?.(item, error);
      }
      await drop(item);
    }
  })().finally(() => {
    flushing = null;
  });
  return flushing;
}

if (typeof window !== 'undefined') {
  effect(() => {
    if (online.value && currentUser.value) setTimeout(() => void flush(), 0);
  });
  onSignOut(() => {
    outbox.value = [];
    restoring = null;
  });
}
