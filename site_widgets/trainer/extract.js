// The frozen stage: the body's activations of every photo, computed in Web Workers and
// cached (no DOM beyond Worker, which the caller makes).
//
// Photos already in the cache (store.js, by content) are not computed again. The others go
// through a pipeline: decoding workers decode and crop the next photos (worker.js `crop`)
// while the body's worker runs the current ones in small batches (`embed`), so the body is
// never idle waiting for a JPEG. The pixels go from the decoding worker straight to the body's
// over a MessageChannel: the page only says which crops make the next batch, so the hundreds
// of megabytes of pixels of a large folder never pass through (nor get collected on) its
// thread. Each result is cached as soon as it exists: a reload or a
// Cancel in the middle keeps everything computed so far. A photo the browser cannot decode
// is reported with its reason and the others carry on.
//
//   const ex = new Extractor({ makeWorker: () => ctx.worker("trainer/worker.js"), body, threads });
//   const { features, failed, profile } = await ex.run(photos, { cache, signal, onProgress });
//
// `profile` says where the time went (ms summed over the photos computed, and per photo):
// decode and resize (inside the decoding worker), crop_call (a crop's round trip), gather
// (the body's worker waiting for the batch's pixels from the decoding worker), run and pool (the body's session.run and the
// averaging of its feature map), embed_call (a batch's round trip), body_waiting (the body's
// worker idle, waiting for crops), cache_read / cache_write (IndexedDB, one transaction per
// batch). Wall times: on a loaded machine other processes' slices are in them.

import { OnnxClient } from "../onnx/client.js";
import { SETTINGS } from "./settings.js";

const BODY = "body";
const now = () => performance.now();
const STAGES = ["decode", "resize", "crop_call", "gather", "run", "pool", "embed_call", "body_waiting", "cache_read", "cache_write"];

/** The time sums of one run: add(stage, ms), then summary() -> {photos, batches, ms, per_photo_ms}. */
function breakdown() {
  const ms = Object.fromEntries(STAGES.map((k) => [k, 0]));
  const out = { photos: 0, batches: 0, ms };
  out.add = (stage, t) => { ms[stage] += t; };
  out.summary = () => {
    const round = (x) => Math.round(x * 10) / 10;
    const per = Object.fromEntries(STAGES.map((k) => [k, out.photos ? round(ms[k] / out.photos) : null]));
    return { photos: out.photos, batches: out.batches, ms: Object.fromEntries(STAGES.map((k) => [k, Math.round(ms[k])])), per_photo_ms: per };
  };
  return out;
}

