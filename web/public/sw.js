// Tandem's service worker: keeps the app itself loadable when the server is unreachable, so a tab
// reloaded offline comes back with its unsynced edits (they live in IndexedDB, see web/src/sync/offlineCopy.ts).
// Hand-written because it is this small: the app shell (index.html, which serves every page) is
// fetched network-first and kept as a fallback; the hashed assets it references are cached when it
// is; nothing else (API, WebSocket, health, metrics) is ever touched.
// Plain JavaScript in web/public: Vite copies it as-is to /sw.js so its scope is the whole site.

const CACHE = 'tandem-app-v1';
const SHELL = '/index.html';
const PASS_THROUGH = ['/api/', '/collab/', '/live', '/healthz', '/metrics'];

/** Asset URLs (/assets/…) that an index.html references. */
function assetsOf(html) {
  return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]);
}

/** Fetches the shell and its assets into the cache, dropping assets it no longer references. */
async function refreshShell(response) {
  const cache = await caches.open(CACHE);
  const html = await response.clone().text();
  await cache.put(SHELL, response.clone());
  const wanted = new Set(assetsOf(html).map((path) => new URL(path, self.location.origin).href));
  await Promise.all(
    [...wanted].map(async (url) => {
      if (!(await cache.match(url))) await cache.add(url);
    }),
  );
  for (const request of await cache.keys()) {
    if (new URL(request.url).pathname.startsWith('/assets/') && !wanted.has(request.url)) await cache.delete(request);
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    fetch(SHELL, { cache: 'no-store' })
      .then((response) => (response.ok ? refreshShell(response) : undefined))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (PASS_THROUGH.some((prefix) => url.pathname.startsWith(prefix))) return;
  if (request.mode === 'navigate') {
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) event.waitUntil(refreshShell(response.clone()));
          return response;
        })
        .catch(async () => (await caches.match(SHELL)) ?? Response.error()),
    );
    return;
  }
  if (url.pathname.startsWith('/assets/')) {
    // Hashed names never change content: the cache first, the network for what it lacks.
    event.respondWith(caches.match(request).then((cached) => cached ?? fetch(request)));
  }
});
