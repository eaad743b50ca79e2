// Registers the site's service worker (sw.js at the site root, written at build time by
// site_widgets/offline/mkdocs_offline.py) once the page has loaded, so saving the site
// for offline reading never competes with the page itself.
//
// <html data-offline="..."> says where it stands (the tests wait on it):
//   saving       registering, or fetching the files to keep
//   ready        every page and small asset of this build is kept
//   partial      the worker runs, but not every file is kept (yet)
//   unavailable  no service worker here (file://, some private modes, old browsers)
//   failed       registration or install failed (e.g. the network dropped); the next load retries
// None of these is an error for the reader (the site works online as before), so the
// console gets information, never an error.

import { isolateOnNextPage } from "./isolate.js";

const STATUS_TIMEOUT_MS = 10000;
// The first seconds after load belong to the reader's first click (an instant navigation,
// a widget's runtime): saving the site waits, then runs when the page is idle.
const START_DELAY_MS = 3000;

/** @param {URL} siteRoot  the site's root (mount.js's SITE_ROOT); also the worker's scope */
export function registerOffline(siteRoot) {
  let container = null;
  try {
    container = location.protocol !== "file:" && window.isSecureContext ? navigator.serviceWorker : null;
  } catch {
    container = null; // sandboxed frames throw on access
  }
  if (!container) {
    report("unavailable", "Offline reading is not available here (no service worker); the site works online as usual.");
    return;
  }
  const go = () => start(container, siteRoot);
  const idle = () => ("requestIdleCallback" in window ? requestIdleCallback(go, { timeout: 2000 }) : go());
  const later = () => setTimeout(idle, START_DELAY_MS);
  if (document.readyState === "complete") later();
  else window.addEventListener("load", later, { once: true });
}

async function start(container, siteRoot) {
  mark("saving");
  try {
    const reg = await container.register(new URL("sw.js", siteRoot), { scope: siteRoot.href });
    const installing = Boolean(reg.installing || reg.waiting);
    const s = await status(await activated(reg));
    if (s.disabled) {
      report("unavailable", "Offline reading is off in this preview (mkdocs serve): pages always come from the server.");
      return;
    }
    mark(s.precached === s.expected ? "ready" : "partial");
    isolateOnNextPage(siteRoot); // the worker now serves the site's pages: the next one comes isolated
    if (installing) {
      console.info(`Saved for offline reading: ${s.precached} of ${s.expected} files (${Math.round(s.bytes / 1000)} KB). ` +
        "Runtimes and models are kept the first time a widget loads them.");
    }
  } catch (err) {
    report("failed", `Offline reading is not available: ${err && err.message ? err.message : err}. ` +
      "The site works online as usual; the next page load tries again.");
  }
}

/** The newest worker of `reg` once activated; an older active one if the newest failed to install. */
function activated(reg) {
  const worker = reg.installing || reg.waiting || reg.active;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (worker.state === "activated") resolve(worker);
      else if (worker.state === "redundant") {
        if (reg.active && reg.active.state === "activated") resolve(reg.active);
        else reject(new Error("the service worker could not save the site (a file could not be fetched)"));
      }
    };
    worker.addEventListener("statechange", check);
    check();
  });
}

/** Ask the worker how much of the site it keeps: {version, precached, expected, bytes, runtime}. */
function status(worker) {
  return new Promise((resolve, reject) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => reject(new Error("the service worker did not answer")), STATUS_TIMEOUT_MS);
    channel.port1.onmessage = ({ data }) => {
      clearTimeout(timer);
      resolve(data);
    };
    worker.postMessage({ type: "offline-status" }, [channel.port2]);
  });
}

function mark(state) {
  document.documentElement.dataset.offline = state;
}

function report(state, message) {
  mark(state);
  console.info(message);
}
