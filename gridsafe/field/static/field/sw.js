/* 网格员 PWA service worker. Served from /m/sw.js (scope /m/) by gridsafe.field.views.service_worker, which fills
   in VERSION (a hash of the shell files) and SHELL (their URLs).

   - App shell (the /m/ page, CSS, JS, icons, manifest): precached at install; static files cache-first, the page
     stale-while-revalidate (the page holds no personal data; the API decides who is logged in).
   - Sync bundle and 本周 (GET /api/v1/field/sync, /week): network first, the last good answer kept for offline.
   - Case photo thumbnails and watermarked copies: cache first, so 复查 shows before/after photos offline.
   - Everything else, and every write, goes to the network: the page's IndexedDB outbox owns retries.

   Cached answers and photos are kept per account (field-data-u<id>, field-media-u<id>): the page names the account
   the server confirmed in an X-GridSafe-Owner header (API answers) or a gs_owner parameter (photos, stripped before
   the request goes out). A request that names no account is never answered from, or stored in, a cache, so one
   worker's cached data is never served to the next on a shared phone. 退出登录 deletes the account's caches. */
const VERSION = "__VERSION__";
const SHELL = __SHELL_URLS__;
const SHELL_CACHE = "field-shell-" + VERSION;
const DATA_PREFIX = "field-data-u";
const MEDIA_PREFIX = "field-media-u";
const LEGACY_CACHES = ["field-data-v1", "field-media-v1"];  // shared by every account before: deleted
const MEDIA_MAX = 200;
const SCOPE = new URL(self.registration.scope).pathname;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    await Promise.all(SHELL.map(async (url) => {
      try {
        // redirect "manual": a logged-out fetch of /m/ redirects to /login/, which must never be cached as /m/.
        // "no-cache": revalidate what the page just loaded (a 304 costs a few bytes) instead of fetching it again.
        const response = await fetch(url, { credentials: "same-origin", cache: "no-cache", redirect: "manual" });
        if (response.ok && response.type === "basic" && !response.redirected) await cache.put(url, response);
      } catch (e) { /* offline during install: the next visit fills it */ }
    }));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => (n.startsWith("field-shell-") && n !== SHELL_CACHE) || LEGACY_CACHES.includes(n))
      .map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

function offlinePage() {
  return new Response(
    '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">' +
    '<title>离线</title><p style="font:16px sans-serif;padding:24px">当前离线，且本机尚未缓存网格员应用。请联网后打开一次。</p>',
    { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

function problem(detail) {
  return new Response(JSON.stringify({ type: "about:blank", title: "离线", status: 503, detail, code: "offline" }),
    { status: 503, headers: { "Content-Type": "application/problem+json" } });
}

async function shellPage(event) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(SCOPE, { ignoreSearch: true });
  const refresh = fetch(event.request, { redirect: "follow" }).then(async (response) => {
    if (response.ok && !response.redirected) await cache.put(SCOPE, response.clone());
    return response;
  });
  if (cached) {
    event.waitUntil(refresh.catch(() => null));
    return cached;
  }
  try { return await refresh; } catch (e) { return offlinePage(); }
}

async function cacheFirst(request, cacheName, limit, upstream) {
  const cache = await caches.open(cacheName);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(upstream || request);
  if (response.ok) {
    await cache.put(request, response.clone());
    if (limit) {
      const keys = await cache.keys();
      for (const key of keys.slice(0, Math.max(0, keys.length - limit))) await cache.delete(key);
    }
  }
  return response;
}

async function networkFirst(request, cacheName) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (e) {
    // ignoreVary: the answer varies by cookie and language, but this cache holds one account's answers only.
    const cached = await cache.match(request, { ignoreVary: true });
    return cached || problem("当前离线，且没有缓存的数据");
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === SCOPE) {
    event.respondWith(shellPage(event));
  } else if (SHELL.includes(url.pathname) && url.pathname !== SCOPE) {
    event.respondWith(cacheFirst(request, SHELL_CACHE));
  } else if (/^\/api\/v1\/field\/(sync|week)$/.test(url.pathname)) {
    const owner = ownerOf(request.headers.get("X-GridSafe-Owner"));
    if (owner) event.respondWith(networkFirst(request, DATA_PREFIX + owner));
  } else if (/^\/api\/v1\/(cases\/\d+\/attachments\/\d+\/thumbnail|field\/photos\/\d+\/watermarked)$/.test(url.pathname)) {
    const owner = ownerOf(url.searchParams.get("gs_owner"));
    if (!owner) return;
    const upstream = new URL(url);
    upstream.searchParams.delete("gs_owner");
    event.respondWith(cacheFirst(request, MEDIA_PREFIX + owner, MEDIA_MAX, new Request(upstream, { credentials: "same-origin" }))
      .catch(() => new Response("", { status: 504 })));
  }
});

function ownerOf(value) {
  return /^\d{1,12}$/.test(value || "") ? value : null;
}
