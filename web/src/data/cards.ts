/**
 * Cards of my profiles (create, edit with If-Match, image, delete). Owner: the cards helper.
 * Reads are queries keyed `cards:`; commands update or invalidate them.
 */
import { api, type Card, type CardInput } from '../api';
import { allPages } from './pages';
import { invalidate, query, type Query } from './query';

/** Cards of a profile that I may see (all of mine for my own profile). */
export function profileCardsQuery(profileId: string): Query<Card[]> {
  return query(`cards:profile:${profileId}`, () => allPages<Card>(`/v1/profiles/${encodeURIComponent(profileId)}/cards`));
}

export function cardQuery(id: string): Query<Card> {
  return query(`cards:one:${id}`, () => api.get<Card>(`/v1/cards/${encodeURIComponent(id)}`));
}

export async function createCard(profileId: string, input: CardInput & { name: string }): Promise<Card> {
  const card = await api.post<Card>(`/v1/profiles/${encodeURIComponent(profileId)}/cards`, input, { idempotencyKey: true });
  profileCardsQuery(profileId).update((list) => [...list, card]);
  return card;
}

/** Edits a card; 412 `precondition_failed` when `version` is no longer current. */
export async function updateCard(id: string, changes: CardInput, version?: number): Promise<Card> {
  const card = await api.patch<Card>(`/v1/cards/${encodeURIComponent(id)}`, changes, version === undefined ? {} : { ifMatch: version });
  cardQuery(id).set(card);
  invalidate(`cards:profile:${card.profile_id}`);
  return card;
}

export async function deleteCard(card: Pick<Card, 'id' | 'profile_id' | 'version'>): Promise<void> {
  await api.delete(`/v1/cards/${encodeURIComponent(card.id)}`, { ifMatch: card.version });
  profileCardsQuery(card.profile_id).update((list) => list.filter((item) => item.id !== card.id));
}

export async function uploadCardPreview(id: string, file: Blob, onProgress?: (fraction: number) => void): Promise<Card> {
  const card = await api.upload<Card>(`/v1/cards/${encodeURIComponent(id)}/preview`, file, { method: 'PUT', onProgress });
  cardQuery(id).set(card);
  invalidate(`cards:profile:${card.profile_id}`);
  return card;
}
