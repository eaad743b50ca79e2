// The reader's decisions and where they are kept between page loads (no DOM).
//
// A mark is {action: "keep"} | {action: "delete"} | {action: "relabel", label}; relabelling
// a photo to the label it already has is a keep (as `clean` treats it). Marks are a Map
// file -> mark: file names are the reader's data, and an object's keys would mistake
// "__proto__" or "constructor" for marks.
//
// Storage: localStorage, under a key derived from the list's identity (a hash of its file
// names and classes), so opening the same list again brings its marks back and another
// list never sees them. The list itself is saved too: after a reload the page can show
// it before the reader opens anything. Every storage call may fail (private mode, quota
// full, storage disabled): each says whether it worked and never throws.

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

/** Keep only well-formed marks whose relabel target is a class; -> {marks, dropped}. */
export function cleanMarks(raw, classes) {
  const marks = new Map();
  let dropped = 0;
  for (const [file, m] of Object.entries(raw && typeof raw === "object" ? raw : {})) {
    const ok = m && ACTIONS.includes(m.action) && (m.action !== "relabel" || classes.includes(m.label));
    if (ok) marks.set(file, m.action === "relabel" ? { action: "relabel", label: m.label } : { action: m.action });
    else dropped++;
  }
  return { marks, dropped };
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

  /** The key of the list shown last, or null. */
  last() {
    const v = this._get("last");
    return typeof v === "string" ? v : null;
  }

  /** Save the list (training's JSON shape, with the photos found beside it) and remember it
   *  as the one to restore. */
  saveList(key, payload) {
    const res = this._set(`${key}/list`, { ...payload, savedAt: new Date().toISOString() });
    return res.ok ? this._set("last", key) : res;
  }

  loadList(key) {
    const v = this._get(`${key}/list`);
    return v && v.list && typeof v.list === "object" ? v : null; // checked again by parseTopLosses
  }

  saveMarks(key, marks) {
    // Object.fromEntries defines own properties, so "__proto__" is a name like any other
    return this._set(`${key}/marks`, { marks: Object.fromEntries(marks), savedAt: new Date().toISOString() });
  }

  /** -> {marks, savedAt} or null */
  loadMarks(key) {
    const v = this._get(`${key}/marks`);
    return v && typeof v.marks === "object" ? v : null;
  }

  /** After an export: forget the list and its marks. */
  clear(key) {
    this._remove(`${key}/marks`);
    this._remove(`${key}/list`);
    if (this.last() === key) this._remove("last");
  }
}

/** "QuotaExceededError" -> words for the reader. */
export function storageProblem(error) {
  const name = error?.name || "";
  if (/Quota/i.test(name)) return "this browser's storage for the site is full";
  if (/Security/i.test(name)) return "this browser does not allow the site to store anything (private mode or blocked storage)";
  return `this browser's storage is unavailable (${error?.message || error || "unknown reason"})`;
}
