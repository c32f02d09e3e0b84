/**
 * Search (issue 24), offline first: the local copy's search table answers at once (cards I
 * own or hold, my contacts, the profiles I see), and, when online, `GET /v1/search` adds
 * messages and whatever the server finds that the copy did not. Hits carry their text with
 * the matched ranges (code point offsets, never markup): the local ones from the query's
 * pieces (`matchedRanges`), the server's as it sent them.
 *
 * The local query asks for the tokens the app can make (`queryTerms`); when the words as typed
 * find nothing, it asks again without their trailing particles (카카오뱅크에서 → 카카오뱅크).
 */
import { api } from '../api';
import type { Card, Contact, Profile } from '../api';
import { cardFromRow, contactFromRow, profileFromRow } from './localdb/reads';
import { describeCard } from './cards';
import { rowTexts } from './search-rows';
import { fts5Match, matchedRanges, queryPieces, queryTerms, type Segment } from './search-tokens';
import { hasLocalCopy, localRows } from './sync';

export type HitKind = 'cards' | 'contacts' | 'profiles' | 'messages';
export const HIT_KINDS: readonly HitKind[] = ['cards', 'contacts', 'profiles', 'messages'];

/** A text and its matched ranges ([start, end) in code points). */
export interface Marked {
  text: string;
  ranges: [number, number][];
}

export interface Hit {
  kind: HitKind;
  id: string;
  title: Marked;
  /** The line of the hit's text that matched (when it is not the title). */
  detail: Marked | null;
  profileId: string;
  imageUrl: string | null;
  /** Cards: mine (to edit) or held (in the wallet). Profiles: mine. */
  mine: boolean;
  chatId: string | null;
}

export type Hits = Record<HitKind, Hit[]>;

export function noHits(): Hits {
  return { cards: [], contacts: [], profiles: [], messages: [] };
}

const LIMIT = 50;
const FIND = (table: string, extra = ''): string =>
  `SELECT t.*${extra} FROM search_entries_fts JOIN search_entries e ON e.entry = search_entries_fts.rowid ` +
  `JOIN ${table} t ON t.id = e.id WHERE search_entries_fts MATCH ? AND e.entity = ? ORDER BY bm25(search_entries_fts) LIMIT ${String(LIMIT)}`;
const CARDS = FIND('cards', ', (SELECT mine FROM profiles p WHERE p.id = t.profile_id) AS mine_card, EXISTS (SELECT 1 FROM subscriptions s WHERE s.card_id = t.id) AS held');
const CONTACTS = FIND('contacts');
const PROFILES = FIND('profiles');

/** Splits a hit's text in lines, each with its ranges. */
export function lines(marked: Marked): Marked[] {
  const out: Marked[] = [];
  let start = 0;
  for (const line of marked.text.split('\n')) {
    const length = Array.from(line).length;
    const end = start + length;
    const ranges = marked.ranges
      .filter(([from, to]) => to > start && from < end)
      .map(([from, to]): [number, number] => [Math.max(from, start) - start, Math.min(to, end) - start]);
    out.push({ text: line, ranges });
    start = end + 1;
  }
  return out;
}

/** Title (the first line) and the first other line that matched. */
function shape(marked: Marked): { title: Marked; detail: Marked | null } {
  const [title, ...rest] = lines(marked).filter((line) => line.text.trim() !== '');
  return { title: title ?? { text: '', ranges: [] }, detail: rest.find((line) => line.ranges.length > 0) ?? null };
}

function mark(texts: string[], pieces: readonly Segment[]): Marked {
  const text = texts.filter((item) => item.trim() !== '').join('\n');
  return { text, ranges: matchedRanges(text, pieces) };
}

function cardHit(card: Card, mine: boolean, pieces: readonly Segment[]): Hit {
  const view = describeCard(card.name, card.data);
  const { detail } = shape(mark(rowTexts('card', { ...card }), pieces));
  const title = { text: view.displayName, ranges: matchedRanges(view.displayName, pieces) };
  return { kind: 'cards', id: card.id, title, detail, profileId: card.profile_id, imageUrl: card.preview_url, mine, chatId: null };
}

function contactHit(contact: Contact, pieces: readonly Segment[]): Hit {
  const { title, detail } = shape(mark(rowTexts('contact', { ...contact }), pieces));
  return { kind: 'contacts', id: contact.id, title, detail, profileId: contact.profile_id, imageUrl: contact.image_url, mine: true, chatId: null };
}

function profileHit(profile: Profile, pieces: readonly Segment[]): Hit {
  const { title, detail } = shape(mark(rowTexts('profile', { ...profile }), pieces));
  return { kind: 'profiles', id: profile.id, title, detail, profileId: profile.id, imageUrl: profile.image_url, mine: profile.mine, chatId: null };
}

/** The local copy's hits, or null when there is no local copy (then the server answers alone). */
export async function searchLocal(q: string): Promise<Hits | null> {
  if (!(await hasLocalCopy())) return null;
  for (const stripParticle of [false, true]) {
    const match = fts5Match(queryTerms(q, { stripParticle }));
    if (match === null) return noHits();
    const pieces = queryPieces(q, { stripParticle });
    const [cards, contacts, profiles] = await Promise.all([
      localRows(CARDS, [match, 'card']),
      localRows(CONTACTS, [match, 'contact']),
      localRows(PROFILES, [match, 'profile']),
    ]);
    const hits: Hits = {
      cards: cards.filter((row) => row.mine_card === 1 || row.held === 1).map((row) => cardHit(cardFromRow(row), row.mine_card === 1, pieces)),
      contacts: contacts.map((row) => contactHit(contactFromRow(row), pieces)),
      profiles: profiles.map((row) => profileHit(profileFromRow(row), pieces)),
      messages: [],
    };
    if (hits.cards.length + hits.contacts.length + hits.profiles.length > 0) return hits;
  }
  return noHits();
}

/** `GET /v1/search`'s answer (docs/api.md, "Search"). */
interface ServerHit {
  kind: HitKind;
  id: string;
  profile_id: string;
  chat_id: string | null;
  index: number | null;
  text: string;
  ranges: [number, number][];
}
type ServerResults = Partial<Record<HitKind, { hits: ServerHit[]; next_cursor: string | null } | null>>;

/** The server's hits of every kind (`myProfiles`: to tell my own cards and profiles). */
export async function searchServer(q: string, myProfiles: ReadonlySet<string>, signal?: AbortSignal): Promise<Hits> {
  const answer = await api.get<ServerResults>('/v1/search', { q, limit: 20 }, { signal });
  const hits = noHits();
  for (const kind of HIT_KINDS) {
    for (const hit of answer[kind]?.hits ?? []) {
      const { title, detail } = kind === 'messages' ? { title: { text: hit.text, ranges: hit.ranges }, detail: null } : shape(hit);
      hits[kind].push({ kind, id: hit.id, title, detail, profileId: hit.profile_id, imageUrl: null, mine: myProfiles.has(hit.profile_id), chatId: hit.chat_id });
    }
  }
  return hits;
}

/** Local hits first, in their order; the server's that the copy lacks after them (nothing moves). */
export function mergeHits(local: Hits | null, server: Hits | null): Hits {
  const merged = noHits();
  for (const kind of HIT_KINDS) {
    const first = local?.[kind] ?? [];
    const seen = new Set(first.map((hit) => hit.id));
    merged[kind] = [...first, ...(server?.[kind] ?? []).filter((hit) => !seen.has(hit.id))];
  }
  return merged;
}
