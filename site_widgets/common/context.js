// The contract between mount.js and a widget module.
//
//   export async function mount(el, ctx) { ...; return () => { /* optional cleanup */ }; }
//
// A widget builds its DOM inside `el`. When Material's instant navigation swaps the
// page, mount.js unmounts every widget whose element left the document: it aborts
// ctx.signal, runs what was registered with ctx.onUnmount (newest first) and the
// function mount returned, if any. Whatever outlives the element (workers, timers,
// listeners on window or document, object URLs) must end there; ctx.worker and
// ctx.listen do that by themselves.
//
// Paths: every asset path a widget is given (data- attributes included) is relative to
// the site root ("assets/models/bears.json"), so pages, modules and tests agree whatever
// sub-path the site is served from (/<repo>/ on GitHub Pages).

import { fetchBytes, fetchJSON, fetchText } from "./fetch.js";

/**
 * @param {object} o
 * @param {URL} o.siteRoot     the site root
 * @param {URL} o.widgetsRoot  where site_widgets/ is served (assets/widgets/)
 */
export function widgetContext({ siteRoot, widgetsRoot }) {
  const controller = new AbortController();
  const cleanups = [];
  const { signal } = controller;
  const asset = (path) => new URL(path, siteRoot);
  const onUnmount = (fn) => {
    if (signal.aborted) fn();
    else cleanups.push(fn);
  };
  const ctx = {
    siteRoot,
    widgetsRoot,
    signal,
    /** URL of a site-root-relative path. */
    asset,
    /** URL of a file of site_widgets/ (a module, a stylesheet, a widget's Python). */
    widgetUrl: (path) => new URL(path, widgetsRoot),
    /** <link rel=stylesheet> for a site_widgets/ path, once per page. */
    addStyles(path) {
      const href = new URL(path, widgetsRoot).href;
      if (!document.querySelector(`link[rel="stylesheet"][href="${CSS.escape(href)}"]`)) {
        const link = document.createElement("link");
        link.rel = "stylesheet";
        link.href = href;
        document.head.append(link);
      }
    },
    /** Site-root paths, clear messages on failure, cancelled when the widget goes. */
    fetchJSON: (path) => fetchJSON(asset(path), { signal }),
    fetchText: (path) => fetchText(asset(path), { signal }),
    fetchBytes: (path) => fetchBytes(asset(path), { signal }),
    onUnmount,
    /** A module Worker for a site_widgets/ path, terminated on unmount. */
    worker(path, options = {}) {
      const w = new Worker(new URL(path, widgetsRoot), { type: "module", ...options });
      onUnmount(() => w.terminate());
      return w;
    },
    /** addEventListener, removed on unmount (for window, document, media queries...). */
    listen(target, type, fn, options) {
      target.addEventListener(type, fn, options);
      onUnmount(() => target.removeEventListener(type, fn, options));
    },
  };
  return {
    ctx,
    /** Run every cleanup once; errors are logged, never thrown (the next page must mount). */
    unmount() {
      if (signal.aborted) return;
      controller.abort();
      for (const fn of cleanups.splice(0).reverse()) {
        try {
          fn();
        } catch (err) {
          console.warn("widget cleanup failed", err);
        }
      }
    },
  };
}
