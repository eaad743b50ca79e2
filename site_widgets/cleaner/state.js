// What the cleaner knows, without DOM: the list, the photos opened and which listed photo
// each one is, the reader's marks, the filter and the page shown, what storage holds, and
// the two files to export. The view (cleaner.js, view.js, grid.js) asks it and draws.
//
// Every method that changes something returns what the view needs to say about it; none
// of them touches the page. Tested in Node (tests/test_cleaner_state.py).

import { cleanedCsv, cleanedRows, decisionRows, decisionsCsv } from "./csv.js";
import { countMarks, listKey, makeMark, MarkBook, tally } from "./marks.js";
import { isImageName, matchFiles } from "./match.js";
import { Saving } from "./saving.js";
import { DELETE, parsePathProblem, parseTopLosses, toJSONShape } from "./toplosses.js";

export const PAGE_SIZE = 24;
export const FILTERS = ["all", "unmarked", "wrong"];

/** What the "wrong" filter shows: in a ranking (suspects.json), photos whose suggestion is not
 *  their label; in a top-losses list, wrong predictions. */
export const isFlagged = (it) => (it.suggested != null ? it.suggested !== it.label : it.pred !== null && it.pred !== it.label);

/** A ranking's suggestion for a photo as a mark's [action, label], or null (no suggestion). */
export function suggestion(it) {
  if (it.suggested == null) return null;
  if (it.suggested === DELETE) return ["delete", null];
  return it.suggested === it.label ? ["keep", null] : ["relabel", it.suggested];
}
const isJsonPath = (path) => /\.json$/i.test(path);
// the same file chosen again replaces itself; a namesake from another folder does not
const pickId = (p) => `${p.path}|${p.file.size}|${p.file.lastModified}`;

export class CleanerState {
  /** store: a MarkStore (marks.js); its storage may be missing or full. */
  constructor({ store, pageSize = PAGE_SIZE }) {
    this.store = store;
    this.saving = new Saving(store);
    this.pageSize = pageSize;
    this.list = null; // parseTopLosses() + {name}
    this.key = null; // the list's storage key
    this.marks = new MarkBook(); // file -> mark, with the time of each change
    this.picked = []; // [{file, path, batch}] what the reader opened
    this.batches = 0;
    this.found = new Map(); // item file -> the opened File
    this.match = null; // matchFiles() of the list and the opened photos
    this.extras = []; // [{file, label}] photos in the folder that the list does not name
    this.badFolders = 0; // photos in label folders that cleaned.csv cannot name (spaces around the folder)
    this.items = []; // the list's photos, then the extras
    this.filter = "all";
    this.order = []; // indexes into items that the filter shows
    this.page = 0;
    this.restored = false; // shown from storage, the photos not opened again yet
    this.replaceAsked = null; // key of a list the reader must choose twice (unsaved marks)
  }

  // ---------------------------------------------------------------- the list

  /** Use a parsed list. -> {ok: false, marked} when marks that are not saved would be replaced
   *  (the reader is asked; the same list again replaces them), else {ok: true, same,
   *  restoredMarks, dropped, savedAt, exported, fromStorage}. */
  openList(parsed, name, { fromStorage = null } = {}) {
    const newKey = listKey(parsed);
    if (this.key && newKey !== this.key && this.saving.atRisk(this.marks) && this.replaceAsked !== newKey) {
      this.replaceAsked = newKey;
      return { ok: false, marked: this.marks.size, oldName: this.list.name };
    }
    this.replaceAsked = null;
    const same = newKey === this.key;
    this.list = { ...parsed, name };
    this.key = newKey;
    this.restored = Boolean(fromStorage);
    if (!same) {
      this.marks = new MarkBook();
      this.extras = fromStorage ? fromStorage.extras : [];
    }
    this.rematch();
    let opened = { restoredMarks: 0, dropped: 0, savedAt: null, exported: this.saving.exported };
    if (!same) opened = this.saving.open(newKey, parsed.classes, this.marks, this.listCopy(), { fromStorage: Boolean(fromStorage) });
    else this.saveList();
    this.setFilter(this.filter);
    return { ok: true, same, ...opened, savedAt: opened.savedAt || fromStorage?.savedAt || null, fromStorage: Boolean(fromStorage) };
  }

  /** The list saved last in this browser, parsed again: {name, ...openList()}, or {stub: {name,
   *  photos}, marks} when it was too big to keep, or null; throws if unreadable. */
  restore() {
    const last = this.store.last();
    if (!last) return null;
    if (last.stub) return { stub: last.stub, marks: countMarks(this.store.loadMarks(last.key)?.marks) };
    const saved = this.store.loadList(last.key);
    if (!saved) return null;
    const name = saved.name || "top_losses.json";
    const parsed = parseTopLosses(JSON.stringify(saved.list), name);
    const extras = Array.isArray(saved.extras)
      ? saved.extras.filter((x) => x && typeof x.file === "string" && typeof x.label === "string") : [];
    return { name, ...this.openList(parsed, name, { fromStorage: { extras, savedAt: saved.savedAt } }) };
  }

  get phase() {
    if (!this.list) return "empty";
    return this.picked.length ? "ready" : "list";
  }

  // ---------------------------------------------------------------- the photos

  /** Sort what the reader opened: lists (.json), photos, other files. */
  static sortOpened(entries) {
    const jsons = entries.filter((e) => isJsonPath(e.path));
    const others = entries.filter((e) => !isJsonPath(e.path));
    return { jsons, others, images: others.filter((e) => isImageName(e.path)) };
  }

