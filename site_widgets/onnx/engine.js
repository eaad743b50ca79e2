// ONNX models in a module Web Worker, so no inference ever blocks the page. No DOM.
//
// onnxruntime-web (self-hosted under assets/vendor/ort/, never a CDN) runs here, not on the
// page: a model call takes tens of milliseconds, a batch of activations seconds, and the
// page must keep scrolling and answering meanwhile. client.js is the page's side.
//
// Requests are {id, op, args}; the worker answers {id, type: "result", result},
// {id, type: "error", error: {name, message, download}} or, for batches,
// {id, type: "progress", progress: {done, total}} first. Ops:
//
//   load   {key, manifest (URL), variant?, options?, threads?, warm?}  -> model info
//          the manifest names the file and its sha256; the bytes are hashed before a
//          session is created from them. `key` names the model in later calls; loading
//          a key again returns the same model (nothing fetched or set up twice).
//          `warm` (true: WARM_RUNS, or a number of runs), for callers that load ahead of need:
//          the answer comes once the session exists, then runs on a black image follow in the
//          background until the session has run that many times. The first runs of a fresh
//          runtime are several times slower than later ones: V8 compiles wasm functions on
//          their first call with its baseline compiler and optimises those that get hot, so
//          without a warm-up the reader's first photo pays for it. A request that arrives
//          meanwhile goes first (warm-ups wait while any run, batches or added operation is
//          in progress: it waits for at most the one warm-up already running), and its runs
//          count towards the total.
//   warmth {key} -> {runs, warm_ms: [ms of each warm-up run so far]}
//   run    {key, feeds: {name: {type, dims, data}}, outputs?: [names]}
//          -> {outputs: {name: {type, dims, data}}, ms}
//   batches {key, feeds (dim 0 = N items), batch, outputs?} -> the outputs of all N items,
//          computed `batch` items per call, progress after each call, cancellable between calls
//   release {key}
//   cancel {target: id}   aborts that request: its downloads stop, batches stop between calls
//
// Threads: numThreads is fixed when the runtime starts (the first load). 1 unless the
// page is cross-origin isolated (manifest.js's threadsFor); load's `threads` overrides.
//
// A worker of its own (the classifier's) adds operations with serve(self, {name: handler}).

import { fetchBytes, fetchJSON } from "../common/fetch.js";
import { verify } from "./integrity.js";
import { pickVariant, sessionOptions, threadsFor } from "./manifest.js";

const ORT_FOLDER = new URL("../../vendor/ort/", import.meta.url); // assets/widgets/onnx/ -> assets/vendor/ort/
// A one-node ONNX graph (Identity, 65 bytes): creating a session from it starts the wasm
// runtime (download, compile, instantiate) while the real model is still downloading.
const TINY_MODEL = "CAg6NwoQCgF4EgF5IghJZGVudGl0eRIBd1oPCgF4EgoKCAgBEgQKAggBYg8KAXkSCgoICAESBAoCCAFCBAoAEBI=";

let runtime = null;

/** The onnxruntime-web module, configured once; its wasm starting in the background. */
function loadRuntime(threads) {
  runtime ??= (async () => {
    const ort = await import(new URL("ort.wasm.min.mjs", ORT_FOLDER).href);
    ort.env.wasm.wasmPaths = ORT_FOLDER.href;
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.proxy = false; // this is the worker already
    ort.env.logLevel = "error";
    const started = performance.now();
    const tiny = Uint8Array.from(atob(TINY_MODEL), (c) => c.charCodeAt(0));
    const wasm = ort.InferenceSession.create(tiny).then((s) => {
      s.release();
      return performance.now() - started;
    });
    // Reported by the load that awaits it. onnxruntime-web does not retry a backend that failed
    // to start: after a failed download the page starts a new worker (client.js's `broken`).
    wasm.catch(() => {});
    return { ort, wasm };
  })().catch((err) => {
    runtime = null; // a later load retries
    throw new Error(`could not start onnxruntime-web (${err && err.message ? err.message : err})`);
  });
  return runtime;
}

const models = new Map(); // key -> Promise<model>

