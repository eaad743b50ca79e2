// Threads from a first visit's second page on.
//
// The service worker (sw.js) gives the pages it serves COOP/COEP headers, which make a page
// cross-origin isolated: onnxruntime-web then runs on several threads (onnx/manifest.js's
// threadsFor). But the page a reader first opens loaded before the worker existed, and Material's
// instant navigation swaps every later page into that same document, so without this a first
// visit would stay on one thread however many pages the reader opens.
//
// So once the worker is active (register.js calls this), the reader's next click on a link to
// another page of the site is left to the browser: a full page load, served by the worker,
// isolated. Instant navigation takes over again from that page. Tried once per browser tab
// (sessionStorage): where the headers do not isolate a page, nothing keeps reloading.

const TRIED = "lesson2:isolation-tried";

/** On the next plain click on a link to another page under `siteRoot`, a full navigation. */
export function isolateOnNextPage(siteRoot, scope = globalThis) {
  if (scope.crossOriginIsolated || tried(scope)) return;
  const onClick = (ev) => {
    if (!fullNavigation(ev, siteRoot, scope.location)) return;
    scope.removeEventListener("click", onClick, true);
    try {
      scope.sessionStorage.setItem(TRIED, "1");
    } catch {
      return; // no storage: no guard against a loop, so no upgrade
    }
    ev.stopImmediatePropagation(); // Material never sees the click; the browser follows the link
  };
  scope.addEventListener("click", onClick, true); // capture, on the window: before Material's handler
}

function tried(scope) {
  try {
    return scope.sessionStorage.getItem(TRIED) !== null;
  } catch {
    return true; // storage refused (some private modes): leave navigation as it is
  }
}

/** Whether `ev` is a plain click on a link the browser would open in this tab at another page of the site
 *  (the site's pages are folders, sgd/, or .html files). */
export function fullNavigation(ev, siteRoot, here) {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return false;
  const a = typeof ev.target?.closest === "function" ? ev.target.closest("a[href]") : null;
  if (!a || a.hasAttribute("download") || (a.target && a.target !== "_self")) return false;
  const url = new URL(a.href, here.href);
  if (url.origin !== siteRoot.origin || !url.pathname.startsWith(siteRoot.pathname)) return false;
  if (!/(\/|\.html)$/.test(url.pathname)) return false; // a file (a model, a report), not a page
  return url.pathname !== here.pathname || url.search !== here.search; // same page: a jump to a section
}
