/**
 * The wallet: cards my active profile holds (subscriptions). Owner: the wallet helper.
 * "Updated since you last looked" compares each card's `version` with the one seen, kept per
 * profile on this device (issue 23 may move that into the local database). A card first met
 * in the wallet counts as seen at its version; opening it marks its version seen.
 *
 * Live: the server sends `{"type":"sync"}` on the socket when my sync change log grew (an
 * owner edited a card I hold, ...); the wallet, cards and profiles queries reload then, and on
 * every (re)connect (a hint may have been missed while away).
 */
import { signal } from '@preact/signals';
import { api, type Card, type Subscription } from '../api';
import { onLiveMessage } from './live';
import { allPages } from './pages';
import { invalidate, query, type Query } from './query';
import { localWallet } from './localdb/reads';
import { synced } from './sync';

export function walletQuery(profileId: string): Query<Subscription[]> {
  return query(`wallet:${profileId}`, () =>
    synced(() => localWallet(profileId), () => allPages<Subscription>(`/v1/profiles/${encodeURIComponent(profileId)}/subscriptions`)),
  );
}

/** The card a share link (`/c/{token}`) names, as a signed-in person may keep it. */
export function sharedCardQuery(token: string): Query<Card> {
  return query(`wallet:shared:${token}`, () => api.get<Card>(`/v1/shares/${encodeURIComponent(token)}`));
}

/** Adds a card to the wallet (`shareToken` for a card reached through its link or QR). */
export async function subscribe(profileId: string, cardId: string, shareToken?: string): Promise<Subscription> {
  const entry = await api.put<Subscription>(
    `/v1/profiles/${encodeURIComponent(profileId)}/subscriptions/${encodeURIComponent(cardId)}`,
    undefined,
    { query: { share_token: shareToken } },
  );
  markSeen(profileId, entry.card);
  walletQuery(profileId).update((list) => [entry, ...list.filter((item) => item.card.id !== cardId)]);
  return entry;
}

export async function unsubscribe(profileId: string, cardId: string): Promise<void> {
  await api.delete(`/v1/profiles/${encodeURIComponent(profileId)}/subscriptions/${encodeURIComponent(cardId)}`);
  walletQuery(profileId).update((list) => list.filter((item) => item.card.id !== cardId));
}

// --- "updated since you last looked" --------------------------------------------------------

type Seen = Record<string, number>;
const SEEN_PREFIX = 'bca.seen.';
/** Bumped whenever a seen version changes, so that lists re-render. */
const seenTick = signal(0);

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export function readSeen(profileId: string, store: Storage | null = storage()): Seen {
  try {
    const parsed: unknown = JSON.parse(store?.getItem(SEEN_PREFIX + profileId) ?? '{}');
    return parsed && typeof parsed === 'object' ? (parsed as Seen) : {};
  } catch {
    return {};
  }
}

function writeSeen(profileId: string, seen: Seen, store: Storage | null = storage()): void {
  try {
    store?.setItem(SEEN_PREFIX + profileId, JSON.stringify(seen));
  } catch {
    // Storage full or refused: the marks are a courtesy.
  }
  seenTick.value++;
}

/** Remembers the card's current version as seen (opening it, adding it). */
export function markSeen(profileId: string, card: Pick<Card, 'id' | 'version'>): void {
  const seen = readSeen(profileId);
  if (seen[card.id] === card.version) return;
  seen[card.id] = card.version;
  writeSeen(profileId, seen);
}

export interface WalletEntry extends Subscription {
  /** Changed since this device last showed it. */
  updated: boolean;
}

/**
 * The wallet as shown: newest updates first (the card's `updated_at`, else when it was kept),
 * each marked when its version is newer than the one seen. Cards met for the first time are
 * recorded as seen (pure but for that record; `store` for tests).
 */
export function walletEntries(profileId: string, list: Subscription[], store: Storage | null = storage()): WalletEntry[] {
  // Reading the tick subscribes a rendering component to "seen" changes.
  const seen = seenTick.value >= 0 ? readSeen(profileId, store) : {};
  let met = false;
  const entries = list.map((item) => {
    const known = seen[item.card.id];
    if (known === undefined) {
      seen[item.card.id] = item.card.version;
      met = true;
    }
    return { ...item, updated: known !== undefined && item.card.version > known };
  });
  if (met) {
    try {
      store?.setItem(SEEN_PREFIX + profileId, JSON.stringify(seen));
    } catch {
      // as above
    }
  }
  const time = (entry: Subscription): string => (entry.card.updated_at > entry.subscribed_at ? entry.card.updated_at : entry.subscribed_at);
  return entries.sort((a, b) => (time(a) < time(b) ? 1 : time(a) > time(b) ? -1 : 0));
}

// --- live -----------------------------------------------------------------------------------

function refreshHeld(): void {
  invalidate('wallet:');
  invalidate('cards:');
  invalidate('profiles:');
}

if (typeof window !== 'undefined') {
  let connections = 0;
  onLiveMessage((message) => {
    // The first `ready` comes with the first load; later ones follow a reconnect.
    if (message.type === 'sync' || (message.type === 'ready' && ++connections > 1)) refreshHeld();
  });
}
