// What the page keeps between visits (no DOM): the body's activations for each photo, so a
// reload or a second run does not compute them again, and the reader's session, so
// reopening the page restores it.
//
// Storage goes through a backend with three async calls, get(store, key), put(store, key,
// value) and delete(store, key), and optionally putMany(store, [[key, value]...]) (one
// transaction for many records; without it, one put each): idb.js is IndexedDB (the page), memoryBackend below is a
// Map (tests, and the page's fallback when IndexedDB is unavailable). Activations are
// keyed by (the body's model SHA-256, the crop size, the photo's SHA-256): another model or
// another crop never reads them, and a renamed photo still hits. Storage can fail (quota
// exceeded, private mode, storage switched off): nothing here throws for that; calls say
// what happened in `status`, and once the quota is reached the cache stops writing and
// says so. Training never depends on the cache.

export const STORES = ["activations", "sessions"];
export const SESSION_VERSION = 1;

const isQuota = (err) => err?.name === "QuotaExceededError" || /quota/i.test(String(err?.message ?? ""));

export const STATUS = {
  on: "Activations are cached in this browser: a reload does not compute them again.",
  full: "This browser's storage for the site is full, so activations are no longer cached: a reload will " +
    "compute them again. Training works as before. Freeing storage (the browser's site settings) brings the cache back.",
  error: "This browser does not let the page store data (private window or storage switched off), so activations " +
    "are not cached: a reload will compute them again. Training works as before.",
};

/** The activation cache of one body (model SHA-256) at one crop size. */
export function activationCache(backend, { modelSha256, crop, nFeatures = null }) {
  let state = "on";
  let detail = null;
  const key = (sha256) => `${modelSha256}/${crop}/${sha256}`;
  const fail = (err) => {
    state = isQuota(err) ? "full" : "error";
    detail = String(err?.message ?? err);
  };
  return {
    key,
    status: () => ({ state, message: STATUS[state], detail }),
    /** The cached activations of a photo (Float32Array), or null. */
    async get(sha256) {
      if (state === "error") return null;
      try {
        const v = await backend.get("activations", key(sha256));
        const ok = v instanceof Float32Array && (nFeatures === null || v.length === nFeatures);
        return ok ? v : null;
      } catch (err) {
        fail(err);
        return null;
      }
    },
    /** Keep a photo's activations; -> whether they were stored (never throws). */
    async put(sha256, feats) {
      if (state !== "on") return false;
      try {
        await backend.put("activations", key(sha256), Float32Array.from(feats));
        return true;
      } catch (err) {
        fail(err);
        return false;
      }
    },
    /** Keep several photos' activations ([[sha256, feats]...]) at once, in one transaction
     *  where the backend has putMany; -> whether they were stored (never throws). */
    async putMany(entries) {
      if (state !== "on" || !entries.length) return false;
      const records = entries.map(([sha, f]) => [key(sha), Float32Array.from(f)]);
      try {
        if (backend.putMany) await backend.putMany("activations", records);
        else for (const [k, v] of records) await backend.put("activations", k, v);
        return true;
      } catch (err) {
        fail(err);
        return false;
      }
    },
    /** Which of these photos have cached activations: Map sha256 -> Float32Array. Reads run
     *  `parallel` at a time (one by one, 2,000 IndexedDB reads take seconds). */
    async getMany(shas, parallel = 64) {
      const found = new Map();
      for (let i = 0; i < shas.length; i += parallel) {
        const part = shas.slice(i, i + parallel);
        const got = await Promise.all(part.map((sha) => this.get(sha)));
        got.forEach((v, k) => v && found.set(part[k], v));
      }
      return found;
    },
  };
}

const SESSION_FULL = "This browser's storage for the site is full, so the session is not saved: reopening the page " +
  "will not restore it. Training works as before; download the head and cleaned.csv to keep them.";

/** A session record is plain JSON-like data: what the reader brought (file, label, sha256 per
 *  photo), chose (lr, epochs, split), marked (file -> mark, cleaner/marks.js's format) and
 *  trained (head: exportHead.js's head.json, or null). */
export function makeSession({ modelSha256, crop, labels, files, marks = {}, lr = null, epochs = null, seed = 42, validPct = 0.2,
  head = null }) {
  return { version: SESSION_VERSION, model_sha256: modelSha256, crop, labels: [...labels],
    files: files.map(({ file, label, sha256 }) => ({ file, label, sha256 })), marks: { ...marks }, lr, epochs, seed,
    valid_pct: validPct, head, saved: new Date().toISOString() };
}

/** Is this a session this page can restore? -> null, or why not. */
export function sessionProblem(s, { modelSha256 } = {}) {
  if (!s || typeof s !== "object") return "no saved session";
  if (s.version !== SESSION_VERSION) return `the saved session has format ${s.version}, this page reads ${SESSION_VERSION}`;
  if (!Array.isArray(s.labels) || !Array.isArray(s.files) || s.files.some((f) => !f || !f.sha256 || !s.labels.includes(f.label))) {
    return "the saved session is damaged";
  }
  if (modelSha256 && s.model_sha256 !== modelSha256) return "the site's network changed since the session was saved: its activations must be computed again";
  return null;
}

/** The reader's session: one record, saved and loaded whole. */
export function sessionStore(backend) {
  return {
    /** -> {saved: bool, problem} (never throws). */
    async save(session) {
      try {
        await backend.put("sessions", "current", structuredClone(session));
        return { saved: true, problem: null };
      } catch (err) {
        return { saved: false, problem: isQuota(err) ? SESSION_FULL : String(err?.message ?? err) };
      }
    },
    /** -> {session, problem, stale}: session is null when there is none or it cannot be restored;
     *  stale is a record this page cannot restore as it is (say, made with another network),
     *  for the page to offer what still holds (labels, marks). */
    async load(expect = {}) {
      let s = null;
      try {
        s = await backend.get("sessions", "current");
      } catch (err) {
        return { session: null, problem: String(err?.message ?? err) };
      }
      const problem = sessionProblem(s, expect);
      return { session: problem ? null : s, problem, stale: problem ? s ?? null : null };
    },
    async clear() {
      try {
        await backend.delete("sessions", "current");
      } catch {
        /* nothing to clear */
      }
    },
  };
}

/** A backend in memory (a Map per store); quotaBytes makes put throw QuotaExceededError beyond it. */
export function memoryBackend({ quotaBytes = Infinity } = {}) {
  const stores = new Map(STORES.map((s) => [s, new Map()]));
  const size = (v) => (ArrayBuffer.isView(v) ? v.byteLength : JSON.stringify(v).length);
  let used = 0;
  const of = (store) => {
    if (!stores.has(store)) throw new Error(`no store ${store}`);
    return stores.get(store);
  };
  return {
    used: () => used,
    async get(store, key) {
      const v = of(store).get(key);
      return v === undefined ? undefined : structuredClone(v);
    },
    async put(store, key, value) {
      const m = of(store);
      const grow = size(value) - (m.has(key) ? size(m.get(key)) : 0);
      if (used + grow > quotaBytes) throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
      m.set(key, structuredClone(value));
      used += grow;
    },
    async delete(store, key) {
      const m = of(store);
      if (m.has(key)) used -= size(m.get(key));
      m.delete(key);
    },
  };
}
