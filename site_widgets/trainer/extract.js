// The frozen stage: the body's activations of every photo, computed in Web Workers and
// cached (no DOM beyond Worker, which the caller makes).
//
// Photos already in the cache (store.js, by content) are not computed again. The others go
// through a pipeline: decoding workers decode and crop the next photos (worker.js `crop`)
// while the body's worker runs the current ones in small batches (`embed`), so the body is
// never idle waiting for a JPEG. Each result is cached as soon as it exists: a reload or a
// Cancel in the middle keeps everything computed so far. A photo the browser cannot decode
// is reported with its reason and the others carry on.
//
//   const ex = new Extractor({ makeWorker: () => ctx.worker("trainer/worker.js"), body, threads });
//   const { features, failed } = await ex.run(photos, { cache, signal, onProgress });

import { OnnxClient } from "../onnx/client.js";
import { SETTINGS } from "./settings.js";

const BODY = "body";
const now = () => performance.now();

/** A promise that `wake()` resolves; a loop awaits `waiter.wait()` until there is work. */
function waiter() {
  let waiting = [];
  return {
    wait: () => new Promise((r) => waiting.push(r)),
    wake() { const w = waiting; waiting = []; w.forEach((r) => r()); },
  };
}

export class Extractor {
  /** makeWorker(): a module Worker running trainer/worker.js; body: body.js readBody(); threads: for the body */
  constructor({ makeWorker, body, threads = 1, settings = SETTINGS.extract, limits = null }) {
    Object.assign(this, { makeWorker, body, threads, settings, limits, client: null, loading: null, decoders: [] });
  }

  /** The body's worker with the model loaded (a new worker after a failed download). */
  ensureBody(signal) {
    if (!this.client || this.client.broken) {
      this.client?.terminate();
      this.client = new OnnxClient(this.makeWorker());
      this.loading = null;
    }
    const client = this.client;
    this.loading ??= client.load({ key: BODY, manifest: this.body.manifestUrl, variant: this.body.variant,
      threads: this.threads }, { signal }).catch((err) => {
      if (this.client === client) this.loading = null; // the next call retries
      throw err;
    });
    return this.loading;
  }

  decoder(i) {
    if (!this.decoders[i] || this.decoders[i].broken) this.decoders[i] = new OnnxClient(this.makeWorker());
    return this.decoders[i];
  }

  /** A photo's crop (float32 CHW) and, with rgb, its bytes for drawing. ImageInputError if unreadable. */
  crop(file, { signal, rgb = false, worker = 0 } = {}) {
    const { resize, crop, normalize } = this.body;
    return this.decoder(worker).call("crop", { file, resize, crop, normalize, rgb, limits: this.limits }, { signal });
  }

  /** Pooled activations of n crops (their data concatenated); keep: also the feature map of that item. */
  async embed(data, n, { signal, keep = -1 } = {}) {
    await this.ensureBody(signal);
    const { crop, inputName, features } = this.body;
    return this.client.call("embed", { key: BODY, data, n, crop, inputName, features, keep },
      { signal, transfer: [data.buffer] });
  }

  /** For a class-activation map: the photo's crop (rgb bytes) and its feature map. */
  async featureMap(file, signal) {
    const c = await this.crop(file, { signal, rgb: true });
    const { map, pooled } = await this.embed(c.data, 1, { signal, keep: 0 });
    return { map, pooled, rgb: c.rgb, crop: this.body.crop, notes: c.notes };
  }

  /**
   * Activations of `photos` ([{sha256, file}], one per content): cached ones read, the others
   * computed. onProgress({done, total, cached, computed, failed, rate, eta}) after each step.
   * -> {features: Map sha256 -> Float32Array, failed: Map sha256 -> reason, cached, computed, ms}
   */
  async run(photos, { cache, signal, onProgress = () => {} }) {
    const t0 = now();
    const features = await cache.getMany(photos.map((p) => p.sha256));
    const todo = photos.filter((p) => !features.has(p.sha256));
    const job = { todo, next: 0, queue: [], decoding: 0, failed: new Map(), computed: 0, started: null,
      features, cache, signal, total: photos.length, cached: features.size, onProgress, saves: [] };
    job.more = waiter(); // the body waits for crops
    job.room = waiter(); // the decoders wait for room in the queue
    this.report(job);
    if (todo.length) {
      const loaded = this.ensureBody(signal);
      const decoders = Array.from({ length: Math.min(this.settings.decoders, todo.length) }, (_, i) => this.decodeLoop(job, i));
      try {
        await Promise.all([loaded, this.bodyLoop(job, loaded), ...decoders]);
      } finally {
        job.stopped = true;
        job.room.wake();
        job.more.wake();
      }
    }
    await Promise.allSettled(job.saves);
    return { features, failed: job.failed, cached: job.cached, computed: job.computed, ms: now() - t0 };
  }

  async decodeLoop(job, worker) {
    job.decoding++;
    try {
      while (job.next < job.todo.length && !job.stopped) {
        while (job.queue.length >= this.settings.ahead && !job.stopped) await job.room.wait();
        if (job.stopped) break;
        const photo = job.todo[job.next++];
        try {
          const { data } = await this.crop(photo.file, { signal: job.signal, worker });
          job.queue.push({ photo, data });
        } catch (err) {
          if (err.name !== "ImageInputError") throw err;
          job.failed.set(photo.sha256, err.message);
          this.report(job);
        }
        job.more.wake();
      }
    } finally {
      job.decoding--;
      job.more.wake();
    }
  }

  async bodyLoop(job, loaded) {
    await loaded;
    job.started = now(); // the rate counts from here: downloading the model is not computing
    const { batch } = this.settings;
    for (;;) {
      job.signal?.throwIfAborted();
      const waiting = job.next < job.todo.length || job.decoding > 0;
      if (job.queue.length < batch && waiting && !job.stopped) { await job.more.wait(); continue; }
      if (!job.queue.length) return;
      const items = job.queue.splice(0, batch);
      job.room.wake();
      await this.embedBatch(job, items);
    }
  }

  async embedBatch(job, items) {
    const per = items[0].data.length;
    const data = new Float32Array(items.length * per);
    items.forEach((it, i) => data.set(it.data, i * per));
    const { pooled } = await this.embed(data, items.length, { signal: job.signal });
    const C = this.body.nFeatures;
    items.forEach(({ photo }, i) => {
      const f = pooled.slice(i * C, (i + 1) * C);
      job.features.set(photo.sha256, f);
      job.saves.push(job.cache.put(photo.sha256, f));
    });
    job.computed += items.length;
    this.report(job);
  }

  report(job) {
    const seconds = job.started ? (now() - job.started) / 1000 : 0;
    const rate = seconds > 0 ? job.computed / seconds : null;
    const left = job.todo.length - job.computed - job.failed.size;
    job.onProgress({ done: job.cached + job.computed + job.failed.size, total: job.total, cached: job.cached,
      computed: job.computed, failed: job.failed.size, rate, eta: rate ? left / rate : null });
  }

  dispose() {
    this.client?.terminate();
    for (const d of this.decoders) d?.terminate();
    this.client = null;
    this.decoders = [];
  }
}
