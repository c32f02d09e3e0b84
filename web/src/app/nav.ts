/** Navigation helpers: real history URLs under /app/, so Android's back button works. */
import { signal } from '@preact/signals';

/** How many in-app pages this tab has seen since it opened (history.back() stays in the app when > 1). */
export const visited = signal(0);

/** Goes to `url` (a full /app/... path); `replace` for redirects. Components may also use useLocation().route. */
export function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** Back within the app, or to `fallback` when this page was the first one. */
export function goBack(fallback: string): void {
  if (visited.value > 1) history.back();
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