  /** Take opened files [{file, path}] (not lists); replace: a folder replaces what was open. */
  addPhotos(entries, { replace }) {
    const batch = ++this.batches;
    const add = entries.map((e) => ({ file: e.file, path: e.path, batch }));
    if (replace) this.picked = add;
    else {
      const have = new Map(this.picked.map((p, i) => [pickId(p), i]));
      for (const p of add) {
        if (have.has(pickId(p))) this.picked[have.get(pickId(p))] = p;
        else this.picked.push(p);
      }
    }
    this.restored = false;
    if (!this.list) return;
    this.rematch();
    this.saveList();
    this.setFilter(this.filter);
  }

  /** Match the opened photos to the list again; the items are the list's, then the extras. */
  rematch() {
    if (!this.list) return;
    this.found = new Map();
    this.match = null;
    if (this.picked.length) {
      const m = matchFiles(this.list.items.map((t) => t.file), this.picked.map((p) => ({ path: p.path, batch: p.batch })));
      const usable = m.extras.filter((x) => !parsePathProblem(x.file, x.label));
      for (const [file, i] of m.matched) this.found.set(file, this.picked[i].file);
      for (const x of usable) this.found.set(x.file, this.picked[x.index].file);
      this.extras = usable.map((x) => ({ file: x.file, label: x.label }));
      this.badFolders = m.extras.length - usable.length;
      this.match = m;
    }
    this.items = [
      ...this.list.items.map((t, i) => ({ ...t, rank: i + 1, listed: true })),
      ...this.extras.map((x) => ({ file: x.file, label: x.label, pred: null, probPred: null, probLabel: null, loss: null,
        score: null, suggested: null, imagenetTop: null, listed: false })),
    ];
  }

  /** Label folders of the opened photos that are not classes of the list. */
  unknownFolders() {
    const classes = new Set(this.list.classes);
    return [...new Set(this.extras.map((x) => x.label))].filter((c) => !classes.has(c));
  }

  // ---------------------------------------------------------------- marks

  markOf(file) {
    return this.marks.get(file) || null;
  }

  /** Mark one photo (action null: unmark), and save. -> {mark: the mark now held (null:
   *  none), merged: files whose marks came from another tab while saving}. */
  setMark(item, action, label = null) {
    this.marks.set(item.file, makeMark(item, action, label));
    this.saving.merged = 0;
    const merged = this.saving.persist(this.marks);
    return { mark: this.marks.get(item.file), merged };
  }

  tally(items = this.items) {
    return tally(items, this.marks);
  }

  wrongCount() {
    return this.items.filter(isFlagged).length;
  }

  // ---------------------------------------------------------------- filter and pages

  /** The order shown, chosen when the filter is chosen, so marking does not reshuffle the page. */
  setFilter(filter) {
    this.filter = FILTERS.includes(filter) ? filter : "all";
    const keep = {
      all: () => true,
      unmarked: (it) => !this.marks.has(it.file),
      wrong: isFlagged,
    }[this.filter];
    this.order = this.items.map((it, i) => (keep(it) ? i : -1)).filter((i) => i >= 0);
    this.page = 0;
  }

  get pages() {
    return Math.max(1, Math.ceil(this.order.length / this.pageSize));
  }

  /** Go to a page (clamped); -> whether it changed. */
  goPage(page) {
    const p = Math.max(0, Math.min(this.pages - 1, page));
    const changed = p !== this.page;
    this.page = p;
    return changed;
  }

  /** The items of the page shown: {start, indexes}. */
  pageSlice() {
    const start = this.page * this.pageSize;
    return { start, indexes: this.order.slice(start, start + this.pageSize) };
  }

  // ---------------------------------------------------------------- storage

  /** What storage keeps of the list: training's JSON shape, with the photos found beside it. */
  listCopy() {
    const payload = { name: this.list.name, list: toJSONShape(this.list), extras: this.extras };
    return { payload, name: this.list.name, photos: this.list.items.length };
  }

  saveList() {
    if (!this.list) return;
    this.saving.list = this.listCopy();
    this.saving.saveList();
  }

  /** yes | no | cleared | off, as the root's data-saved says. */
  get saved() {
    return this.saving.state;
  }

  /** A storage event from another tab (its key): see Saving.onStorage. */
  onStorage(storageKey) {
    return this.saving.onStorage(storageKey, this.marks);
  }

  /** The reader's Forget: storage drops this list and its marks; the page keeps them. */
  forget() {
    this.saving.forget();
  }

  /** Marks that leaving the page would lose. */
  atRisk() {
    return Boolean(this.list) && this.saving.atRisk(this.marks);
  }

  // ---------------------------------------------------------------- export

  /** Why cleaned.csv cannot be made yet, or null. */
  coverageProblem() {
    const l = this.list;
    if (l.on === "all" || this.extras.length || this.picked.length) return null;
    return `This list covers ${l.on === "valid" ? "only the validation split" : "an unknown part of the data set"}, so cleaned.csv ` +
      "would leave out every other photo. Open the photo folder first (its other photos are then added), or run " +
      "`python -m training.bears interpret --on all` and open that list.";
  }

  /** -> {text, rows, tally} for cleaned.csv */
  cleaned() {
    return { text: cleanedCsv(this.items, this.marks), rows: cleanedRows(this.items, this.marks).length, tally: this.tally() };
  }

  /** -> {text, rows, outside} for decisions.csv; outside: marks on photos the list does not name. */
  decisions() {
    const listed = this.items.filter((it) => it.listed);
    return {
      text: decisionsCsv(listed, this.marks),
      rows: decisionRows(listed, this.marks).length,
      outside: this.tally(this.items.filter((it) => !it.listed)).marked,
    };
  }

  /** After a download: remembered with the marks, which stay saved until the reader forgets them. */
  exported(what) {
    this.saving.downloaded(what, this.marks);
  }
}
