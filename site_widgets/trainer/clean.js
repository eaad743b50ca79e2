// The cleaning page's cleaner (site_widgets/cleaner/) on the trainer's photos (no DOM).
//
// The cleaner reads a top-losses list and photos opened from disk; here the list is the
// out-of-fold ranking (run.js suspectList: every photo judged by a head that never saw it,
// most suspect first) and the photos are the ones the reader brought. Its marks are kept in
// localStorage like the cleaning page's, under the trainer's own prefix (the two pages never
// see each other's lists), by the list's identity: the same photos and labels bring the
// same marks back after a reload or a retraining.

import { MarkStore } from "../cleaner/marks.js";
import { CleanerState } from "../cleaner/state.js";
import { parseTopLosses } from "../cleaner/toplosses.js";

export const PREFIX = "lesson2-trainer/v1/";
export const LIST_NAME = "out-of-fold ranking";

/** `storage` (a Storage, or a function returning one; may throw) with every key under `prefix`. */
export function prefixed(storage, prefix = PREFIX) {
  const s = typeof storage === "function" ? storage() : storage;
  if (!s) throw new Error("no localStorage in this browser");
  const keys = () => {
    const out = [];
    for (let i = 0; i < s.length; i++) {
      const k = s.key(i);
      if (k && k.startsWith(prefix)) out.push(k.slice(prefix.length));
    }
    return out;
  };
  return {
    getItem: (k) => s.getItem(prefix + k),
    setItem: (k, v) => s.setItem(prefix + k, v),
    removeItem: (k) => s.removeItem(prefix + k),
    key: (i) => keys()[i] ?? null,
    get length() { return keys().length; },
  };
}

/** A cleaner on `list` (run.js suspectList) with the photos `blobs` (Map file -> File/Blob). */
export function openCleaner(list, blobs, storage = () => globalThis.localStorage) {
  const state = new CleanerState({ store: new MarkStore(() => prefixed(storage)) });
  const res = state.openList(parseTopLosses(JSON.stringify(list), LIST_NAME), LIST_NAME);
  showPhotos(state, blobs);
  return { state, restoredMarks: res.restoredMarks ?? 0 };
}

/** Give the cleaner the photos (after the reader opened the folder again). */
export function showPhotos(state, blobs) {
  for (const it of state.items) if (blobs.has(it.file)) state.found.set(it.file, blobs.get(it.file));
}

/** The marks as a Map file -> {action, label?} (what run.js applyMarks takes). */
export const marksOf = (state) => new Map([...state.marks]);