async function createModel({ manifest: manifestUrl, variant = null, options = {}, threads = null }, signal) {
  const t0 = performance.now();
  const rt = loadRuntime(threads ?? threadsFor(self));
  const manifest = await fetchJSON(manifestUrl, { signal });
  const { name, entry } = pickVariant(manifest, variant);
  const modelUrl = new URL(entry.model, manifestUrl);
  const bytes = await fetchBytes(modelUrl, { signal });
  const t1 = performance.now();
  await verify(bytes, entry.sha256, `The model file ${entry.model}`);
  const t2 = performance.now();
  const { ort, wasm } = await rt;
  const wasmMs = await wasm;
  const t3 = performance.now();
  signal.throwIfAborted();
// --8<-- [start:session]
  const session = await ort.InferenceSession.create(bytes, sessionOptions(entry, options));
// --8<-- [end:session]
  const t4 = performance.now();
  return {
    ort, session, manifest, variant: name, entry, runs: 0, warmMs: [], warming: null, released: false,
    info: {
      variant: name, entry, manifest, threads: ort.env.wasm.numThreads,
      inputNames: session.inputNames, outputNames: session.outputNames,
      timings: { fetch_ms: t1 - t0, verify_ms: t2 - t1, runtime_ms: wasmMs, wait_runtime_ms: t3 - t2,
                 session_create_ms: t4 - t3, total_ms: t4 - t0 },
    },
  };
}

function getModel(key) {
  const m = models.get(key);
  if (!m) throw new Error(`no model "${key}" is loaded in this worker`);
  return m;
}

const toTensor = (ort, { type, dims, data }) => new ort.Tensor(type, data, dims);
const fromTensor = (t) => ({ type: t.type, dims: Array.from(t.dims), data: t.data });

/** One session.run; feeds and outputs as plain {type, dims, data}. */
export async function runModel(model, feeds, outputs = null) {
  const { ort, session } = model;
  const tensors = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toTensor(ort, v)]));
  const t = performance.now();
  const out = outputs ? await session.run(tensors, outputs) : await session.run(tensors);
  const ms = performance.now() - t;
  model.runs += 1;
  for (const x of Object.values(tensors)) x.dispose?.();
  return { outputs: Object.fromEntries(Object.entries(out).map(([k, v]) => [k, fromTensor(v)])), ms };
}

// Runs a session needs before its speed settles (tests/bench/classifier.py, "warm-up series"): the
// classifier's worker thread spent 190, 100, 120, 130, 110 ms of CPU on the first five runs of a fresh
// session, then 50 ms on every run from the sixth on (Chromium, median of 3 fresh browsers). Five
// warm-ups, and one to spare: the reader's photo is then at least the seventh run.
export const WARM_RUNS = 6;

// Requests in progress that are not loads (run, batches, a worker's own operations): warm-ups
// wait for them, so a reader's photo never queues behind a series of warm-up runs.
let active = 0;
let idle = [];
const whenIdle = () => (active === 0 ? Promise.resolve() : new Promise((resolve) => idle.push(resolve)));
function settle() {
  if (--active === 0) idle.splice(0).forEach((resolve) => resolve());
}

/** Runs on a black image (the manifest's input shape, batch 1) until the session has run
 *  `target` times in all, real requests included; each timed into model.warmMs. */
async function warmUp(model, target) {
  const { name, shape } = model.manifest.input;
  const dims = shape.map((d) => (typeof d === "number" ? d : 1));
  const feeds = { [name]: { type: "float32", dims, data: new Float32Array(dims.reduce((a, b) => a * b, 1)) } };
  while (model.runs < target && !model.released) {
    await yieldToMessages(); // a request sent meanwhile is counted in `active` before we look
    if (active > 0) {
      await whenIdle();
      continue; // its runs counted: look again
    }
    const { ms } = await runModel(model, feeds);
    model.warmMs.push(ms);
  }
}

/** Items [start, end) of a feed whose dim 0 counts items. */
function slice({ type, dims, data }, start, end) {
  const per = dims.slice(1).reduce((a, b) => a * b, 1);
  return { type, dims: [end - start, ...dims.slice(1)], data: data.subarray(start * per, end * per) };
}