/** The crops' pixels in one array, or null when every crop went to the body's worker already. */
function pixels(items) {
  if (items.every((it) => it.id !== null)) return null;
  const per = items[0].data.length;
  const data = new Float32Array(items.length * per);
  items.forEach((it, i) => data.set(it.data, i * per));
  return data;
}

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
  constructor({ makeWorker, body, threads = 1, settings = SETTINGS.extract, limits = null, options = {} }) {
    Object.assign(this, { makeWorker, body, threads, settings, limits, options, client: null, loading: null, decoders: [], nextId: 0 });
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
      threads: this.threads, options: this.options }, { signal }).catch((err) => {
      if (this.client === client) this.loading = null; // the next call retries
      throw err;
    });
    return this.loading;
  }

  decoder(i) {
    if (!this.decoders[i] || this.decoders[i].broken) this.decoders[i] = new OnnxClient(this.makeWorker());
    return this.decoders[i];
  }

  /** Decoder i with its crops going straight to the body's worker (a MessageChannel, made
   *  again when either worker is new). Call after ensureBody. */
  linked(i) {
    const d = this.decoder(i);
    if (this.client && d.linkedTo !== this.client) {
      const { port1, port2 } = new MessageChannel();
      this.client.call("link", { port: port1, role: "body" }, { transfer: [port1] }).catch(() => {});
      d.call("link", { port: port2, role: "decoder" }, { transfer: [port2] }).catch(() => {});
      d.linkedTo = this.client;
    }
    return d;
  }

  /** A photo's crop (float32 CHW) and, with rgb, its bytes for drawing. ImageInputError if unreadable.
   *  With `send` (an id), the pixels go to the body's worker instead: {sent: true, data: null}. */
  crop(file, { signal, rgb = false, worker = 0, send = null } = {}) {
    const { resize, crop, normalize } = this.body;
    const d = send === null ? this.decoder(worker) : this.linked(worker);
    return d.call("crop", { file, resize, crop, normalize, rgb, limits: this.limits, send }, { signal });
  }

  /** Read, hash and check files in a decoding worker: [{file, name, where}] -> photos.js inspect() results. */
  inspect(items, signal) {
    return this.decoder(0).call("inspect", { items, limits: this.limits }, { signal });
  }

  /** Pooled activations of n crops: their data concatenated, or the ids of crops sent to the body's
   *  worker (crop's `send`); keep: also the feature map of that item. */
  async embed(data, n, { signal, keep = -1, ids = null } = {}) {
    await this.ensureBody(signal);
    const { crop, inputName, features } = this.body;
    return this.client.call("embed", { key: BODY, data, ids, n, crop, inputName, features, keep },
      { signal, transfer: data ? [data.buffer] : [] });
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
   * -> {features: Map sha256 -> Float32Array, failed: Map sha256 -> reason, cached, computed, ms, profile}
   */
  async run(photos, { cache, signal, onProgress = () => {} }) {
    const t0 = now();
    const profile = breakdown();
    const features = await cache.getMany(photos.map((p) => p.sha256));
    profile.add("cache_read", now() - t0);
    const todo = photos.filter((p) => !features.has(p.sha256));
    const job = { todo, next: 0, queue: [], decoding: 0, failed: new Map(), computed: 0, started: null,
      features, cache, signal, total: photos.length, cached: features.size, onProgress, saves: [], profile };
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
        this.client?.call("forget", { below: this.nextId }).catch(() => {}); // crops a Cancel left behind
      }
    }
    await Promise.allSettled(job.saves);
    return { features, failed: job.failed, cached: job.cached, computed: job.computed, ms: now() - t0,
      profile: profile.summary() };
  }

  async decodeLoop(job, worker) {
    job.decoding++;
    try {
      while (job.next < job.todo.length && !job.stopped) {
        while (job.queue.length >= this.settings.ahead && !job.stopped) await job.room.wait();
        if (job.stopped) break;
        const photo = job.todo[job.next++];
        try {
          const t = now();
          const id = this.nextId++;
          const { data, sent, times } = await this.crop(photo.file, { signal: job.signal, worker, send: id });
          job.profile.add("crop_call", now() - t);
          job.profile.add("decode", times.decode);
          job.profile.add("resize", times.resize);
          job.queue.push({ photo, data, id: sent ? id : null });
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
      if (job.queue.length < batch && waiting && !job.stopped) {
        const t = now();
        await job.more.wait();
        job.profile.add("body_waiting", now() - t);
        continue;
      }
      if (!job.queue.length) return;
      const items = job.queue.splice(0, batch);
      job.room.wake();
      await this.embedBatch(job, items);
    }
  }

  async embedBatch(job, items) {
    const sent = items.filter((it) => it.id !== null);
    if (sent.length && sent.length < items.length) { // a decoder lost its link mid-run: two calls
      await this.embedBatch(job, sent);
      return this.embedBatch(job, items.filter((it) => it.id === null));
    }
    const t = now();
    const { pooled, times } = await this.embed(pixels(items), items.length,
      { signal: job.signal, ids: items.every((it) => it.id !== null) ? items.map((it) => it.id) : null });
    const { profile } = job;
    profile.add("embed_call", now() - t);
    profile.add("gather", times.gather);
    profile.add("run", times.run);
    profile.add("pool", times.pool);
    const C = this.body.nFeatures;
    const batch = items.map(({ photo }, i) => [photo.sha256, pooled.slice(i * C, (i + 1) * C)]);
    for (const [sha, f] of batch) job.features.set(sha, f);
    const t1 = now();
    job.saves.push(job.cache.putMany(batch).finally(() => profile.add("cache_write", now() - t1)));
    job.computed += items.length;
    profile.photos += items.length;
    profile.batches++;
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
