// Service worker: the site keeps working offline once it has been loaded.
//
// The build prepends `const MANIFEST = {...}` (site_widgets/offline/mkdocs_offline.py):
// the files of this build with a content hash each, split into
//   precache - pages and small assets, fetched once the page has loaded (install);
//   runtime  - heavy runtimes and models, kept the first time a widget loads one.
//
// Strategies:
//   pages and small files (navigations, Material's instant-navigation fetches, CSS, JS,
//     JSON, images): the network first, as without a worker, so an online reader gets
//     what the server has now; the build's saved copy when offline or after
//     NETWORK_TIMEOUT_MS; a short offline page for a navigation neither can answer.
//     Network answers are not written into the saved copy: it stays one build's files,
//     consistent with each other, replaced as a whole when a rebuild's worker installs
//     (it takes over at once and deletes the old copy);
//   files whose name carries a content hash (Material's bundles): the saved copy;
//   runtime files: the kept copy if there is one, else the network, kept if its hash
//     matches the manifest (so a widget used once online works offline, and a model
//     always matches the sha256 its manifest states). Offline and not kept: the copy
//     the browser's HTTP cache may hold (served, never kept), else a network error the
//     widget reports as it does without a worker.
//
// Cross-origin isolation: pages and worker scripts it serves get
//   Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp
// (GitHub Pages cannot send them), so a page loaded under this worker is cross-origin isolated:
// SharedArrayBuffer exists and onnxruntime-web runs on several threads. Every file of the
// site is same-origin, which require-corp allows as is; a cross-origin image or frame without
// CORP/CORS would be blocked (the site has none). Only documents and worker scripts carry the
// policy, so only they are rewrapped; a page this worker does not control (the first page of
// a first visit, or where service workers are refused) is not isolated and uses one thread.
// isolate.js makes the next link after this worker activates a full load, served isolated.
//
// No clients.claim(): a page is controlled from its next load, never switched half
// way, so a page that started loading a runtime from the network finishes it there
// (and tools that watch a page's requests keep seeing them). A reader who goes
// offline on that first page still moves on: Material falls back to a full
// navigation when its instant-navigation fetch fails, and that one is served here.
/* global MANIFEST */

const SCOPE = new URL("./", self.location.href); // sw.js sits at the site root
// GitHub Pages serves every project of a user from one origin (user.github.io/a/, /b/),
// and they share Cache Storage: cache names carry the site's path.
const PREFIX = `offline:${SCOPE.pathname}:`;
const PRECACHE = `${PREFIX}precache:${MANIFEST.version}`;
const RUNTIME = `${PREFIX}runtime`;
const NETWORK_TIMEOUT_MS = 3000;
const PARALLEL = 2; // a classroom shares one connection: no burst

const precached = new Map(MANIFEST.precache);
const runtime = new Map(MANIFEST.runtime);
const pages = new Map(MANIFEST.pages);
const IMMUTABLE = /\.[0-9a-f]{8}\.min\.(js|css)$/; // Material's bundle.<hash>.min.js and friends
const ISOLATION = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

/** A request URL -> the manifest's key ("" home, "sgd/" a page, "assets/x.json"), or null if not this site. */
function sitePath(url) {
  const u = new URL(url);
  if (u.origin !== SCOPE.origin || !u.pathname.startsWith(SCOPE.pathname)) return null;
  const path = u.pathname.slice(SCOPE.pathname.length);
  return path === "index.html" || path.endsWith("/index.html") ? path.slice(0, -"index.html".length) : path;
}
const urlOf = (path) => new URL(path, SCOPE).href;
const runtimeKey = (path) => `${urlOf(path)}?rev=${runtime.get(path)}`;

async function revisionOf(buffer) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", buffer));
  return Array.from(digest.slice(0, 8), (x) => x.toString(16).padStart(2, "0")).join("");
}

/** A stand-alone copy of a response (no redirect flag, no transfer encoding) holding `body`. */
function stored(res, body) {
  const headers = new Headers(res.headers);
  headers.delete("content-encoding");
  headers.delete("content-length");
  return new Response(body, { status: res.status, statusText: res.statusText, headers });
}

/** Fetch a file of this build past the HTTP cache; reject unless its hash is the manifest's. */
async function fetchExact(path, expected) {
  const res = await fetch(urlOf(path), { cache: "no-cache" });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  const body = await res.arrayBuffer();
  const got = await revisionOf(body);
  if (got !== expected) throw new Error(`${path}: the server has another version (${got}, expected ${expected})`);
  return stored(res, body);
}

async function inParallel(items, limit, work) {
  const queue = items.slice();
  const worker = async () => {
    while (queue.length) await work(queue.shift());
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

// ---- install: the precache (what a page needs), then take over at once -----------------

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    if (!MANIFEST.disabled) {
      const cache = await caches.open(PRECACHE);
      // An install cut short (network lost) resumes where it stopped.
      const have = new Set((await cache.keys()).map((r) => sitePath(r.url)));
      const todo = MANIFEST.precache.filter(([path]) => !have.has(path));
      await inParallel(todo, PARALLEL, async ([path, rev]) => cache.put(urlOf(path), await fetchExact(path, rev)));
    }
    await self.skipWaiting();
  })());
});

