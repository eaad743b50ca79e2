// Steps 7 and 8 (draws only). Cleaning: the cleaning page's photo grid (cleaner/grid.js) on
// the reader's photos, ranked by out-of-fold predictions; retraining in one click and the
// before/after. Keeping: the downloads the Python pipeline reads, "use my model" on the
// production page, and why unfreezing the body stays in Python.

import { h } from "../common/ui.js";
import { Grid } from "../cleaner/grid.js";
import { FILTERS } from "../cleaner/state.js";
import * as cleanSay from "../cleaner/text.js";
import { SETTINGS } from "./settings.js";
import * as say from "./text.js";

export function buildClean(on) {
  const v = {
    on,
    filter: h("fieldset", { class: "cln-filter" }, h("legend", {}, "Show")),
    filterLabels: {},
    progress: h("p", { class: "cln-progress", "aria-live": "polite" }),
    keys: h("p", { class: "cln-keys" }),
    gridHost: h("div", { class: "cln" }),
    retrain: h("button", { type: "button", class: "md-button md-button--primary", onclick: on.retrain }, "Retrain with these marks"),
    result: h("p", { class: "trn-headline", "aria-live": "polite" }),
    status: h("p", { class: "trn-note", "aria-live": "polite" }),
    grid: null, cleaner: null,
  };
  const name = `trn-filter-${Math.random().toString(36).slice(2)}`;
  for (const value of FILTERS) {
    const radio = h("input", { type: "radio", name, value, checked: value === "all" });
    radio.addEventListener("change", () => { v.cleaner?.state.setFilter(value); v.grid?.render(); drawProgress(v); });
    v.filterLabels[value] = h("span", {}, value);
    v.filter.append(h("label", {}, radio, " ", v.filterLabels[value]));
  }
  v.node = h("section", { class: "trn-step", hidden: true, dataset: { step: "clean" } }, h("h3", {}, "7. Clean"),
    h("p", { class: "trn-note" }, `Every photo, judged by a head that never saw it (${SETTINGS.oof.k} heads, each trained ` +
      "without a fifth of the photos), most suspect first: a wrong label, a photo of something else, or a hard case. " +
      "Keep, delete or relabel; the marks are saved in this browser."),
    v.status, h("div", { class: "cln" }, h("div", { class: "cln-toolbar" }, v.filter, v.progress), v.keys), v.gridHost,
    h("div", { class: "trn-row" }, v.retrain), v.result);
  return v;
}

/** A new grid when the ranking changes (after a training); the marks come back with it. */
function useCleaner(v, cleaner) {
  v.grid?.releaseUrls();
  v.cleaner = cleaner;
  const state = cleaner.state;
  v.grid = new Grid({
    state,
    onMark: (item, action, label) => { state.setMark(item, action, label); v.grid.update(item); drawProgress(v); },
    onPage: (page) => state.goPage(page) && (v.grid.render(), true),
    photoNote: () => "Open the folder again to see this photo.",
  });
  v.gridHost.replaceChildren(v.grid.node);
  v.keys.textContent = cleanSay.keysHelp(state.list.classes);
  v.grid.render();
  drawProgress(v);
}

function drawProgress(v) {
  const st = v.cleaner.state;
  const t = st.tally();
  v.node.dataset.marked = String(t.marked);
  v.progress.textContent = cleanSay.progress(t);
  const labels = cleanSay.filterLabels(t, st.wrongCount());
  for (const [value, span] of Object.entries(v.filterLabels)) span.textContent = labels[value].replace("Wrong predictions", "Predicted otherwise");
}

export function drawClean(v, s) {
  v.node.hidden = !s.fit?.history;
  if (v.node.hidden) return;
  v.status.textContent = s.busy === "ranking" ? "Ranking every photo with out-of-fold heads…" : s.cleaner ? "" : "";
  if (s.cleaner && s.cleaner !== v.cleaner) useCleaner(v, s.cleaner);
  v.retrain.disabled = Boolean(s.busy) || !s.cleaner;
  v.node.dataset.ranked = String(Boolean(s.cleaner));
  v.result.textContent = s.before && s.after ? say.beforeAfter(s.before, s.after) : s.busy === "retraining" ? "Retraining…" : "";
  if (s.after) v.node.dataset.after = String(s.after.interp.error_rate);
}

export function buildUse(on) {
  const v = {
    head: h("button", { type: "button", class: "md-button md-button--primary", onclick: on.downloadHead }, "Download head.json"),
    run: h("button", { type: "button", class: "md-button", onclick: on.downloadRun }, "Download run.json"),
    csv: h("button", { type: "button", class: "md-button", onclick: on.downloadCsv }, "Download cleaned.csv"),
    link: h("a", { class: "md-button", href: on.productionUrl }, "Use my model in the classifier"),
    text: h("p", { class: "trn-note", "aria-live": "polite" }),
    howto: h("pre", {}, h("code")),
  };
  v.node = h("section", { class: "trn-step", hidden: true, dataset: { step: "use" } }, h("h3", {}, "8. Use it"),
    h("p", { class: "trn-note" }, "Your head is kept in this browser: the classifier on the production page can use it " +
      "instead of its own (same body, your labels). The files below take it to the Python pipeline."),
    h("div", { class: "trn-row" }, v.link, v.head, v.run, v.csv), v.text, v.howto);
  return v;
}

export function drawUse(v, s) {
  v.node.hidden = !s.headJson;
  if (v.node.hidden) return;
  v.node.dataset.headSaved = String(s.headSaved === "yes");
  v.text.textContent = s.headSaved === "yes" ? "Saved for the classifier." : `Not saved for the classifier: ${s.headSaved}. Download head.json to keep it.`;
  v.howto.firstChild.textContent = "# in the repository, with the files where your browser saved them:\n" +
    "python -m training.bears train --data ~/Downloads/cleaned.csv --csv_root /path/to/your/photos --out runs/mine\n" +
    ">>> from training.bears.head_file import load_head\n>>> head = load_head(\"head.json\")   # labels, nn.Linear, the body it reads";
}
