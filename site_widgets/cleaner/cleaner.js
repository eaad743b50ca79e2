// The data cleaner: the lesson's ImageCleaner in the browser. The instructor opens a list
// that training wrote (suspects.json: every photo, most suspect first, with a suggestion;
// or top_losses.json: worst predictions first) and their own photo folder; marks each photo
// keep, delete or relabel; downloads cleaned.csv for `train --data` (and decisions.csv for
// `train --decisions` / `clean --decisions`). Nothing is uploaded: photos are shown
// through object URLs, the list is read with File.text(), downloads are Blobs.
//
// This file wires the reader's actions to the state and the view. The work is elsewhere:
//   state.js      what the cleaner knows (list, photos matched, marks, filter, pages, exports)
//   toplosses.js  reading and checking the lists (suspects.json, top_losses.json)
//   match.js      which opened file is which listed photo; photos the list does not name
//   marks.js      decisions (a MarkBook: marks with the time of each change) and localStorage
//   saving.js     what is saved and what is not; merging another tab's marks
//   csv.js        cleaned.csv and decisions.csv, as the training scripts read them
//   text.js       every sentence the cleaner says
//   view.js, grid.js  the page parts and the photo grid (drawing and the keyboard only)
//   drop.js       files from a drag and drop
//
// Contract: mount(el, ctx) (site_widgets/common/context.js). data-example on the element:
// the example list, a site-root path (default: the site's published suspects.json).
//
// State for tests and curious readers, as data- attributes on the root: data-phase
// (empty | list | ready), data-items, data-marked, data-refused (entries of the list left
// out), data-saved (yes | no | cleared | off);
// on the match report: data-found, data-missing, data-extra, data-outside, data-non-images,
// data-ambiguous; data-live-urls (object URLs alive for thumbnails).

import { filesFromDrop } from "./drop.js";
import { Grid, markText } from "./grid.js";
import { MarkStore } from "./marks.js";
import { isImageName } from "./match.js";
import { CleanerState } from "./state.js";
import * as say from "./text.js";
import { ListError, parseTopLosses } from "./toplosses.js";
import { buildView, drawAll, drawMarks, drawProgress, drawSave } from "./view.js";

// The ranking of every photo of the lesson's data set, published with the site
// (`python -m training.bears suspects`): lets a reader with the lesson's bear photos (or
// none) try the cleaner without training first.
const EXAMPLE_LIST = "assets/reports/default/suspects.json";

const openStorage = () => window.localStorage; // a getter that throws where storage is blocked

export async function mount(el, ctx) {
  const cleaner = new Cleaner(el, ctx);
  wireInputs(cleaner.ui, cleaner);
  ctx.listen(window, "beforeunload", (e) => { if (cleaner.state.atRisk()) e.preventDefault(); });
  ctx.listen(window, "storage", (e) => cleaner.storageChanged(e));
  ctx.onUnmount(() => cleaner.grid.releaseUrls());
  cleaner.restore();
}

/** The reader's actions: each asks the state, then draws what changed. */
class Cleaner {
  constructor(el, ctx) {
    this.el = el;
    this.ctx = ctx;
    const state = (this.state = new CleanerState({ store: new MarkStore(openStorage) }));
    const grid = (this.grid = new Grid({
      state,
      onMark: (item, action, label) => this.mark(item, action, label),
      onPage: (page) => state.goPage(page) && (grid.render(), true),
      photoNote: () => say.photoNote(state),
      onRender: () => { el.dataset.liveUrls = String(grid.urls.size); },
    }));
    this.save = downloader(el, ctx);
    this.ui = buildView(el, grid, {
      example: () => this.openExample(),
      filter: (value) => { state.setFilter(value); grid.render(); drawProgress(this.ui, state); },
      forget: () => this.forget(),
      cleaned: () => this.exportCleaned(),
      decisions: () => this.exportDecisions(),
    });
  }

  /** The page moved on (instant navigation) while something was read. */
  get gone() {
    return this.ctx.signal.aborted;
  }

  /** Show the list saved in this browser, if any. */
  restore() {
    const { ui, state } = this;
    drawAll(ui, state);
    drawSave(ui, state);
    try {
      const res = state.restore();
      if (!res) return;
      if (res.stub) { ui.status.set(say.stubRestored(res), "idle"); return; }
      ui.status.set(say.listOpened(res, res.name, { marked: state.tally().marked, photosOpen: false }), "ready");
      drawAll(ui, state);
    } catch (err) {
      ui.status.set(`A list saved in this browser could not be read back (${err.message}); open the list again.`, "error");
    }
  }

  useList(parsed, name) {
    const { ui, state } = this;
    const res = state.openList(parsed, name);
    if (!res.ok) { ui.error.show(say.replaceAsked(res, name)); return; }
    ui.status.set(say.listOpened(res, name, { marked: state.tally().marked, photosOpen: state.picked.length > 0 }), "ready");
    drawAll(ui, state);
  }

