// Steps 2 and 3 (draws only): the split, and the activations' progress with its Cancel.

import { h } from "../common/ui.js";
import { SETTINGS } from "./settings.js";
import * as say from "./text.js";

export function buildSplit() {
  const v = { table: h("table", { class: "trn-table" }), note: h("p", { class: "trn-note" }) };
  v.node = h("section", { class: "trn-step", hidden: true, dataset: { step: "split" } },
    h("h3", {}, "2. Split"), v.note, v.table);
  return v;
}

export function drawSplit(v, s) {
  const sp = s.split;
  v.node.hidden = !sp;
  if (!sp) return;
  const { validPct, seed } = SETTINGS.split;
  const count = (idx, lab) => idx.filter((i) => s.photos[i].label === lab).length;
  v.note.textContent = `${Math.round(100 * validPct)}% of each label held out for validation, chosen with seed ${seed}, ` +
    `exactly as the Python pipeline splits the same folder: ${sp.train.length} photos to train on, ${sp.valid.length} to check on.`;
  v.node.dataset.train = String(sp.train.length);
  v.node.dataset.valid = String(sp.valid.length);
  v.table.replaceChildren(h("caption", {}, "Photos per label in each set"),
    h("thead", {}, h("tr", {}, ["label", "training", "validation"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, sp.classes.map((lab) => h("tr", {}, h("th", { scope: "row" }, lab),
      h("td", {}, String(count(sp.train, lab))), h("td", {}, String(count(sp.valid, lab)))))));
}

export function buildExtract(on) {
  const v = {
    bar: h("progress", { class: "trn-progress", max: 1, value: 0, "aria-label": "activations computed" }),
    text: h("p", { class: "trn-note", "aria-live": "polite" }),
    cancel: h("button", { type: "button", class: "md-button", onclick: on.cancel, hidden: true }, "Cancel"),
    retry: h("button", { type: "button", class: "md-button", onclick: on.retry, hidden: true }, "Compute the rest"),
    storage: h("p", { class: "trn-note trn-warning", hidden: true }),
  };
  v.node = h("section", { class: "trn-step", hidden: true, dataset: { step: "activations" } },
    h("h3", {}, "3. Activations"),
    h("p", { class: "trn-note" }, "The network's body runs once on every photo, in a background thread of this page, " +
      "and its output is kept: the head trains on these numbers, so the body never runs again."),
    v.bar, h("div", { class: "trn-row" }, v.cancel, v.retry), v.text, v.storage);
  return v;
}

export function drawExtract(v, s) {
  v.node.hidden = !s.split && s.busy !== "extracting";
  const busy = s.busy === "extracting";
  const p = s.progress;
  v.cancel.hidden = !busy;
  const done = s.extracted && s.photos.every((ph) => s.features.has(ph.sha256));
  v.retry.hidden = busy || done || !s.split || !s.body;
  if (busy && p && p.total) {
    v.bar.max = p.total;
    v.bar.value = p.done;
    v.text.textContent = say.extracting(p);
  } else if (s.extracted) {
    v.bar.max = 1;
    v.bar.value = done ? 1 : 0;
    v.text.textContent = say.extracted(s.extracted, s.body);
  }
  v.node.dataset.done = String(Boolean(done));
  if (s.extracted) {
    Object.assign(v.node.dataset, { cached: String(s.extracted.cached), computed: String(s.extracted.computed),
      ms: String(Math.round(s.extracted.ms ?? 0)), threads: String(s.body?.threads ?? 1),
      profile: JSON.stringify(s.extracted.profile ?? null) }); // where the time went (extract.js), for the curious and the bench
  }
  const st = say.storage(s.storage);
  v.storage.hidden = !st;
  v.storage.textContent = st;
}
