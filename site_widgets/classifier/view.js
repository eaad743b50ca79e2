// The classifier widget's DOM: built once, then redrawn from the state (state.js) by
// render(). It decides nothing; the sentences about the model's answer come from
// decision.js, the error messages from state.js.
//
// For tests and curious readers, the root carries data-phase (idle|loading|working|done|
// error), data-runs (files handled), data-top, data-answer, data-variant, data-threads,
// data-model-ms; the result carries data-top, data-answer (a label, "none" or "unsure"),
// data-uncertain, data-infer-ms, data-total-ms, data-runs-before (the model's runs before
// this one, warm-ups included), data-warm-ms (the warm-up runs' times, JSON) and per label
// data-label / data-prob.

import { errorBox, fmt, h, statusLine } from "../common/ui.js";
import { pct } from "./decision.js";
import { rgbToRGBA, sizeNote } from "./preprocess.js";

const DISPLAY = 360; // the original is drawn at most this many CSS pixels wide or high

/** Build the widget inside `el`; returns its parts and render(state). */
export function createView(el) {
  el.classList.add("clf");
  const v = {
    el,
    status: statusLine("clf-status widget-status"),
    error: errorBox("clf-error widget-error"),
    fileInput: h("input", { type: "file", accept: "image/*,.heic,.heif", multiple: true, class: "clf-file", "aria-label": "photos to classify" }),
    cameraButton: h("button", { type: "button", class: "md-button", hidden: true }, "Use the camera"),
    loadButton: h("button", { type: "button", class: "md-button" }, "Load the model now"),
    video: h("video", { playsinline: true, muted: true, class: "clf-video" }),
    snapButton: h("button", { type: "button", class: "md-button md-button--primary" }, "Take the photo"),
    closeButton: h("button", { type: "button", class: "md-button" }, "Close the camera"),
    original: h("canvas", { class: "clf-original", "aria-label": "your image, with the part the model sees outlined" }),
    crop: h("canvas", { class: "clf-crop", "aria-label": "the crop the model sees" }),
    originalCaption: h("figcaption"),
    cropCaption: h("figcaption"),
    verdict: h("p", { class: "clf-verdict", "aria-live": "polite" }),
    meaning: h("p", { class: "clf-meaning", hidden: true }),
    bars: h("ul", { class: "clf-bars" }),
    timing: h("p", { class: "clf-timing" }),
    notes: h("ul", { class: "clf-notes" }),
    notice: h("p", { class: "clf-notice", hidden: true }),
    list: h("ol", { class: "clf-list", hidden: true, "aria-label": "photos given, with the model's answer" }),
    modelInfo: h("p", { class: "clf-model" }),
    mineInput: h("input", { type: "checkbox", class: "clf-mine-input" }),
    mineText: h("span"),
    onSelect: () => {},
  };
  v.mine = h("label", { class: "clf-mine", hidden: true }, v.mineInput, " ", v.mineText);
  v.pickButton = h("button", { type: "button", class: "md-button md-button--primary", onclick: () => v.fileInput.click() },
    "Choose photos");
  v.drop = h("div", { class: "clf-drop", tabindex: "0", role: "group", "aria-label": "Give the classifier a photo" },
    h("p", {}, "Drop photos here, paste one (Ctrl+V / ⌘V), or"),
    h("div", { class: "clf-buttons" }, v.pickButton, v.cameraButton, v.loadButton),
    v.mine, v.fileInput);
  v.camera = h("div", { class: "clf-camera", hidden: true }, v.video, h("div", { class: "clf-buttons" }, v.snapButton, v.closeButton));
  v.result = h("div", { class: "clf-result", hidden: true },
    h("div", { class: "clf-figures" },
      h("figure", {}, v.original, v.originalCaption),
      h("figure", {}, v.crop, v.cropCaption)),
    h("div", { class: "clf-output" }, v.verdict, v.meaning, v.bars, v.timing, v.notes));
  v.list.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-index]");
    if (button) v.onSelect(Number(button.dataset.index));
  });
  el.replaceChildren(v.drop, v.camera, v.status.node, v.notice, v.list, v.error.node, v.result, v.modelInfo);
  v.render = (s) => render(v, s);
  return v;
}

function render(v, s) {
  const { el } = v;
  el.dataset.phase = s.phase;
  el.dataset.runs = String(s.runs);
  el.dataset.mine = String(s.mine);
  renderMine(v, s);
  v.status.set(s.status.text, s.status.kind);
  v.notice.textContent = s.notice;
  v.notice.hidden = !s.notice;
  renderModel(v, s.model);
  renderList(v, s);
  const item = s.items[s.selected];
  const error = (item && item.status === "error" && item.error) || s.error;
  if (error) v.error.show(error);
  else v.error.clear();
  if (item && item.status === "done") renderResult(v, item.result);
  else {
    v.result.hidden = true;
    delete el.dataset.top;
    delete el.dataset.answer;
  }
}

/** The "use my model" switch, shown when the reader has trained a head on the "Train your own" page. */
function renderMine(v, { myHead, mine }) {
  v.mine.hidden = !myHead;
  v.mineInput.checked = mine;
  if (!myHead) return;
  const acc = myHead.metrics?.accuracy;
  v.mineText.textContent = `Use my model: your head (${myHead.labels.join(", ")}) on this network's body` +
    (Number.isFinite(acc) ? `, ${(100 * acc).toFixed(1)}% right on your validation photos` : "") + ".";
}

