// The reader's decisions and where they are kept between page loads (no DOM).
//
// A mark is {action: "keep"} | {action: "delete"} | {action: "relabel", label}; relabelling
// a photo to the label it already has is a keep (as `clean` treats it). Marks are a Map
// file -> mark: file names are the reader's data, and an object's keys would mistake
// "__proto__" or "constructor" for marks.
//
// Storage: localStorage, under a key derived from the list's identity (a hash of its file
// names and classes), so opening the same list again brings its marks back and another
// list never sees them. The list shown last is saved too: after a reload the page can show
// it before the reader opens anything. Marks stay saved after a download (the download may
// have gone wrong) until the reader says to forget them.

export const ACTIONS = ["keep", "delete", "relabel"];

/** A mark for `item` from an action and (for relabel) a class; null clears. */
export function makeMark(item, action, label = null) {
  if (action === null) return null;
  if (action === "relabel" && label === item.label) return { action: "keep" };
  if (action === "relabel") return { action, label };
  return { action };
}

/** The label the photo ends with, or null if it is deleted. */
export function finalLabel(item, mark) {
  if (mark?.action === "delete") return null;
  return mark?.action === "relabel" ? mark.label : item.label;
}

export function tally(items, marks) {
  const t = { total: items.length, marked: 0, keep: 0, delete: 0, relabel: 0 };
  for (const it of items) {
    const m = marks.get(it.file);
    if (!m) continue;
    t.marked++;
    t[m.action]++;
  }
  return t;
}

const sameMark = (a, b) => (a?.action ?? null) === (b?.action ?? null) && (a?.label ?? null) === (b?.label ?? null);

/** The reader's marks, with the time of every change, unmarks included (as tombstones), so
 *  that two tabs marking the same list can merge: for each photo the later change wins.
 *  get / has / size / iteration see the live marks only. */
export class MarkBook {
  constructor() {
    this.marks = new Map(); // file -> mark
    this.times = new Map(); // file -> time of its last change (ms)
    this.last = 0;
  }

  get(file) {
    return this.marks.get(file) || null;
  }

  has(file) {
    return this.marks.has(file);
  }

  get size() {
    return this.marks.size;
  }

  [Symbol.iterator]() {
    return this.marks[Symbol.iterator]();
  }

  /** A time later than every change this book has seen (clocks of two tabs agree closely). */
  tick() {
    this.last = Math.max(Date.now(), this.last + 1);
    return this.last;
  }

  /** Mark (or, with null, unmark) one photo; t: when (now by default). */
  set(file, mark, t = this.tick()) {
    if (mark) this.marks.set(file, mark);
    else this.marks.delete(file);
    this.times.set(file, t);
    this.last = Math.max(this.last, t);
  }

  /** For storage: [[file, action | null, label | null, time]]. */
  entries() {
    return [...this.times].map(([file, t]) => {
      const m = this.marks.get(file);
      return [file, m ? m.action : null, m?.label ?? null, t];
    });
  }

  /** Take what storage holds ([[file, mark | null, time]]) where it is newer. -> {here: files
   *  whose mark changed in this book, newer: files whose change here storage lacks}. */
  merge(entries) {
    const here = [];
    const seen = new Set();
    let newer = 0;
    for (const [file, mark, t] of entries) {
      seen.add(file);
      const mine = this.times.get(file) ?? -Infinity;
      if (t > mine) {
        if (!sameMark(this.get(file), mark)) here.push(file);
        this.set(file, mark, t);
      } else if (!sameMark(this.get(file), mark)) newer++;
    }
    for (const file of this.times.keys()) if (!seen.has(file)) newer++;
    return { here, newer };
  }

  /** How many of this book's marks (and unmarks) `entries` does not hold as they are here. */
  missingFrom(entries) {
    const there = new Map(entries.map(([file, mark]) => [file, mark]));
    let marks = 0;
    let unmarks = 0;
    for (const file of this.times.keys()) {
      const mine = this.get(file);
      if (sameMark(mine, there.get(file) ?? null)) continue;
      if (mine) marks++;
      else unmarks++;
    }
    return { marks, unmarks };
  }
}

/** How many marks (not unmarks) saved marks hold, either format, unchecked. */
export function countMarks(raw) {
  if (Array.isArray(raw)) return raw.filter((r) => Array.isArray(r) && r[1] !== null).length;
  return raw && typeof raw === "object" ? Object.keys(raw).length : 0;
}

/** Saved marks, either format, checked: v2 [[file, action|null, label|null, t]] or v1 {file:
 *  mark} (no times: older than any change). -> {entries: [[file, mark|null, t]], dropped}. */
export function readEntries(raw, classes) {
  const known = new Set(classes);
  const rows = Array.isArray(raw) ? raw
    : raw && typeof raw === "object" ? Object.entries(raw).map(([f, m]) => [f, m?.action, m?.label, 0]) : [];
  const entries = [];
  let dropped = 0;
  for (const r of rows) {
    const [file, action, label, t] = Array.isArray(r) ? r : [];
    const okAction = action === null || (ACTIONS.includes(action) && (action !== "relabel" || known.has(label)));
    if (typeof file !== "string" || !okAction || !Number.isFinite(t)) { dropped++; continue; }
    const mark = action === null ? null : action === "relabel" ? { action, label } : { action };
    entries.push([file, mark, t]);
  }
  return { entries, dropped };
}

