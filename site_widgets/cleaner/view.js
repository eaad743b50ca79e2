// The cleaner's page parts (everything but the grid): the open step, the toolbar, the
// export step. build*() make the elements once; draw*() put a CleanerState's words on them.
// Nothing here decides anything: the state does, text.js words it.

import { errorBox, h, statusLine } from "../common/ui.js";
import { FILTERS, isFlagged } from "./state.js";
import * as say from "./text.js";

/** The open step: buttons, hidden inputs, the lines about the list and the photos. */
function buildOpen(on) {
  const jsonInput = h("input", { type: "file", accept: ".json,application/json", class: "cln-file cln-json", "aria-label": "list of photos (JSON)" });
  const folderInput = h("input", { type: "file", webkitdirectory: true, directory: true, multiple: true, class: "cln-file cln-folder", "aria-label": "photo folder" });
  const photosInput = h("input", { type: "file", multiple: true, accept: "image/*,.json", class: "cln-file cln-photos", "aria-label": "photos" });
  const listInfo = h("p", { class: "cln-listinfo" }, "No list open yet.");
  const listWarn = h("p", { class: "cln-listwarn", role: "note", hidden: true });
  const photoInfo = h("p", { class: "cln-report", "aria-live": "polite" }, "No photos open yet.");
  const drop = h("div", { class: "cln-open", role: "group", "aria-label": "Open the list and the photos" },
    h("div", { class: "cln-step" },
      h("p", { class: "cln-steptitle" }, "1. The list training wrote (suspects.json or top_losses.json)"),
      h("div", { class: "cln-buttons" },
        h("button", { type: "button", class: "md-button md-button--primary", onclick: () => jsonInput.click() }, "Open the list"),
        h("button", { type: "button", class: "md-button cln-example", onclick: on.example }, "Try this site's suspect list")),
      listInfo, listWarn),
    h("div", { class: "cln-step" },
      h("p", { class: "cln-steptitle" }, "2. Your photos (the data folder)"),
      h("div", { class: "cln-buttons" },
        h("button", { type: "button", class: "md-button md-button--primary", onclick: () => folderInput.click() }, "Open the photo folder"),
        h("button", { type: "button", class: "md-button", onclick: () => photosInput.click() }, "Choose photos")),
      photoInfo),
    h("p", { class: "cln-drophint" }, "Or drop the folder, photos or the JSON here. Nothing leaves this browser: photos are only shown, never uploaded."),
    jsonInput, folderInput, photosInput);
  return { drop, jsonInput, folderInput, photosInput, listInfo, listWarn, photoInfo };
}

/** The review step around the grid: filter, progress, the save note, the keys. */
function buildReview(grid, on) {
  const filterBox = h("fieldset", { class: "cln-filter" }, h("legend", {}, "Show"));
  const filterLabels = {};
  const name = `cln-filter-${Math.random().toString(36).slice(2)}`;
  for (const value of FILTERS) {
    const radio = h("input", { type: "radio", name, value, checked: value === "all" });
    radio.addEventListener("change", () => on.filter(value));
    filterLabels[value] = h("span", {}, value);
    filterBox.append(h("label", {}, radio, " ", filterLabels[value]));
  }
  const progress = h("p", { class: "cln-progress" });
  const saveNote = h("p", { class: "cln-savenote" });
  const forget = h("button", { type: "button", class: "cln-btn cln-forget", hidden: true, onclick: on.forget }, "Forget the saved marks");
  const keysHelp = h("p", { class: "cln-keys" });
  const review = h("div", { class: "cln-review", hidden: true },
    h("div", { class: "cln-toolbar" }, filterBox, progress), h("div", { class: "cln-save" }, saveNote, forget), keysHelp, grid.node);
  return { review, filterLabels, progress, saveNote, forget, keysHelp };
}

/** The export step: the two downloads, what they held, how to use them. */
function buildExport(on) {
  const exportNote = h("p", { class: "cln-exportnote", role: "status" });
  const howto = h("div", { class: "cln-howto" });
  const exportBox = h("div", { class: "cln-export", hidden: true },
    h("p", { class: "cln-steptitle" }, "3. Take the result back to training"),
    h("div", { class: "cln-buttons" },
      h("button", { type: "button", class: "md-button md-button--primary", onclick: on.cleaned }, "Download cleaned.csv"),
      h("button", { type: "button", class: "md-button", onclick: on.decisions }, "Download decisions.csv")),
    exportNote, howto);
  return { exportBox, exportNote, howto };
}

/** Every part of the widget in `el`; `on`: {example, filter(value), forget, cleaned, decisions}. */
export function buildView(el, grid, on) {
  const status = statusLine("cln-status widget-status");
  const error = errorBox("cln-error widget-error");
  const ui = { el, grid, status, error, ...buildOpen(on), ...buildReview(grid, on), ...buildExport(on) };
  el.classList.add("cln");
  el.replaceChildren(ui.drop, status.node, error.node, ui.review, ui.exportBox);
  return ui;
}

/** The root's data- attributes, the progress line and the filter counts. */
export function drawProgress(ui, state) {
  const t = state.tally();
  ui.el.dataset.marked = String(t.marked);
  ui.progress.textContent = say.progress(t);
  const labels = say.filterLabels(t, state.wrongCount(), state.list?.kind);
  for (const [value, span] of Object.entries(ui.filterLabels)) span.textContent = labels[value];
}

export function drawSave(ui, state) {
  const note = say.saveNote(state);
  ui.el.dataset.saved = state.saved;
  ui.saveNote.textContent = note.text;
  ui.saveNote.dataset.warn = String(note.warn);
  // something of this list is in storage: the reader may remove it
  ui.forget.hidden = !state.list || !["yes", "no"].includes(state.saved) || (!state.saving.listSaved && !state.marks.size);
}

/** The cards of these files, if on the page, and the counts (marks that came from another tab). */
export function drawMarks(ui, state, files) {
  for (const file of files) {
    const li = ui.grid.cards.get(file);
    if (li) ui.grid.update(state.items[+li.dataset.index]);
  }
  drawProgress(ui, state);
  drawSave(ui, state);
}

export function drawReport(ui, state) {
  for (const k of ["found", "missing", "extra", "outside", "nonImages", "ambiguous"]) delete ui.photoInfo.dataset[k];
  const r = say.matchReport(state);
  if (r.data) Object.assign(ui.photoInfo.dataset, r.data);
  ui.photoInfo.textContent = r.text;
}

export function drawHowto(ui, state) {
  ui.howto.replaceChildren(...say.howto(state).map((b) => (b.code !== undefined ? h("pre", {}, h("code", {}, b.code)) : h("p", {}, b.p))));
}

/** Everything that depends on the list and the photos (after opening either). */
export function drawAll(ui, state) {
  ui.el.dataset.phase = state.phase;
  if (!state.list) return;
  ui.el.dataset.items = String(state.items.length);
  ui.listInfo.textContent = say.listInfo(state.list, state.list.items.filter(isFlagged).length);
  ui.el.dataset.refused = String(state.list.refused.length);
  ui.listWarn.textContent = say.refusedNote(state.list.refused);
  ui.listWarn.hidden = !state.list.refused.length;
  ui.keysHelp.textContent = say.keysHelp(state.list.classes, state.list.kind);
  ui.review.hidden = false;
  ui.exportBox.hidden = false;
  drawReport(ui, state);
  drawHowto(ui, state);
  ui.grid.render();
  drawProgress(ui, state);
  drawSave(ui, state);
}