function renderModel(v, info) {
  v.loadButton.hidden = Boolean(info);
  if (!info || v.el.dataset.modelMs) return;
  const { entry, manifest, threads, timings, variant } = info;
  const acc = entry.valid_accuracy ?? manifest.metrics?.valid_accuracy;
  v.modelInfo.textContent =
    `Model: ${manifest.arch || "CNN"} (${variant}), ${(entry.bytes / 1e6).toFixed(1)} MB, SHA-256 ${entry.sha256.slice(0, 12)}… verified` +
    (Number.isFinite(acc) ? `; validation accuracy ${(100 * acc).toFixed(1)}%. ` : ". ") +
    `Runs in a background thread of this page with WebAssembly on ${threadWord(threads)}; ready in ${Math.round(timings.total_ms)} ms.` +
    moreThreadsNote(threads);
  Object.assign(v.el.dataset, { variant, threads: String(threads), sessionMs: timings.session_create_ms.toFixed(1),
                                modelMs: timings.total_ms.toFixed(1), modelTimings: JSON.stringify(timings) });
}

const threadWord = (n) => `${n} thread${n > 1 ? "s" : ""}`;

/** On a first visit the site's service worker does not control the page yet, so the page is
 *  not cross-origin isolated and gets one thread; from the next load on it can use more. */
function moreThreadsNote(threads) {
  const cores = Math.min(4, navigator.hardwareConcurrency || 1);
  const offline = document.documentElement.dataset.offline;
  if (threads > 1 || cores < 2 || self.crossOriginIsolated || !("serviceWorker" in navigator) ||
      navigator.serviceWorker.controller || ["unavailable", "failed"].includes(offline)) return "";
  return ` After a reload (once the site's offline copy is set up) it can use ${cores} threads.`;
}

function renderList(v, s) {
  v.list.hidden = s.items.length < 2;
  if (v.list.hidden) return v.list.replaceChildren();
  v.list.replaceChildren(...s.items.map((it, i) => {
    const what = it.status === "done" ? it.result.decision.short
      : it.status === "error" ? "not classified" : it.status === "working" ? "…" : "waiting";
    return h("li", { dataset: { status: it.status } },
      h("button", { type: "button", class: "clf-item", "aria-pressed": String(i === s.selected), dataset: { index: String(i) } },
        h("span", { class: "clf-item-name" }, it.name), " ", h("span", { class: "clf-item-answer" }, what)));
  }));
}

function renderResult(v, r) {
  const { decision } = r;
  if (v.shown !== r) { // render() runs on every change; the pictures only when another result is shown
    drawOriginal(v, r);
    drawCrop(v, r);
    v.shown = r;
  }
  v.el.dataset.top = decision.top.label;
  v.el.dataset.answer = decision.answer;
  Object.assign(v.result.dataset, { top: decision.top.label, answer: decision.answer, uncertain: String(decision.uncertain),
                                    inferMs: r.inferMs.toFixed(3), totalMs: r.totalMs.toFixed(1),
                                    runsBefore: String(r.runsBefore ?? ""), warmMs: JSON.stringify(r.warmMs || []) });
  v.verdict.className = `clf-verdict${decision.uncertain ? " clf-uncertain" : ""}`;
  v.verdict.textContent = decision.verdict;
  v.meaning.textContent = decision.meaning;
  v.meaning.hidden = !decision.meaning;
  v.bars.replaceChildren(...decision.ranked.map(({ label, p }) =>
    h("li", { dataset: { label, prob: String(p) }, class: label === decision.top.label ? "clf-top" : "" },
      h("span", { class: "clf-label" }, label),
      h("span", { class: "clf-bar", role: "meter", "aria-valuemin": "0", "aria-valuemax": "1", "aria-valuenow": p.toFixed(4), "aria-label": label },
        h("span", { class: "clf-fill", style: `width: ${(100 * p).toFixed(2)}%` })),
      h("span", { class: "clf-value" }, pct(p)))));
  const { variant, threads } = r.model;
  v.result.dataset.mine = String(Boolean(r.mine));
  v.timing.textContent = `${r.mine ? "Your head on the site's body. " : ""}Inference ${fmt(r.inferMs, 1)} ms (${variant} model, WebAssembly, ${threadWord(threads)}, in a background thread); ` +
    `preprocessing ${fmt(r.preMs, 1)} ms; ${fmt(r.totalMs, 0)} ms from your ${r.via} to this result. Nothing was uploaded.`;
  const notes = [...r.notes, sizeNote(r.width, r.height, { crop: r.crop })].filter(Boolean);
  v.notes.replaceChildren(...notes.map((n) => h("li", {}, n)));
  v.result.hidden = false;
}

/** The original, scaled for display, with the model's crop outlined. */
function drawOriginal(v, { width, height, display, resized, box, crop }) {
  const scale = Math.min(1, DISPLAY / width, DISPLAY / height);
  const c = v.original;
  c.width = Math.max(1, Math.round(width * scale));
  c.height = Math.max(1, Math.round(height * scale));
  const g = c.getContext("2d");
  g.imageSmoothingQuality = "high";
  g.fillStyle = "#fff";
  g.fillRect(0, 0, c.width, c.height);
  if (display) g.drawImage(display, 0, 0, c.width, c.height);
  const k = (width / resized.width) * scale; // resized pixels -> display pixels
  g.lineWidth = 2;
  g.strokeStyle = "#ffb300";
  g.strokeRect(box.left * k + 1, box.top * k + 1, crop * k - 2, crop * k - 2);
  v.originalCaption.textContent = `Your image, ${width}×${height}. The box is the part the model sees.`;
}

/** The crop, pixel for pixel. */
function drawCrop(v, { rgb, crop, resize }) {
  v.crop.width = crop;
  v.crop.height = crop;
  v.crop.getContext("2d").putImageData(new ImageData(rgbToRGBA(rgb), crop, crop), 0, 0);
  v.cropCaption.textContent = `What the model sees: shorter side resized to ${resize} px, center ${crop}×${crop}.`;
}
