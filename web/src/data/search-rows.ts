/**
 * The local database's search table (`search_entries`, with its FTS5 index
 * `search_entries_fts`, kept by triggers inside the file): one entry per synced card, contact
 * and profile, its `terms` made from the row's data exactly as the server makes them
 * (`bca.search.offline`): the texts of these fields, tokenized by `indexTerms` (the families
 * the app can also ask for), distinct and sorted by code point. So a row this app writes from a
 * change is the row a fresh snapshot holds. `tests/search/offline_fixtures.json` pins it.
 * Pure: it runs against any `SqlExec`.
 */
import type { SqlExec } from './localdb/apply';
import { indexTerms } from './search-tokens';

export type SearchEntity = 'card' | 'contact' | 'profile';

/** The fields each searchable entity is found by, in the server's order. */
export const SEARCH_FIELDS: Record<SearchEntity, readonly string[]> = {
  card: ['name', 'data'],
  contact: ['name', 'organization', 'title', 'phones', 'emails', 'urls', 'address', 'note'],
  profile: ['name', 'team_name', 'description', 'email', 'phone', 'address'],
};

export function isSearchEntity(entity: string): entity is SearchEntity {
  return Object.hasOwn(SEARCH_FIELDS, entity);
}

/** A JSON value's strings and numbers, one per line, `type` labels left out (the server's `describe`). */
export function describe(value: unknown): string {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (typeof node === 'string') out.push(node);
    else if (typeof node === 'number') out.push(String(node));
    else if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, item] of Object.entries(node)) if (key !== 'type') walk(item);
    }
  };
  walk(value);
  return out.join('\n');
}

/** The searchable texts of a synced row's data: strings as they are, JSON by `describe`. */
export function rowTexts(entity: SearchEntity, data: Record<string, unknown>): string[] {
  const texts: string[] = [];
  for (const name of SEARCH_FIELDS[entity]) {
    const value = data[name];
    if (typeof value === 'string') texts.push(value);
    else if (value && typeof value === 'object') texts.push(describe(value));
  }
  return texts;
}

function byCodePoint(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const difference = (x[i]?.codePointAt(0) ?? 0) - (y[i]?.codePointAt(0) ?? 0);
    if (difference !== 0) return difference;
  }
  return x.length - y.length;
}

/** The stored terms of a row: distinct, sorted by code point, space-separated. */
export function rowTerms(entity: SearchEntity, data: Record<string, unknown>): string {
  const terms = new Set(rowTexts(entity, data).flatMap((text) => indexTerms(text)));
  return [...terms].sort(byCodePoint).join(' ');
}

/** The entry of a row follows its upsert (`data`) or delete (`null`). */
export function writeSearchEntry(db: SqlExec, entity: string, id: string, data: Record<string, unknown> | null): void {
  if (!isSearchEntity(entity)) return;
  db.run('DELETE FROM search_entries WHERE entity = ? AND id = ?', [entity, id]);
  if (data === null) return;
  const terms = rowTerms(entity, data);
  if (terms) db.run('INSERT INTO search_entries (entity, id, terms) VALUES (?, ?, ?)', [entity, id, terms]);
}