  async openListFile(file) {
    const { ui } = this;
    ui.error.clear();
    if (/^image\//.test(file.type) || isImageName(file.name)) { ui.error.show(say.photoNotList(file.name)); return; }
    let parsed;
    try {
      parsed = parseTopLosses(await file.text(), file.name);
    } catch (err) {
      if (!this.gone) ui.error.show(err instanceof ListError ? err.message : `Could not read “${file.name}”: ${err.message || err}`);
      return;
    }
    if (!this.gone) this.useList(parsed, file.name);
  }

  async openExample() {
    this.ui.error.clear();
    let text;
    try {
      text = await this.ctx.fetchText(this.el.dataset.example || EXAMPLE_LIST);
    } catch (err) {
      if (!this.gone) this.ui.error.show(`Could not load the example list (${err.message || err}). If you are offline, open your own list instead.`);
      return;
    }
    const name = (this.el.dataset.example || EXAMPLE_LIST).split("/").pop();
    await this.openListFile({ name, type: "application/json", text: async () => text });
  }

  /** entries: [{file, path}] from a folder, a selection or a drop (lists included). */
  async addPhotos(entries, { replace, how }) {
    const { ui, state } = this;
    ui.error.clear();
    const { jsons, others, images } = CleanerState.sortOpened(entries);
    if (jsons.length && !others.length) return this.openListFile(jsons[0].file);
    if (!entries.length) { ui.error.show(say.nothingOpened(how)); return; }
    if (!images.length) { ui.error.show(say.noImages(how, others)); return; }
    state.addPhotos(others, { replace });
    if (jsons.length) await this.openListFile(jsons[0].file); // a list dropped along with the photos
    if (this.gone) return;
    if (!state.list) {
      ui.photoInfo.textContent = `${say.plural(images.length, "photo")} open. Now open the list (suspects.json or top_losses.json) to see them in its order.`;
      ui.status.set("Photos open; the list is still missing.", "idle");
      return;
    }
    ui.status.set(`${say.plural(images.length, "photo")} opened from the ${how}.`, "ready");
    drawAll(ui, state);
  }

  mark(item, action, label) {
    const { mark, merged } = this.state.setMark(item, action, label);
    drawMarks(this.ui, this.state, [item.file, ...merged]);
    this.ui.status.set(`${say.visible(item.file)}: ${markText(mark)}.`, "idle");
  }

  /** Another tab changed this browser's storage: its marks on this list are merged in. */
  storageChanged(e) {
    try {
      if (e.storageArea !== window.localStorage) return;
    } catch {
      return; // storage blocked: no other tab can have written to it
    }
    const res = this.state.onStorage(e.key);
    if (res) drawMarks(this.ui, this.state, res.merged || []);
  }

  forget() {
    this.state.forget();
    drawSave(this.ui, this.state);
    this.ui.status.set("The saved marks of this list were removed from this browser's storage.", "idle");
  }

  exportCleaned() {
    const { ui, state } = this;
    ui.error.clear();
    const problem = state.coverageProblem();
    if (problem) { ui.error.show(problem); return; }
    const res = state.cleaned();
    this.save("cleaned.csv", res.text);
    ui.exportNote.textContent = say.cleanedNote(state, res);
    state.exported("cleaned.csv");
    drawSave(ui, state);
  }

  exportDecisions() {
    const { ui, state } = this;
    ui.error.clear();
    const res = state.decisions();
    this.save("decisions.csv", res.text);
    ui.exportNote.textContent = say.decisionsNote(res);
    state.exported("decisions.csv");
    drawSave(ui, state);
  }
}

/** The file inputs and the drop zone. */
function wireInputs(ui, cleaner) {
  const { jsonInput, folderInput, photosInput, drop } = ui;
  const take = (input) => { const files = [...input.files]; input.value = ""; return files; };
  jsonInput.addEventListener("change", () => {
    const [f] = take(jsonInput);
    if (f) cleaner.openListFile(f);
  });
  folderInput.addEventListener("change", () => {
    const files = take(folderInput);
    cleaner.addPhotos(files.map((file) => ({ file, path: file.webkitRelativePath || file.name })), { replace: true, how: "folder" });
  });
  photosInput.addEventListener("change", () => {
    const files = take(photosInput);
    if (files.length) cleaner.addPhotos(files.map((file) => ({ file, path: file.name })), { replace: false, how: "selection" });
  });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("cln-over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("cln-over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("cln-over");
    filesFromDrop(e.dataTransfer)
      .then(({ entries, folders }) => cleaner.addPhotos(entries, { replace: folders, how: folders ? "dropped folder" : "drop" }))
      .catch((err) => ui.error.show(`Could not read what was dropped: ${err.message || err}`));
  });
}

/** save(name, text): a CSV download. Its object URL lives a minute (the browser may still be
 *  reading it), or until the widget is unmounted, whichever comes first. */
function downloader(el, ctx) {
  const alive = new Map(); // url -> timer
  const revoke = (url) => {
    clearTimeout(alive.get(url));
    alive.delete(url);
    URL.revokeObjectURL(url);
  };
  ctx.onUnmount(() => { for (const url of [...alive.keys()]) revoke(url); });
  return (name, text) => {
    const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
    alive.set(url, setTimeout(() => revoke(url), 60_000));
    const a = document.createElement("a");
    Object.assign(a, { href: url, download: name, hidden: true });
    el.append(a);
    a.click();
    a.remove();
  };
}
