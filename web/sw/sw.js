/* B.Ca service worker (scope /app/). Built into dist/sw.js by vite.config.ts, which fills in
   the version and the list of the build's files (the app shell).
   - install: precache the shell; activate: drop older caches.
   - navigations under /app/: network first, the cached shell when offline (the SPA's index).
   - the build's hashed assets: cache first (they never change).
   - everything else (/v1/... API, files): straight to the network; issue 23 adds the local
     database; push and notificationclick (below) show a chat's Web Push notification and
     open the chat.
   - the share target (POST /app/share-target from another app, the manifest's share_target):
     what was shared is kept in the cache `bca-shared`, and the app's "send to chat" screen
     opens; it takes the item from there. */
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

const SHARED = 'bca-shared';

/** Keeps a share (text, link, one image) for the "send to chat" screen, then opens it. */
async function receiveShare(request) {
  const form = await request.formData();
  const field = (name) => {
    const value = form.get(name);
    return typeof value === 'string' ? value : '';
  };
  const file = form.getAll('file').find((item) => item instanceof File && item.size > 0) || null;
  const cache = await caches.open(SHARED);
  await cache.put('/app/shared/item', new Response(JSON.stringify({
    title: field('title'),
    text: field('text'),
    url: field('url'),
    file: file ? { name: file.name, type: file.type } : null,
  }), { headers: { 'Content-Type': 'application/json' } }));
  if (file) await cache.put('/app/shared/file', new Response(file, { headers: { 'Content-Type': file.type || 'application/octet-stream' } }));
  else await cache.delete('/app/shared/file');
  return Response.redirect('/app/chats/share', 303);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method === 'POST' && url.origin === self.location.origin && url.pathname === '/app/share-target') {
    event.respondWith(receiveShare(request).catch(() => Response.redirect('/app/chats/share', 303)));
    return;
  }
  if (request.method !== 'GET') return;
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

/* Web Push (the server's chat.send_push): the payload is {type: 'message', chat_id, index, sender,
   profile_id, chat_title?, body?}; body only when the subscription allows previews. One
   notification per chat (its tag): a newer message replaces the older one. */
/* A message request (the server's chat.send_request_notice) is notified once, quietly:
   {type: 'chat_request', chat_id, profile_id, sender, quiet: true}; it opens the request. */
function requestNotice(data) {
  const korean = String(self.navigator.language || '').startsWith('ko');
  return self.registration.showNotification(String(data.sender || 'B.Ca'), {
    body: korean ? '메시지 요청' : 'Message request',
    tag: `chat-request:${data.chat_id}`,
    silent: true,
    icon: '/app/icons/icon-192.png',
    data: { url: `/app/chats/requests/${encodeURIComponent(data.chat_id)}`, chat_id: data.chat_id },
  });
}

self.addEventListener('push', (event) => {
  let data;
  try { data = event.data ? event.data.json() : null; } catch { data = null; }
  if (data && data.type === 'chat_request' && typeof data.chat_id === 'string') {
    event.waitUntil(requestNotice(data));
    return;
  }
  if (!data || data.type !== 'message' || typeof data.chat_id !== 'string') return;
  const title = data.chat_title ? `${data.sender} · ${data.chat_title}` : String(data.sender || 'B.Ca');
  event.waitUntil(self.registration.showNotification(title, {
    body: typeof data.body === 'string' ? data.body : '',
    tag: `chat:${data.chat_id}`,
    renotify: true,
    icon: '/app/icons/icon-192.png',
    data: { url: `/app/chats/${encodeURIComponent(data.chat_id)}`, chat_id: data.chat_id, index: data.index },
  }));
});

/* A click opens the chat: in a window of the app when one is open, else in a new one. */
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url || INDEX, self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const open = windows.find((client) => new URL(client.url).pathname.startsWith('/app/'));
    if (open) {
      await open.focus();
      return open.navigate(url);
    }
    return self.clients.openWindow(url);
  })());
});
