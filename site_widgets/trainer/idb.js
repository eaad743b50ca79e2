// The IndexedDB backend of store.js (browsers only; no DOM besides indexedDB).
// One database, "lesson2-trainer", with the object stores store.js names. Every call
// returns a promise that rejects with the browser's error (QuotaExceededError when the
// site's storage is full), which store.js turns into a status. openIdb rejects where
// IndexedDB is missing or refused (some private windows): the page then uses
// store.js's memoryBackend, and says the cache is off.

import { STORES } from "./store.js";

const request = (req) => new Promise((resolve, reject) => {
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error);
});

export async function openIdb(name = "lesson2-trainer", idb = globalThis.indexedDB) {
  if (!idb) throw new Error("IndexedDB is not available in this browser");
  const open = idb.open(name, 1);
  open.onupgradeneeded = () => {
    for (const s of STORES) if (!open.result.objectStoreNames.contains(s)) open.result.createObjectStore(s);
  };
  const db = await request(open);
  const run = (store, mode, fn) => new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const req = fn(tx.objectStore(store));
    tx.oncomplete = () => resolve(req.result);
    tx.onabort = () => reject(tx.error || req.error);
    tx.onerror = () => reject(tx.error || req.error);
  });
  return {
    get: (store, key) => run(store, "readonly", (s) => s.get(key)),
    put: (store, key, value) => run(store, "readwrite", (s) => s.put(value, key)),
    /** [[key, value]...] in one transaction: all stored, or none (the transaction aborts). */
    putMany: (store, records) => run(store, "readwrite", (s) => {
      let last = null;
      for (const [key, value] of records) last = s.put(value, key);
      return last;
    }),
    delete: (store, key) => run(store, "readwrite", (s) => s.delete(key)),
    close: () => db.close(),
  };
}
