// 跟单's service worker: the app shell comes from a cache named after the build, so the app
// starts with no network at all; /api/* and the customer pages (/track, /t/…) always go to the
// network and are never cached.
//
// scripts/build writes app/dist/sw.js from this file, filling in the build version (a hash of
// every precached file: a new build means a new cache) and the list of files to precache.
const VERSION = '__BUILD_VERSION__';
const PRECACHE = __PRECACHE__;
const PREFIX = 'gendan-shell-';
const CACHE = PREFIX + VERSION;
// The app is one page: every navigation is answered with it (the router takes over).
const SHELL = '/';

self.addEventListener('install', (event) => {
  // A new version waits until the person taps "刷新" (the page then sends SKIP_WAITING), so a
  // running page never has its files swapped under it.
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(PRECACHE.map((path) => new Request(path, { cache: 'reload' })))),
  );
});

self.addEventListener('activate', (event) => {
  // Old shells are deleted only now, when this version takes over: until then a page of the
  // old version may still need them.
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith(PREFIX) && name !== CACHE).map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
  if (event.data && event.data.type === 'VERSION') event.ports[0]?.postMessage(VERSION);
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  // Writes and other origins: straight to the network, untouched.
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // The API is never answered from a cache: the app has IndexedDB for offline data.
  if (url.pathname.startsWith('/api/')) return;
  // The customer pages are the worker's, not the app's: a navigation there must reach the
  // worker (never the cached app shell), and their stylesheet is the worker's too.
  if (url.pathname === '/track' || url.pathname === '/track.css' || url.pathname.startsWith('/t/')) return;
  if (request.mode === 'navigate') {
    event.respondWith(fromCache(SHELL).then((cached) => cached ?? fetch(request)));
    return;
  }
  event.respondWith(fromCache(request).then((cached) => cached ?? fetch(request)));
});

async function fromCache(request) {
  const cache = await caches.open(CACHE);
  return (await cache.match(request, { ignoreSearch: false })) ?? undefined;
}
