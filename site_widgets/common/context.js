// The contract between mount.js and a widget module.
//
//   export async function mount(el, ctx) { ...; return () => { /* optional cleanup */ }; }
//
// A widget builds its DOM inside `el`. When Material's instant navigation swaps the
// page, mount.js unmounts every widget whose element left the document: it aborts
// ctx.signal, runs what was registered with ctx.onUnmount (newest first) and the
// function mount returned, if any. Whatever outlives the element (workers, timers,
// listeners on window or document, object URLs) must end there; ctx.worker, ctx.listen
// and ctx.onResize do that by themselves, and ctx.signal cancels what was given it.
//
// Paths: every asset path a widget is given (data- attributes included) is relative to
// the site root ("assets/models/bears.json"), so pages, modules and tests agree whatever
// sub-path the site is served from (/<repo>/ on GitHub Pages).

import { fetchBytes, fetchJSON, fetchText } from "./fetch.js";

/** What outlives a widget's element unless ended: workers, listeners, resize observers. */
function lifetimeHelpers({ signal, onUnmount, widgetsRoot }) {
  const workers = new Set(); // live workers of this widget
  onUnmount(() => {
    for (const w of [...workers]) w.terminate();
  });
  return {
    /** A module Worker for a site_widgets/ path, terminated on unmount (or before, by
     *  its own terminate()). After unmount it throws an AbortError: nothing new may start. */
    worker(path, options = {}) {
      if (signal.aborted) throw new DOMException("the widget was unmounted", "AbortError");
      const w = new Worker(new URL(path, widgetsRoot), { type: "module", ...options });
      const terminate = w.terminate.bind(w);
      workers.add(w);
      w.terminate = () => {
        workers.delete(w);
        terminate();
      };
      return w;
    },
    /** addEventListener, removed on unmount (for window, document, media queries...);
     *  returns a function that removes it sooner. */
    listen(target, type, fn, options) {
      target.addEventListener(type, fn, options);
      const off = () => target.removeEventListener(type, fn, options);
      onUnmount(off);
      return off;
    },
    /** fn(entry) whenever `target` changes size (a ResizeObserver, disconnected on unmount). */
    onResize(target, fn) {
      if (signal.aborted || typeof ResizeObserver === "undefined") return;
      const observer = new ResizeObserver((entries) => entries.forEach(fn));
      observer.observe(target);
      onUnmount(() => observer.disconnect());
    },
  };
}

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
    ...lifetimeHelpers({ signal, onUnmount, widgetsRoot }),
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
