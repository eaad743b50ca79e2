// Keeping the reader's marks in this browser (no DOM): what is saved, what is not, and why.
//
// Every save reads what storage holds first and merges it (MarkBook.merge: per photo, the
// later change wins), so a second tab on the same list adds to the marks instead of
// replacing them; a storage event from that tab is merged the same way (onStorage). A
// download does not remove anything: the marks stay until the reader presses Forget.
// When storage refuses a write, `pending` counts the marks it does not hold, so the page can
// say exactly what is and is not saved.

import { readEntries } from "./marks.js";

// A list whose copy could not be saved is tried again with the next mark, unless it is this long.
const RETRY_LIST_PHOTOS = 5000;

export class Saving {
  constructor(store) {
    this.store = store;
    this.key = null;
    this.classes = [];
    this.list = null; // {payload, name, photos} to save
    this.listSaved = false;
    this.listTooBig = false; // did not fit; a note of it did (after a reload: "open it again")
    this.marksSaved = true; // the last write of the marks worked (or there was nothing to write)
    this.pending = { marks: 0, unmarks: 0 }; // what storage does not hold after a failed write
    this.error = store.available ? null : store.error;
    this.exported = null; // {what, at}: the last download of this list's result
    this.forgotten = false; // the reader pressed Forget
    this.removedElsewhere = false; // another tab removed the saved marks
    this.merged = 0; // marks that came from another tab at the last merge
  }

  /** yes | no | cleared | off, as the root's data-saved says. */
  get state() {
    if (!this.store.available) return "off";
    if (!this.key || !this.marksSaved || this.removedElsewhere) return "no";
    if (this.forgotten) return "cleared";
    return this.listSaved || this.listTooBig ? "yes" : "no";
  }

  /** Start on a list: its saved marks go into `book` (a fresh MarkBook). -> {restoredMarks,
   *  dropped, savedAt, exported}; the list itself is saved unless it came from storage. */
  open(key, classes, book, list, { fromStorage = false } = {}) {
    Object.assign(this, { key, classes, list, forgotten: false, removedElsewhere: false, merged: 0, listTooBig: false });
    const saved = this.store.loadMarks(key);
    const { entries, dropped } = readEntries(saved?.marks, classes);
    book.merge(entries);
    this.exported = saved?.exported ?? null;
    this.marksSaved = this.store.available;
    this.pending = { marks: 0, unmarks: 0 };
    if (fromStorage) this.listSaved = true;
    else this.saveList();
    return { restoredMarks: book.size, dropped, savedAt: saved?.savedAt ?? null, exported: this.exported };
  }

  /** Save the list (again: the photos found beside it changed). */
  saveList() {
    if (!this.key) return;
    const { payload, name, photos } = this.list;
    const res = this.store.saveList(this.key, payload, { name, photos });
    this.listSaved = res.ok;
    this.listTooBig = Boolean(res.tooBig);
    if (!res.ok && !res.tooBig) this.error = res.error;
  }

  /** Write the marks, after merging what storage holds. -> files whose mark changed here. */
  persist(book) {
    if (!this.key) return [];
    const saved = this.store.loadMarks(this.key);
    const { here } = saved ? book.merge(readEntries(saved.marks, this.classes).entries) : { here: [] };
    if (here.length) this.merged = here.length;
    const res = this.store.saveMarks(this.key, book.entries(), this.exported);
    this.marksSaved = res.ok;
    if (res.ok) {
      this.pending = { marks: 0, unmarks: 0 };
      this.removedElsewhere = false;
      this.forgotten = false;
      if (!this.listSaved && !this.listTooBig && this.list.photos < RETRY_LIST_PHOTOS) this.saveList();
    } else {
      this.error = res.error;
      this.pending = book.missingFrom(saved ? readEntries(saved.marks, this.classes).entries : []);
    }
    return here;
  }

  /** A storage event from another tab. -> {merged: files changed here} | {removed: true} | null */
  onStorage(storageKey, book) {
    if (!this.key || !this.store.touchesMarks(storageKey, this.key)) return null;
    const saved = this.store.loadMarks(this.key);
    if (!saved) {
      if (this.forgotten) return null; // our own Forget
      this.removedElsewhere = book.size > 0;
      this.pending = book.missingFrom([]);
      return { removed: true };
    }
    const { here, newer } = book.merge(readEntries(saved.marks, this.classes).entries);
    this.merged = here.length || this.merged;
    if (newer) this.persist(book); // storage lacks a change of ours (the two tabs wrote at once)
    return { merged: here };
  }

  /** After a download: remembered with the marks, which stay saved. */
  downloaded(what, book) {
    this.exported = { what, at: Date.now() };
    this.persist(book);
  }

  /** The reader's Forget: storage drops the list and its marks (the page keeps them). */
  forget() {
    this.store.clear(this.key);
    Object.assign(this, { forgotten: true, exported: null, listSaved: false, listTooBig: false, merged: 0, removedElsewhere: false });
  }

  /** Marks that leaving the page would lose. */
  atRisk(book) {
    if (!book.size) return false;
    if (!this.store.available) return true;
    return !this.marksSaved || this.removedElsewhere;
  }
}
