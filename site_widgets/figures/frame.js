// What the four figures share around their drawings: a loading line, an error panel
// with a Retry button, and a slider-like focusable plot. (Their stylesheet, figures.css,
// is listed in registry.json: mount.js adds it.)

import { s } from "../common/chart.js";
import { errorBox, h, statusLine } from "../common/ui.js";

/**
 * Empty `el` and give it: status (loading line), error (panel + Retry), body.
 * load(task) runs task(body) with the loading state shown; on failure the message
 * and a Retry button appear, the rest of the page is untouched.
 * The root's data-phase says loading | ready | error (for tests and styling).
 */
export function shell(el, className, loadingText) {
  el.classList.add("fig", className);
  const status = statusLine("fig-status widget-status");
  const error = errorBox("fig-error widget-error");
  const retry = h("button", { type: "button", class: "md-button fig-retry", hidden: true }, "Retry");
  const body = h("div", { class: "fig-body" });
  el.replaceChildren(status.node, error.node, retry, body);

  async function load(task) {
    el.dataset.phase = "loading";
    error.clear();
    retry.hidden = true;
    status.set(loadingText, "loading");
    try {
      await task(body);
      status.set("", "ready");
      el.dataset.phase = "ready";
      return true;
    } catch (err) {
      el.dataset.phase = "error";
      status.set("The recorded training data could not be shown.", "error");
      error.show(err && err.message ? err.message : String(err));
      retry.hidden = false;
      retry.onclick = () => load(task);
      return false;
    }
  }
  return { status, error, body, load };
}

/**
 * A focusable plot the arrow keys drive, announced as a slider whose value text is
 * the readout. The drawings inside are its picture; the figure's caption summarises them.
 */
export function plotHost(label, count) {
  return h("div", {
    class: "fig-plot", tabindex: "0", role: "slider", "aria-label": label,
    "aria-valuemin": "0", "aria-valuemax": String(count - 1), "aria-orientation": "horizontal",
  });
}

/** Update the plot's slider state and the visible readout together. */
export function showReadout(plot, readout, index, text, data = {}) {
  plot.setAttribute("aria-valuenow", String(index));
  plot.setAttribute("aria-valuetext", text);
  readout.textContent = text;
  readout.dataset.index = String(index);
  for (const [k, v] of Object.entries(data)) readout.dataset[k] = v === null || v === undefined ? "null" : String(v);
}

/** A legend: [{label, cls}] where cls styles a short sample line (or a dot when dot: true). */
export function legend(items) {
  return h("ul", { class: "fig-legend" }, items.map(({ label, cls, dot }) => h("li", {},
    s("svg", { width: 22, height: 10, "aria-hidden": "true" },
      dot ? s("circle", { class: cls, cx: 11, cy: 5, r: 3.5 }) : s("line", { class: cls, x1: 1, x2: 21, y1: 5, y2: 5 })),
    label)));
}
