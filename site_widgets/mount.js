// The one module every page loads. It finds <div data-widget="NAME"> elements
// and mounts each with its widget module, imported only when a page has one.
// Heavy runtimes (Pyodide, onnxruntime-web) are loaded later by the widgets
// themselves, on first use.
//
// With Material's instant navigation, pages are swapped without a reload and
// inline scripts do not run again: `document$` emits on every page, so
// mounting happens there.

// Site root, derived from where this module is served (assets/widgets/mount.js),
// so the site works from any sub-path such as /<repo>/ on GitHub Pages.
export const SITE_ROOT = new URL("../../", import.meta.url);
export const WIDGETS_ROOT = new URL("./", import.meta.url);

// Keep the site readable offline once loaded (service worker at the site root, after load).
import { registerOffline } from "./offline/register.js";
registerOffline(SITE_ROOT);

const WIDGETS = {
  linfit: () => import("./linfit/linfit.js"),
  classifier: () => import("./classifier/classifier.js"),
  // figures that replay what training recorded (docs/assets/reports/<run>/)
  lrfind: () => import("./figures/lrfind.js"),
  onecycle: () => import("./figures/onecycle.js"),
  wrongruns: () => import("./figures/wrongruns.js"),
  confusion: () => import("./figures/confusion.js"),
  cleaner: () => import("./cleaner/cleaner.js"),
};

async function mountOne(el) {
  const name = el.dataset.widget;
  el.dataset.mounted = "loading";
  const load = WIDGETS[name];
  if (!load) {
    el.dataset.mounted = "error";
    el.textContent = `Unknown widget "${name}".`;
    return;
  }
  try {
    const mod = await load();
    await mod.mount(el, { siteRoot: SITE_ROOT, widgetsRoot: WIDGETS_ROOT });
    el.dataset.mounted = "yes";
  } catch (err) {
    el.dataset.mounted = "error";
    const p = document.createElement("p");
    p.className = "widget-error";
    p.setAttribute("role", "alert");
    p.textContent = `This widget could not start: ${err && err.message ? err.message : err}`;
    el.append(p);
    console.warn(err);
  }
}

function mountAll() {
  for (const el of document.querySelectorAll("[data-widget]:not([data-mounted])")) mountOne(el);
}

if (typeof window.document$ !== "undefined") {
  window.document$.subscribe(mountAll);
} else if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", mountAll);
} else {
  mountAll();
}