function concat(parts) {
  const first = parts[0];
  const n = parts.reduce((a, p) => a + p.dims[0], 0);
  const data = new first.data.constructor(parts.reduce((a, p) => a + p.data.length, 0));
  let at = 0;
  for (const p of parts) { data.set(p.data, at); at += p.data.length; }
  return { type: first.type, dims: [n, ...first.dims.slice(1)], data };
}

const yieldToMessages = () => new Promise((resolve) => setTimeout(resolve, 0)); // lets a cancel in

async function runBatches(model, { feeds, batch, outputs = null }, signal, progress) {
  const n = Object.values(feeds)[0].dims[0];
  const size = Math.max(1, batch | 0);
  const parts = {};
  const ms = [];
  for (let start = 0; start < n; start += size) {
    signal.throwIfAborted();
    const end = Math.min(n, start + size);
    const part = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, slice(v, start, end)]));
    const r = await runModel(model, part, outputs);
    ms.push(r.ms);
    for (const [k, v] of Object.entries(r.outputs)) (parts[k] ??= []).push(v);
    progress({ done: end, total: n });
    await yieldToMessages();
  }
  return { outputs: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, concat(v)])), ms };
}

const OPS = {
  async load(args, { signal }) {
    let m = models.get(args.key);
    if (!m) {
      m = createModel(args, signal);
      models.set(args.key, m);
      m.catch(() => models.get(args.key) === m && models.delete(args.key)); // retried by the next load
    }
    const model = await m;
    if (args.warm && !model.warming) {
      model.warming = warmUp(model, args.warm === true ? WARM_RUNS : Number(args.warm)).catch(() => {});
    }
    return model.info;
  },
  async warmth({ key }) {
    const model = await getModel(key);
    return { runs: model.runs, warm_ms: model.warmMs.slice() };
  },
  async run({ key, feeds, outputs }) {
    return runModel(await getModel(key), feeds, outputs);
  },
  async batches(args, { signal, progress }) {
    return runBatches(await getModel(args.key), args, signal, progress);
  },
  async release({ key }) {
    const m = models.get(key);
    models.delete(key);
    if (m) {
      const model = await m;
      model.released = true;
      await model.warming; // a warm-up run in progress ends before the session does
      await model.session.release();
    }
    return true;
  },
};

/** ArrayBuffers and ImageBitmaps in a result (two levels deep), moved instead of copied. */
function transferables(value, depth = 0, out = []) {
  if (!value || typeof value !== "object" || depth > 3) return out;
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer && !out.includes(value.buffer)) out.push(value.buffer);
  } else if (typeof ImageBitmap !== "undefined" && value instanceof ImageBitmap) {
    out.push(value);
  } else {
    for (const v of Object.values(value)) transferables(v, depth + 1, out);
  }
  return out;
}

const QUIET = new Set(["load", "warmth", "release"]); // operations that run no model

const DOWNLOAD = /could not load|network|fetch|offline/i;

function errorReply(err) {
  const message = err && err.message ? err.message : String(err);
  return { name: (err && err.name) || "Error", message, download: DOWNLOAD.test(message) };
}

/**
 * Answer requests on `scope` (the worker's global). `handlers` add operations; each gets
 * (args, api) with api = {signal, progress(p), model(key) -> Promise<model>, run(model, feeds)}.
 */
export function serve(scope, handlers = {}) {
  const ops = { ...OPS, ...handlers };
  const jobs = new Map(); // request id -> AbortController
  scope.addEventListener("message", async ({ data }) => {
    const { id, op, args = {} } = data || {};
    if (op === "cancel") {
      jobs.get(args.target)?.abort(new DOMException("cancelled", "AbortError"));
      return;
    }
    const counted = !QUIET.has(op); // warm-ups wait for it
    if (counted) active++;
    const controller = new AbortController();
    jobs.set(id, controller);
    const api = {
      signal: controller.signal,
      progress: (progress) => scope.postMessage({ id, type: "progress", progress }),
      model: getModel,
      run: runModel,
    };
    try {
      if (!ops[op]) throw new Error(`unknown operation "${op}"`);
      const result = await ops[op](args, api);
      scope.postMessage({ id, type: "result", result }, transferables(result));
    } catch (err) {
      scope.postMessage({ id, type: "error", error: errorReply(err) });
    } finally {
      jobs.delete(id);
      if (counted) settle();
    }
  });
}