// FNV-1a, twice with different offsets: 64 bits of identity, synchronous, no crypto.subtle
// (which plain-http pages do not have).
function fnv1a(str, seed) {
  let h = seed >>> 0;
  for (let i = 0; i < str.length; i++) {
    h ^= str.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/** The list's identity: same photos and classes -> same key, in any order. */
export function listKey(list) {
  const text = [...list.items.map((t) => t.file)].sort().join("\n") + "\n#" + list.classes.join(",");
  return fnv1a(text, 0x811c9dc5) + fnv1a(text, 0x050c5d1f);
}

const PREFIX = "lesson2-cleaner/v1/";

/** localStorage under PREFIX: "<key>/marks" per list ({v: 2, marks: entries, exported,
 *  savedAt}; v1 had {marks: {file: mark}}), "<key>/list" for the list shown last only, and
 *  "last": its key, or {key, name, photos, tooBig} when the list did not fit. Every call may
 *  fail (private mode, quota full, storage disabled): each says whether it worked and never throws. */
export class MarkStore {
  /** `storage`: a Storage (window.localStorage) or a function returning one; may throw. */
  constructor(storage) {
    this.error = null;
    try {
      this.storage = typeof storage === "function" ? storage() : storage;
      if (!this.storage) throw new Error("no localStorage in this browser");
    } catch (err) {
      this.storage = null;
      this.error = err;
    }
  }

  get available() {
    return this.storage !== null;
  }

  _get(key) {
    if (!this.storage) return null;
    try {
      const text = this.storage.getItem(PREFIX + key);
      return text === null ? null : JSON.parse(text);
    } catch {
      return null; // unreadable or corrupt: as if nothing were saved
    }
  }

  _set(key, value) {
    if (!this.storage) return { ok: false, error: this.error };
    try {
      this.storage.setItem(PREFIX + key, JSON.stringify(value));
      return { ok: true };
    } catch (err) {
      return { ok: false, error: err };
    }
  }

  _remove(key) {
    try {
      this.storage?.removeItem(PREFIX + key);
    } catch { /* nothing saved to remove */ }
  }

  /** Our keys in storage (without the prefix). */
  _keys() {
    const out = [];
    try {
      for (let i = 0; i < this.storage.length; i++) {
        const k = this.storage.key(i);
        if (k && k.startsWith(PREFIX)) out.push(k.slice(PREFIX.length));
      }
    } catch { /* storage gone */ }
    return out;
  }

  /** The list shown last: {key, stub} (stub: {name, photos} when it did not fit), or null. */
  last() {
    const v = this._get("last");
    if (typeof v === "string") return { key: v, stub: null };
    if (v && typeof v.key === "string") return { key: v.key, stub: { name: String(v.name || "top_losses.json"), photos: Number(v.photos) || 0 } };
    return null;
  }

  /** Save the list (training's JSON shape, with the photos found beside it) as the one to
   *  restore; other lists' copies go (their marks stay). -> {ok, tooBig, error}: tooBig when
   *  it did not fit but a note of it did (the reader is then asked to open it again). */
  saveList(key, payload, { name, photos }) {
    for (const k of this._keys()) if (k.endsWith("/list") && k !== `${key}/list`) this._remove(k);
    const res = this._set(`${key}/list`, { ...payload, savedAt: new Date().toISOString() });
    if (res.ok) return this._set("last", key);
    this._remove(`${key}/list`);
    const stub = this._set("last", { key, name, photos, tooBig: true });
    if (!stub.ok) this._remove("last");
    return { ok: false, tooBig: stub.ok, error: res.error };
  }

  loadList(key) {
    const v = this._get(`${key}/list`);
    return v && v.list && typeof v.list === "object" ? v : null; // checked again by parseTopLosses
  }

  /** entries: MarkBook.entries(); exported: {what, at} of the last download, or null. */
  saveMarks(key, entries, exported = null) {
    return this._set(`${key}/marks`, { v: 2, marks: entries, exported, savedAt: new Date().toISOString() });
  }

  /** -> {marks (raw: readEntries checks them), exported, savedAt} or null */
  loadMarks(key) {
    const v = this._get(`${key}/marks`);
    if (!v || typeof v.marks !== "object" || v.marks === null) return null;
    const e = v.exported;
    const exported = e && typeof e.what === "string" && Number.isFinite(e.at) ? { what: e.what, at: e.at } : null;
    return { marks: v.marks, exported, savedAt: typeof v.savedAt === "string" ? v.savedAt : null };
  }

  /** Whether a storage event's key is this list's marks (null: the whole storage was cleared). */
  touchesMarks(storageKey, key) {
    return storageKey === null || storageKey === `${PREFIX}${key}/marks`;
  }

  /** Forget the list and its marks. */
  clear(key) {
    this._remove(`${key}/marks`);
    this._remove(`${key}/list`);
    if (this.last()?.key === key) this._remove("last");
  }
}

/** "QuotaExceededError" -> words for the reader. */
export function storageProblem(error) {
  const name = error?.name || "";
  if (/Quota/i.test(name)) return "this browser's storage for the site is full";
  if (/Security/i.test(name)) return "this browser does not allow the site to store anything (private mode or blocked storage)";
  return `this browser's storage is unavailable (${error?.message || error || "unknown reason"})`;
}
