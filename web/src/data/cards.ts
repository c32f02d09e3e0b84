/**
 * Cards of my profiles (create, edit with If-Match, image, delete). Owner: the cards helper.
 * Reads are queries keyed `cards:`; commands update or invalidate them.
 */
import { api, type Card, type CardInput, type VerifiedEmail } from '../api';
import { allPages } from './pages';
import { forget, invalidate, query, type Query } from './query';
import { localCard, localMyCards } from './localdb/reads';
import { synced } from './sync';
import { versionedEdits, type Conflict } from './versioned';

/** Edits of my cards (`versioned.ts`: the outbox offline, a conflict with both versions on 412). */
const edits = versionedEdits<Card, CardInput>({
  kind: 'card-edit',
  url: (id) => `/v1/cards/${encodeURIComponent(id)}`,
  shown: (id) => cardQuery(id).data.peek(),
  put: putCard,
  refused: () => invalidate('cards:'),
});

export type CardConflict = Conflict<Card, CardInput>;
/** Conflicts by card id (an edit answered 412). */
export const cardConflicts = edits.conflicts;
export const resolveCardConflict = edits.resolve;

/** Cards of a profile that I may see (all of mine for my own profile). */
export function profileCardsQuery(profileId: string): Query<Card[]> {
  return query(`cards:profile:${profileId}`, () =>
    edits.reading(synced(() => localMyCards(profileId), () => allPages<Card>(`/v1/profiles/${encodeURIComponent(profileId)}/cards`))),
  );
}

export function cardQuery(id: string): Query<Card> {
  return query(`cards:one:${id}`, () => edits.reading(synced(() => localCard(id), () => api.get<Card>(`/v1/cards/${encodeURIComponent(id)}`))));
}

export async function createCard(profileId: string, input: CardInput & { name: string }): Promise<Card> {
  const card = await api.post<Card>(`/v1/profiles/${encodeURIComponent(profileId)}/cards`, input, { idempotencyKey: true });
  profileCardsQuery(profileId).update((list) => [...list, card]);
  return card;
}

function putCard(card: Card): void {
  cardQuery(card.id).set(card);
  profileCardsQuery(card.profile_id).update((list) => list.map((item) => (item.id === card.id ? card : item)));
}

/** Saves changes made on `version`; a 412 `precondition_failed` is thrown after it became a conflict. */
export function updateCard(id: string, changes: CardInput, version: number): Promise<Card> {
  return edits.update(id, '', changes, version);
}

export async function deleteCard(card: Pick<Card, 'id' | 'profile_id' | 'version'>): Promise<void> {
  await api.delete(`/v1/cards/${encodeURIComponent(card.id)}`, { ifMatch: card.version });
  profileCardsQuery(card.profile_id).update((list) => list.filter((item) => item.id !== card.id));
  forget(cardQuery(card.id).key);
}

export async function uploadCardPreview(id: string, file: Blob, onProgress?: (fraction: number) => void): Promise<Card> {
  const card = await api.upload<Card>(`/v1/cards/${encodeURIComponent(id)}/preview`, file, { method: 'PUT', onProgress });
  cardQuery(id).set(card);
  invalidate(`cards:profile:${card.profile_id}`);
  return card;
}

// --- verified emails (online only: the code is mailed now and lives 15 minutes) -------------

/** Mails a code and a link to one of my card's addresses; resolves to when they expire. */
export async function requestEmailVerification(cardId: string, email: string): Promise<string> {
  const sent = await api.post<{ email: string; expires_at: string }>(`/v1/cards/${encodeURIComponent(cardId)}/verifications`, { email });
  return sent.expires_at;
}

/** Confirms an address with its mailed code; the card comes back with it in `verified`. */
export async function confirmEmailVerification(cardId: string, email: string, code: string): Promise<Card> {
  const card = await api.post<Card>(`/v1/cards/${encodeURIComponent(cardId)}/verifications/confirm`, { email, code });
  putCard(card);
  return card;
}

/** The verification of `email` on a card that holds now, if any. */
export function verifiedEntry(verified: readonly VerifiedEmail[] | undefined, email: string, now: number = Date.now()): VerifiedEmail | null {
  const address = email.trim().toLowerCase();
  return verified?.find((entry) => entry.email === address && Date.parse(entry.expires_at) > now) ?? null;
}

// --- what a card's `data` says (the well-known keys of the server's CardData) ---------------

export interface TypedValue {
  value: string;
  type: string | null;
}

export interface CardAddress {
  street: string;
  locality: string;
  region: string;
  postal_code: string;
  country: string;
}

/** A card's contents, read defensively from its free JSON `data` (unknown keys are ignored). */
export interface CardView {
  /** The person's name from its parts, else the card's name. */
  displayName: string;
  givenName: string;
  familyName: string;
  title: string;
  organization: string;
  department: string;
  phones: TypedValue[];
  emails: TypedValue[];
  urls: string[];
  address: CardAddress;
  /** The address on one line ('' when none). */
  addressLine: string;
  note: string;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

function typedList(value: unknown): TypedValue[] {
  if (!Array.isArray(value)) return [];
  const out: TypedValue[] = [];
  for (const item of value) {
    if (typeof item === 'string' && item.trim()) out.push({ value: item.trim(), type: null });
    else if (item && typeof item === 'object') {
      const entry = item as Record<string, unknown>;
      const v = text(entry.value);
      if (v) out.push({ value: v, type: text(entry.type) || null });
    }
  }
  return out;
}

const HANGUL = /[\u3131-\uD79D]/;

/** Joins name parts: family name first without a space in Korean names, "given family" otherwise. */
export function joinName(given: string, family: string): string {
  if (!given || !family) return given || family;
  return HANGUL.test(given + family) ? `${family}${given}` : `${given} ${family}`;
}

export function describeCard(name: string, data: Record<string, unknown>): CardView {
  const raw = data.address && typeof data.address === 'object' ? (data.address as Record<string, unknown>) : {};
  const address: CardAddress = {
    street: text(raw.street),
    locality: text(raw.locality),
    region: text(raw.region),
    postal_code: text(raw.postal_code),
    country: text(raw.country),
  };
  const givenName = text(data.given_name);
  const familyName = text(data.family_name);
  return {
    displayName: joinName(givenName, familyName) || name.trim(),
    givenName,
    familyName,
    title: text(data.title),
    organization: text(data.organization),
    department: text(data.department),
    phones: typedList(data.phones),
    emails: typedList(data.emails),
    urls: typedList(data.urls).map((url) => url.value),
    address,
    addressLine: [address.street, address.locality, address.region, address.postal_code, address.country].filter(Boolean).join(', '),
    note: text(data.note),
  };
}

/** A `tel:` link of a phone number as written (digits, +, * and # only), or null. */
export function telHref(value: string): string | null {
  const digits = value.replace(/[^0-9+*#]/g, '');
  return digits ? `tel:${digits}` : null;
}

/** Only web links become links (never `javascript:` and the like). */
export function webHref(url: string): string | null {
  const trimmed = url.trim();
  if (/^https?:\/\//i.test(trimmed)) return trimmed;
  if (/^[a-z0-9.-]+\.[a-z]{2,}(\/.*)?$/i.test(trimmed)) return `https://${trimmed}`;
  return null;
}

export function mapHref(address: string): string {
  return `https://www.google.com/maps/search/?api=1&query=${encodeURIComponent(address)}`;
}
