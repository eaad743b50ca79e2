// The page's side of the ONNX worker (engine.js): promises for requests, progress
// callbacks, cancellation with an AbortSignal. No DOM beyond Worker itself.
//
//   const onnx = new OnnxClient(ctx.worker("onnx/worker.js"));      // ended on unmount
//   const info = await onnx.load({key: "bears", manifest: ctx.asset("assets/models/bears.json").href});
//   const {outputs, ms} = await onnx.run("bears", {image: {type: "float32", dims: [1, 3, 224, 224], data}});
//   const all = await onnx.batches("body", feeds, {batch: 16, signal, onProgress});
//   await onnx.load({key: "bears", manifest, warm: true});  // warm-up runs follow in the background
//
// Errors keep their name (AbortError, IntegrityError, ImageInputError...) and say whether
// a download failed (`err.download`): after such a failure the worker cannot start the
// runtime again, so `broken` turns true and the owner should start a new worker.

/** An Error rebuilt from the worker's {name, message, download}. */
export function remoteError({ name, message, download }) {
  const err = new Error(message);
  err.name = name || "Error";
  err.download = Boolean(download);
  return err;
}

const abortError = (signal) => signal?.reason instanceof Error ? signal.reason : new DOMException("cancelled", "AbortError");

export class OnnxClient {
  /** @param {Worker} worker  a module worker running engine.js's serve() */
  constructor(worker) {
    this.worker = worker;
    this.pending = new Map();
    this.next = 1;
    this.broken = false;
    worker.addEventListener("message", ({ data }) => this.#answer(data));
    // A worker that cannot start (its script missing offline, a syntax error) fires "error".
    worker.addEventListener("error", (ev) => {
      ev.preventDefault?.();
      this.#failAll(Object.assign(new Error(`the model worker could not start (${ev.message || "its script did not load"})`),
        { download: true }));
    });
  }

  #answer({ id, type, result, error, progress }) {
    const p = this.pending.get(id);
    if (!p) return; // cancelled meanwhile
    if (type === "progress") return p.onProgress?.(progress);
    this.pending.delete(id);
    p.cleanup();
    if (type === "result") p.resolve(result);
    else {
      const err = remoteError(error);
      if (err.download) this.broken = true;
      p.reject(err);
    }
  }

  #failAll(err) {
    this.broken = true;
    for (const p of this.pending.values()) { p.cleanup(); p.reject(err); }
    this.pending.clear();
  }

  /** Send one request; `transfer` moves buffers; `signal` cancels it (in the worker too). */
  call(op, args = {}, { signal = null, transfer = [], onProgress = null } = {}) {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.pending.delete(id);
        this.worker.postMessage({ op: "cancel", args: { target: id } });
        reject(abortError(signal));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const cleanup = () => signal?.removeEventListener("abort", onAbort);
      this.pending.set(id, { resolve, reject, onProgress, cleanup });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }

  load(args, opts) { return this.call("load", args, opts); }
  run(key, feeds, opts = {}) { return this.call("run", { key, feeds, outputs: opts.outputs }, opts); }
  batches(key, feeds, opts = {}) {
    return this.call("batches", { key, feeds, batch: opts.batch || 16, outputs: opts.outputs }, opts);
  }
  release(key) { return this.call("release", { key }); }
  /** {runs, warm_ms}: the model's runs so far and its warm-up runs' times (load's `warm`). */
  warmth(key) { return this.call("warmth", { key }); }

  /** End the worker; whatever was pending rejects with an AbortError. */
  terminate() {
    this.worker.terminate();
    this.#failAll(new DOMException("the model worker was stopped", "AbortError"));
    this.broken = true;
  }
}
