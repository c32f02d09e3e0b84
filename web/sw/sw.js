/* B.Ca service worker (scope /app/). Built into dist/sw.js by vite.config.ts, which fills in
   the version and the list of the build's files (the app shell).
   - install: precache the shell; activate: drop older caches.
   - navigations under /app/: network first, the cached shell when offline (the SPA's index).
   - the build's hashed assets: cache first (they never change).
   - everything else (/v1/... API, files): straight to the network; issue 23 adds the local
     database, Web Push and the share target here. */
const VERSION = '__BCA_VERSION__';
const SHELL = "__BCA_SHELL__";
const CACHE = `bca-shell-${VERSION}`;
const INDEX = '/app/';

self.addEventListener('install', (event) => {
  // The index must be cached; any other file that fails (a proxy's hiccup) is fetched later,
  // rather than leaving the app with no worker at all.
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.add(INDEX).then(() => Promise.allSettled(SHELL.filter((url) => url !== INDEX).map((url) => cache.add(url)))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith('bca-shell-') && key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith('/app/')) return;

  if (request.mode === 'navigate') {
    event.respondWith(fetch(request).catch(() => cachedIndex()));
    return;
  }
  event.respondWith(
    caches.match(request, { ignoreVary: true }).then((hit) => hit || fetch(request)),
  );
});

/** The cached shell page; a copy when it came through a redirect (a navigation refuses those). */
async function cachedIndex() {
  const hit = await caches.match(INDEX, { ignoreSearch: true, ignoreVary: true });
  if (!hit) return Response.error();
  if (!hit.redirected) return hit;
  return new Response(await hit.blob(), { status: 200, headers: hit.headers });
}

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') void self.skipWaiting();
});