// ---- activate: drop other builds' caches and runtime files whose revision changed ---------

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && ((name !== PRECACHE && name !== RUNTIME) || MANIFEST.disabled)) {
        await caches.delete(name);
      }
    }
    if (MANIFEST.disabled) {
      await self.registration.unregister();
      return;
    }
    const keep = new Set([...runtime.keys()].map(runtimeKey));
    const cache = await caches.open(RUNTIME);
    for (const req of await cache.keys()) if (!keep.has(req.url)) await cache.delete(req);
  })());
});

// ---- fetch -----------------------------------------------------------------------------

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (MANIFEST.disabled || req.method !== "GET") return;
  const path = sitePath(req.url);
  if (path === null) return; // not this site: as without a service worker
  let answer = null;
  if (precached.has(path) && IMMUTABLE.test(path)) answer = savedFirst(event, path);
  else if (req.mode === "navigate" || pages.has(path) || precached.has(path)) answer = networkFirst(event, path);
  else if (runtime.has(path)) answer = runtimeFile(event, path);
  // anything else is not part of this build: the network, as without a service worker
  if (answer) event.respondWith(carriesPolicy(req) ? answer.then(isolated) : answer);
});

/** Documents and worker scripts: what COOP/COEP apply to (a worker under an isolated page needs COEP too). */
function carriesPolicy(req) {
  return req.mode === "navigate" || req.destination === "worker" || req.destination === "sharedworker";
}

/** `res` with the isolation headers; redirects and opaque answers pass as they are. */
function isolated(res) {
  if (!res || res.type === "opaqueredirect" || res.type === "opaque" || res.status === 0) return res;
  const headers = new Headers(res.headers);
  headers.delete("content-encoding"); // the body is already decoded, as in stored()
  headers.delete("content-length");
  for (const [name, value] of Object.entries(ISOLATION)) headers.set(name, value);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

const saved = (path) => caches.match(urlOf(path), { cacheName: PRECACHE });

function timeout(ms) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), ms));
}

function networkFirst(event, path) {
  const network = fetch(event.request);
  network.catch(() => {}); // when the saved copy answers instead, there is nothing to report
  return (async () => {
    const copy = await saved(path);
    if (copy) {
      const usable = network.then((res) => (res.status >= 500 ? Promise.reject(new Error(`HTTP ${res.status}`)) : res));
      return Promise.race([usable, timeout(NETWORK_TIMEOUT_MS)]).catch(() => copy);
    }
    return network.catch((err) => {
      if (event.request.mode === "navigate") return offlinePage(path);
      throw err; // an instant-navigation fetch: Material falls back to a full navigation, answered above
    });
  })();
}

async function savedFirst(event, path) {
  return (await saved(path)) || fetch(event.request);
}

async function runtimeFile(event, path) {
  const cache = await caches.open(RUNTIME);
  const key = runtimeKey(path);
  const hit = await cache.match(key);
  if (hit) return hit;
  let res;
  try {
    res = await fetch(event.request);
  } catch (err) {
    // Offline: a page this worker did not control yet may have left a copy in the HTTP cache.
    const old = await fetch(event.request.url, { cache: "only-if-cached", mode: "same-origin" }).catch(() => null);
    if (old && old.ok) return old; // served, never kept: it may be an older build's file
    throw err;
  }
  if (res.status === 200 && res.type === "basic") {
    event.waitUntil(res.clone().arrayBuffer().then(async (body) => {
      if ((await revisionOf(body)) === runtime.get(path)) await cache.put(key, stored(res, body));
    }).catch(() => {}));
  }
  return res;
}

function offlinePage(path) {
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const links = [...pages].map(([p, title]) => `<li><a href="${esc(urlOf(p))}">${esc(title)}</a></li>`).join("");
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Offline</title><link rel="icon" href="data:,">
<style>:root{color-scheme:light dark;font:1.05rem/1.5 system-ui,sans-serif}body{max-width:40rem;margin:2rem auto;padding:0 1rem}
a{color:#a05a2c}@media (prefers-color-scheme:dark){a{color:#ffc24a}}a:focus-visible{outline:3px solid currentColor;outline-offset:2px}</style>
</head><body><main><h1>You are offline</h1>
<p>This address (<code>${esc(path || "/")}</code>) is not part of the copy of the site saved on this device,
and the network cannot be reached. Reconnect and reload, or open a page that is saved:</p>
<ul>${links}</ul></main></body></html>`;
  return new Response(html, { status: 503, statusText: "Offline", headers: { "Content-Type": "text/html; charset=utf-8" } });
}

// ---- status, for the page (register.js) and tests ---------------------------------------

self.addEventListener("message", (event) => {
  if (!event.data || event.data.type !== "offline-status" || !event.ports[0]) return;
  event.waitUntil((async () => {
    const cache = await caches.open(PRECACHE);
    const have = new Set((await cache.keys()).map((r) => sitePath(r.url)));
    const rt = await caches.open(RUNTIME);
    event.ports[0].postMessage({
      disabled: Boolean(MANIFEST.disabled),
      version: MANIFEST.version,
      cache: PRECACHE,
      expected: MANIFEST.precache.length,
      precached: MANIFEST.precache.filter(([p]) => have.has(p)).length,
      bytes: MANIFEST.precache_bytes || 0,
      runtime: (await rt.keys()).length,
    });
  })());
});
