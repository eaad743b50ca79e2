// The one module every page loads. It finds <div data-widget="NAME"> elements and
// mounts each with the module registry.json names for it, imported only when a page
// has one. Heavy runtimes (Pyodide, onnxruntime-web) are loaded later by the widgets
// themselves, on first use.
//
// With Material's instant navigation, pages are swapped without a reload and inline
// scripts do not run again: `document$` emits on every page, so mounting happens there,
// and so does unmounting: a widget whose element left the document is told to end its
// workers, timers and listeners (see common/context.js for the contract).
//
// el.dataset.mounted: loading | yes | error (tests and styles read it).

import { widgetContext } from "./common/context.js";
import { fetchJSON } from "./common/fetch.js";
import { registerOffline } from "./offline/register.js";

// Site root, derived from where this module is served (assets/widgets/mount.js),
// so the site works from any sub-path such as /<repo>/ on GitHub Pages.
export const SITE_ROOT = new URL("../../", import.meta.url);
export const WIDGETS_ROOT = new URL("./", import.meta.url);

// Keep the site readable offline once loaded (service worker at the site root, after load).
registerOffline(SITE_ROOT);

let registry = null;
const loadRegistry = () => {
  registry ??= fetchJSON(new URL("registry.json", WIDGETS_ROOT)).catch((err) => {
    registry = null; // a later page may retry
    throw err;
  });
  return registry;
};

/** element -> {unmount} for every widget mounted (or mounting) on the current page. */
const live = new Map();

async function mountOne(el) {
  const name = el.dataset.widget;
  el.dataset.mounted = "loading";
  const handle = widgetContext({ siteRoot: SITE_ROOT, widgetsRoot: WIDGETS_ROOT });
  live.set(el, handle);
  try {
    const spec = (await loadRegistry()).widgets[name];
    if (!spec) throw new Error(`unknown widget "${name}"`);
    for (const css of spec.styles || []) handle.ctx.addStyles(css);
    const mod = await import(new URL(spec.module, WIDGETS_ROOT).href);
    const cleanup = await mod.mount(el, handle.ctx);
    if (typeof cleanup === "function") handle.ctx.onUnmount(cleanup); // runs at once if already gone
    if (!handle.ctx.signal.aborted) el.dataset.mounted = "yes";
  } catch (err) {
    if (handle.ctx.signal.aborted) return; // the page moved on while it mounted
    el.dataset.mounted = "error";
    const p = document.createElement("p");
    p.className = "widget-error";
    p.setAttribute("role", "alert");
    p.textContent = `This widget could not start: ${err && err.message ? err.message : err}`;
    el.append(p);
    console.warn(err);
  }
}

/** End the widgets of the page that was swapped out. */
function unmountGone() {
  for (const [el, handle] of live) {
    if (!el.isConnected) {
      live.delete(el);
      handle.unmount();
    }
  }
}

function onPage() {
  unmountGone();
  for (const el of document.querySelectorAll("[data-widget]:not([data-mounted])")) mountOne(el);
}

if (typeof window.document$ !== "undefined") {
  window.document$.subscribe(onPage);
} else if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", onPage);
} else {
  onPage();
}
