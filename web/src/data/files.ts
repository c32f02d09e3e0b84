/**
 * Pictures and files behind the API's bearer auth (`/v1/files/{id}`): an <img> cannot send
 * the token, so they are fetched here and shown through `blob:` object URLs, kept in a small
 * cache. Issue 23's service worker may cache the bytes for offline use.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { onSignOut } from './session';

const MAX = 200;
const cache = new Map<string, Promise<string>>();

function pathOf(url: string): string {
  // API file URLs are absolute (`{public_url}/v1/files/{id}`); fetch them through our origin.
  try {
    const parsed = new URL(url, location.origin);
    return parsed.pathname + parsed.search;
  } catch {
    return url;
  }
}

/** An object URL for an API file URL (fetched once, with the access token). */
export function fileObjectUrl(url: string): Promise<string> {
  let hit = cache.get(url);
  if (!hit) {
    hit = api.request<Blob>(pathOf(url), { as: 'blob' }).then((blob) => URL.createObjectURL(blob));
    hit.catch(() => cache.delete(url));
    cache.set(url, hit);
    if (cache.size > MAX) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) {
        void cache.get(oldest)?.then((objectUrl) => URL.revokeObjectURL(objectUrl), () => undefined);
        cache.delete(oldest);
      }
    }
  }
  return hit;
}

/** In a component: the displayable URL of an API file URL, or null while it loads (or for null). */
export function useFileUrl(url: string | null | undefined): string | null {
  const [resolved, setResolved] = useState<string | null>(null);
  useEffect(() => {
    setResolved(null);
    if (!url) return;
    if (url.startsWith('blob:') || url.startsWith('data:')) {
      setResolved(url);
      return;
    }
    let live = true;
    fileObjectUrl(url).then((objectUrl) => live && setResolved(objectUrl), () => undefined);
    return () => {
      live = false;
    };
  }, [url]);
  return resolved;
}

/** Forgets every cached file (sign-out). */
export function clearFiles(): void {
  for (const hit of cache.values()) void hit.then((objectUrl) => URL.revokeObjectURL(objectUrl), () => undefined);
  cache.clear();
}

onSignOut(clearFiles);
