/** Helpers for the API's cursor pages (`{items, next_cursor}`), for data modules only. */
import { api, type Page } from '../api';
import type { QueryValue } from '../api/client';

/** Every item of a listing, following `next_cursor` (for lists that are small by contract). */
export async function allPages<T>(path: string, query: Record<string, QueryValue> = {}, max = 50): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < max; page++) {
    const answer: Page<T> = await api.get<Page<T>>(path, { ...query, limit: 200, cursor });
    items.push(...answer.items);
    cursor = answer.next_cursor;
    if (!cursor) break;
  }
  return items;
}
