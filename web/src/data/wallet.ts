/**
 * The wallet: cards my active profile holds (subscriptions). Owner: the wallet helper.
 * "Updated since you last looked" compares each card's `version` with the one seen, kept per
 * profile on this device (issue 23 may move that into the local database).
 */
import { api, type Subscription } from '../api';
import { allPages } from './pages';
import { query, type Query } from './query';

export function walletQuery(profileId: string): Query<Subscription[]> {
  return query(`wallet:${profileId}`, () => allPages<Subscription>(`/v1/profiles/${encodeURIComponent(profileId)}/subscriptions`));
}

/** Adds a card to the wallet (`shareToken` for a private card reached through its link). */
export async function subscribe(profileId: string, cardId: string, shareToken?: string): Promise<Subscription> {
  const entry = await api.put<Subscription>(
    `/v1/profiles/${encodeURIComponent(profileId)}/subscriptions/${encodeURIComponent(cardId)}`,
    undefined,
    { query: { share_token: shareToken } },
  );
  walletQuery(profileId).update((list) => [entry, ...list.filter((item) => item.card.id !== cardId)]);
  return entry;
}

export async function unsubscribe(profileId: string, cardId: string): Promise<void> {
  await api.delete(`/v1/profiles/${encodeURIComponent(profileId)}/subscriptions/${encodeURIComponent(cardId)}`);
  walletQuery(profileId).update((list) => list.filter((item) => item.card.id !== cardId));
}
