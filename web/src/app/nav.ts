/** Navigation helpers: real history URLs under /app/, so Android's back button works. */
import { effect, signal } from '@preact/signals';

/** How many in-app pages this tab has seen since it opened (the router counts route changes). */
export const visited = signal(0);

/**
 * In-app history depth: each history entry of the app carries `bcaDepth` in history.state, the
 * number of in-app entries before it (0: the page the app was entered at, e.g. from a public
 * card page). The back arrow goes back in history only when depth > 0, so it never leaves the
 * app; `history.length` cannot tell, it also counts the pages before the app.
 */
export interface DepthMark {
  depth: number;
  /** history.length when the mark was made. */
  length: number;
}

/**
 * The depth of the current entry: its own stamp when it has one (a return by back/forward or a
 * reload); else the first entry seen is 0; else an entry pushed after the last one (history grew)
 * is one deeper, and a replaced one keeps the depth. When unsure it counts lower: going to the
 * screen's fallback is safe, leaving the app is not.
 */
export function entryDepth(stamped: unknown, last: DepthMark | null, length: number): number {
  if (typeof stamped === 'number' && Number.isInteger(stamped) && stamped >= 0) return stamped;
  if (!last) return 0;
  return length > last.length ? last.depth + 1 : last.depth;
}

let lastMark: DepthMark | null = null;

function stampOf(state: unknown): unknown {
  return state && typeof state === 'object' ? (state as { bcaDepth?: unknown }).bcaDepth : undefined;
}

/** Stamps the current history entry with its depth (after every route change). */
function markEntry(): void {
  const state: unknown = history.state;
  const depth = entryDepth(stampOf(state), lastMark, history.length);
  lastMark = { depth, length: history.length };
  if (stampOf(state) !== depth) {
    const base = state && typeof state === 'object' ? (state as Record<string, unknown>) : {};
    history.replaceState({ ...base, bcaDepth: depth }, '');
  }
}

if (typeof window !== 'undefined' && typeof history !== 'undefined') {
  effect(() => {
    if (visited.value > 0) markEntry();
  });
}

/** Goes to `url` (a full /app/... path); `replace` for redirects. Components may also use useLocation().route. */
export function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(history.state, '', url);
  else history.pushState(null, '', url);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** Back within the app, or to `fallback` when no in-app entry comes before this one. */
export function goBack(fallback: string): void {
  if (entryDepth(stampOf(history.state), null, history.length) > 0) history.back();
  else navigate(fallback, true);
}

const RETURN_KEY = 'bca.return_to';

/** Remembers where a signed-out person wanted to go (a shared link), for after sign-in. */
export function rememberReturnTo(url: string): void {
  try {
    sessionStorage.setItem(RETURN_KEY, url);
  } catch {
    /* storage refused */
  }
}

/** Where to go after sign-in: the remembered page (once), else `fallback`. */
export function takeReturnTo(fallback: string): string {
  try {
    const url = sessionStorage.getItem(RETURN_KEY);
    sessionStorage.removeItem(RETURN_KEY);
    if (url && url.startsWith('/app/')) return url;
  } catch {
    /* storage refused */
  }
  return fallback;
}
