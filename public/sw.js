// 跟单's service worker: the app shell comes from a cache named after the build, so the app
// starts with no network at all; /api/* and the customer pages (/track, /t/…) always go to the
// network and are never cached.
//
// scripts/build writes app/dist/sw.js from this file, filling in the build version (a hash of
// every precached file: a new build means a new cache) and the list of files to precache.
const VERSION = '__BUILD_VERSION__';
const PRECACHE = __PRECACHE__;
// The desk bundle (app/src/bundle.rs): its page, JS and wasm, kept once a desk screen was opened.
const DESK = __DESK__;
const PREFIX = 'gendan-shell-';
const CACHE = PREFIX + VERSION;
// Two pages: the field page answers every navigation but the desk screens' (the router takes over).
const SHELL = '/';
const DESK_PAGE = '/desk';
const isDeskScreen = (path) => path === DESK_PAGE || path.startsWith(DESK_PAGE + '/');

const fresh = (paths) => paths.map((path) => new Request(path, { cache: 'reload' }));

self.addEventListener('install', (event) => {
  // A new version waits until the person taps "刷新" (the page then sends SKIP_WAITING), so a
  // running page never has its files swapped under it. Someone who used the desk keeps it
  // offline across the update.
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(fresh(PRECACHE));
    if (await deskUsedBefore()) await cache.addAll(fresh(DESK));
  })());
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
  if (request.mode === 'navigate' && isDeskScreen(url.pathname)) {
    event.respondWith(deskPage());
    return;
  }
  if (request.mode === 'navigate') {
    event.respondWith(fromCache(SHELL).then((cached) => cached ?? fetch(request)));
    return;
  }
  if (DESK.includes(url.pathname)) {
    event.respondWith(deskFile(event, request));
    return;
  }
  event.respondWith(fromCache(request).then((cached) => cached ?? fetch(request)));
});

// A desk screen: from the cache once the desk was opened here, else from the network (its files
// are kept as they arrive, `deskFile`). Offline before the first opening, a page that says so
// instead of the browser's error.
async function deskPage() {
  const cached = await fromCache(DESK_PAGE);
  if (cached) return cached;
  try {
    return await fetch(DESK_PAGE);
  } catch {
    return new Response(DESK_OFFLINE, { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
  }
}

const DESK_OFFLINE = `<!doctype html><html lang="zh-CN"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>跟单</title>
<body style="font-family:system-ui,sans-serif;padding:24px;line-height:1.6">
<h1 style="font-size:1.25rem">管理页面需要联网打开一次</h1>
<p>团队成员、通知渠道等管理页面在本机第一次打开时需要网络，之后离线也能打开。</p>
<p lang="en">Admin screens need a network the first time they are opened on this device; after that they open offline too.</p>
<p><a href="/" style="display:inline-block;min-height:44px;line-height:44px">返回订单看板 · Back to the board</a></p>
</body></html>`;

// The desk's JS and wasm, kept as they arrive (one download). The page is kept last, once the
// files are all there: a cached desk page always finds its files offline.
async function deskFile(event, request) {
  const cached = await fromCache(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const copy = response.clone();
    event.waitUntil((async () => {
      const cache = await caches.open(CACHE);
      await cache.put(request.url, copy);
      const files = DESK.filter((path) => path !== DESK_PAGE);
      const kept = await Promise.all(files.map((path) => cache.match(path)));
      if (kept.every(Boolean)) await cache.add(new Request(DESK_PAGE, { cache: 'reload' }));
    })().catch(() => {}));
  }
  return response;
}

async function deskUsedBefore() {
  for (const name of await caches.keys()) {
    if (!name.startsWith(PREFIX) || name === CACHE) continue;
    if (await (await caches.open(name)).match(DESK_PAGE)) return true;
  }
  return false;
}

// A tapped reminder (app/src/reminders.rs shows them through this worker's registration) opens
// its page, /today, in the app: an open window of the app is focused and sent there, else a new
// one is opened. Only paths of this origin are followed.
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url ?? '/today', self.location.origin);
  if (target.origin !== self.location.origin) return;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
    if (open) {
      await open.focus();
      // navigate() works only for windows this worker controls; otherwise open a new one.
      const moved = await open.navigate(target.href).catch(() => null);
      if (moved) return;
    }
    await self.clients.openWindow(target.href);
  })());
});

async function fromCache(request) {
  const cache = await caches.open(CACHE);
  return (await cache.match(request, { ignoreSearch: false })) ?? undefined;
}
