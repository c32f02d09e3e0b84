/**
 * What another app shared to B.Ca (the manifest's share target): the service worker keeps it
 * in the cache `bca-shared` (sw/sw.js) and opens the "send to chat" screen, which takes it
 * from here and sends it as a message to the chat the person picks.
 */
const SHARED = 'bca-shared';
const ITEM = '/app/shared/item';
const FILE = '/app/shared/file';

export interface SharedItem {
  /** The message text: what was shared as title, text and link, each once. */
  text: string;
  /** An image, when one was shared. */
  file: File | null;
}

interface Kept {
  title: string;
  text: string;
  url: string;
  file: { name: string; type: string } | null;
}

/** The kept share, or null when there is none (or the browser has no caches). */
export async function readShared(): Promise<SharedItem | null> {
  if (typeof caches === 'undefined') return null;
  const cache = await caches.open(SHARED);
  const item = await cache.match(ITEM);
  if (!item) return null;
  const kept = (await item.json()) as Kept;
  // Apps put a link in `text` as often as in `url`: each piece once, in the order given.
  const parts = [kept.title, kept.text, kept.url].map((part) => part.trim()).filter((part) => part !== '');
  const text = parts.filter((part, index) => !parts.slice(0, index).some((earlier) => earlier.includes(part))).join('\n');
  const stored = kept.file ? await cache.match(FILE) : undefined;
  const file = kept.file && stored ? new File([await stored.blob()], kept.file.name, { type: kept.file.type }) : null;
  return text === '' && !file ? null : { text, file };
}

/** Forgets the kept share (sent, or dismissed). */
export async function clearShared(): Promise<void> {
  if (typeof caches === 'undefined') return;
  await caches.delete(SHARED);
}
