// Small DOM helpers shared by every widget (no framework, no bundler). The fetch helpers
// and fmt live in DOM-free modules (fetch.js, format.js) and are re-exported here.

export { fetchBytes, fetchJSON, fetchOk, fetchText } from "./fetch.js";
export { fmt } from "./format.js";

/** h("button", {class: "x", onclick: f}, "text", child) -> element */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (v === true) node.setAttribute(k, "");
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** A status line with a loading spinner; `set(text, state)` where state is
 *  "idle" | "loading" | "ready" | "error". Screen readers hear changes. */
export function statusLine(className = "widget-status") {
  const node = h("p", { class: className, role: "status", "aria-live": "polite", dataset: { state: "idle" } });
  return {
    node,
    set(text, state = "idle") {
      node.dataset.state = state;
      node.textContent = text;
    },
  };
}

/** An error panel (hidden when empty) for messages the reader must see. */
export function errorBox(className = "widget-error") {
  const node = h("pre", { class: className, role: "alert", hidden: true });
  return {
    node,
    show(text) {
      node.textContent = text;
      node.hidden = false;
    },
    clear() {
      node.textContent = "";
      node.hidden = true;
    },
  };
}

/** Memoise an async loader so a runtime is fetched once per page session,
 *  but can be retried after a failure. */
export function once(load) {
  let promise = null;
  return () => {
    if (!promise) promise = load().catch((err) => { promise = null; throw err; });
    return promise;
  };
}

/** Whether the reader asked the system for reduced motion. */
export const reducedMotion = () => window.matchMedia?.("(prefers-reduced-motion: reduce)").matches;
