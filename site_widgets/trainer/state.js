// What the trainer page is doing, with no DOM: the reader's photos, the split, the
// activations, the learning-rate finder, the head and its history, the interpretation, the
// cleaning, the session. The view (view*.js) draws this state; trainer.js turns the reader's
// actions into calls here; the work is done by the core (run.js and the modules it uses),
// extract.js (the workers) and store.js (the cache and the session).
//
// Every step runs under one AbortController at a time (Cancel, or the widget unmounted). A
// step that fails leaves the state as it was before it, with `error` saying why.
//
// Tested in Node with fakes for the workers and storage (tests/test_trainer_page_state.py).

import { fits, saveMyHead } from "./myhead.js";
import { macrotask } from "./pace.js";
import { check, inspectAll, markUndecodable, readEntries } from "./photos.js";
import { applyMarks, dataSets, findLr, fitHead, headFile, interpretOn, interpretValid, splitItems, suspectList } from "./run.js";
import { SETTINGS } from "./settings.js";
import { makeSession } from "./store.js";
import * as say from "./text.js";

const byContent = (items) => [...new Map(items.map((it) => [it.sha256, { sha256: it.sha256, file: it.blob }])).values()];

export class TrainerState {
  /**
   * deps: {body (body.js readBody) | null, bodyError, extractor (extract.js), cache (store.js
   * activationCache), sessions (store.js sessionStore), cleaner(list, blobs) -> {state}
   * (clean.js openCleaner), saveHead(json) (myhead.js saveMyHead), limits, onChange(state, part)}
   */
  constructor(deps) {
    this.deps = { saveHead: saveMyHead, cleaner: null, ...deps };
    this.job = null;
    this.s = {
      body: deps.body, bodyError: deps.bodyError ?? null, busy: null, error: null, notice: null,
      restored: null, read: [], check: null, photos: [], split: null, progress: null, extracted: null,
      features: new Map(), lr: null, picked: null, epochs: SETTINGS.fit.epochs, fit: null, interp: null,
      cleaner: null, suspects: null, before: null, after: null, headSaved: null, storage: deps.cache?.status() ?? null,
    };
  }

  emit(part = "all") {
    this.deps.onChange?.(this.s, part);
  }

  /** Run one step: a fresh AbortController, busy set while it runs, its error kept. */
  async step(name, fn) {
    this.job?.abort();
    const job = (this.job = new AbortController());
    Object.assign(this.s, { busy: name, error: null, notice: null, lastStep: null });
    this.emit();
    try {
      return await fn(job.signal);
    } catch (err) {
      if (err?.name === "AbortError") this.s.notice = say.cancelled(name);
      else Object.assign(this.s, { error: say.failure(name, err), lastStep: name });
      if (err?.name !== "AbortError") console.warn(err);
      return null;
    } finally {
      if (this.job === job) { this.job = null; this.s.busy = null; }
      this.s.storage = this.deps.cache?.status() ?? null;
      this.emit();
    }
  }

  /** Retry: the step that failed last (after a failed download, say), or the activations left to compute. */
  retry() {
    const again = { lrfind: "findLr", training: "fit", retraining: "retrain", ranking: "rankSuspects" }[this.s.lastStep];
    return again ? this[again]() : this.extract();
  }

  cancel() {
    this.job?.abort(new DOMException("cancelled", "AbortError"));
  }

  dispose() {
    this.cancel();
    this.camJob?.abort();
    this.deps.extractor?.dispose();
  }

  // ---------------------------------------------------------------- 1. photos

  /** The session saved last time, shown until the reader brings photos. */
  async restore() {
    if (!this.deps.sessions || !this.s.body) return;
    const { session, problem, stale } = await this.deps.sessions.load({ modelSha256: this.s.body.sha256 });
    this.s.restored = session ? { session } : stale ? { session: null, problem } : null;
    if (session?.lr) this.s.picked = session.lr;
    if (session?.epochs) this.s.epochs = session.epochs;
    this.emit();
  }

  /** Photos given: a folder replaces what was there; files per label and the camera add to it. */
  async bring(entries, { replace }) {
    if (!entries.length) { this.s.error = say.nothingGiven(); this.emit(); return; }
    const keep = replace ? [] : this.s.read.map((e) => ({ file: e.blob, path: e.path, label: e.label }));
    const all = [...keep, ...entries];
    const done = await this.step("reading", (signal) => readEntries(all, {
      limits: this.deps.limits, signal, maxPhotos: SETTINGS.limits.maxPhotos, inspectMany: this.inspectMany(),
      onProgress: (d, t) => { this.s.progress = { done: d, total: t }; this.emit("progress"); },
    }));
    if (!done) return;
    if (done.tooMany) { this.s.error = done.tooMany; this.emit(); return; }
    this.s.read = done.entries;
    this.useCheck(done.check);
    if (!this.s.check.ok || !this.s.body) return;
    await macrotask(); // the check is drawn in a task of its own, the activations start in the next
    await this.extract();
  }

  /** Reading the files in the extractor's worker, off the page's thread; here if that worker fails to start. */
  inspectMany() {
    const ex = this.deps.extractor;
    if (!ex?.inspect) return null;
    return (items, signal) => ex.inspect(items, signal).catch((err) => {
      if (err?.name === "AbortError") throw err;
      return inspectAll(items, this.deps.limits, signal);
    });
  }

  useCheck(result) {
    Object.assign(this.s, { check: result, photos: result.items, split: result.ok ? splitItems(result.items) : null,
      extracted: null, lr: null, fit: null, interp: null, suspects: null, cleaner: null, before: null, after: null });
    this.emit();
  }

  // ---------------------------------------------------------------- 3. activations

  async extract() {
    const photos = byContent(this.s.photos);
    const res = await this.step("extracting", (signal) => this.deps.extractor.run(photos, {
      cache: this.deps.cache, signal,
      onProgress: (p) => { this.s.progress = p; this.emit("progress"); },
    }));
    if (!res) return;
    this.s.features = res.features;
    if (res.failed.size) { // photos the browser could not decode: left out, the split made again
      this.s.read = markUndecodable(this.s.read, res.failed);
      this.useCheck(check(this.s.read, SETTINGS.limits.maxPhotos));
    }
    const rate = res.computed && res.ms ? res.computed / (res.ms / 1000) : null;
    this.s.extracted = { ...res, rate, failedCount: res.failed.size };
    await this.saveSession();
    if (!this.s.check.ok) return;
    await macrotask();
    await this.findLr();
  }

  /** The photos, their split and their activations as data sets (null until all are there). */
  data() {
    const { photos, split, features, body } = this.s;
    if (!split || !photos.every((p) => features.has(p.sha256))) return null;
    return dataSets(photos, split, features, body.nFeatures);
  }

  // ---------------------------------------------------------------- 4. learning-rate finder

  async findLr() {
    const d = this.data();
    if (!d) return;
    const res = await this.step("lrfind", (signal) => findLr(d.train, this.s.split.classes.length, { signal }));
    if (!res) return;
    this.s.lr = res;
    this.s.picked ??= res.suggested_lr;
    this.emit("lr");
  }

  pickLr(lr) {
    if (Number.isFinite(lr) && lr > 0) this.s.picked = lr;
    this.emit("controls");
  }

  setEpochs(n) {
    const { min, max } = SETTINGS.controls.epochs;
    if (Number.isInteger(n)) this.s.epochs = Math.min(max, Math.max(min, n));
    this.emit("controls");
  }

  // ---------------------------------------------------------------- 5. one cycle, 6. interpret

  /** Train a fresh head on the current photos and labels: -> {head, history, seconds, interp} or null. */
  async train({ items = this.s.photos, split = this.s.split, part = "fit" } = {}) {
    const d = items === this.s.photos ? this.data() : dataSets(items, split, this.s.features, this.s.body.nFeatures);
    if (!d) return null;
    const epochs = this.s.epochs;
    const maxLr = this.s.picked ?? SETTINGS.fit.maxLr;
    const live = { batches: [], epochs: [], epochsWanted: epochs, maxLr, nb: Math.ceil(d.train.n / SETTINGS.fit.bs) };
    if (part === "fit") this.s.fit = { live };
    const run = await this.step(part === "fit" ? "training" : "retraining", (signal) =>
      fitHead(d.train, d.valid, split.classes.length, { epochs, maxLr, signal,
        onBatch: (b) => { live.batches.push(b); this.emit(part); },
        onEpoch: (e) => { live.epochs.push(e); this.emit(part); } }));
    if (!run) return null;
    const interp = interpretValid(run.head, d.valid, items, split);
    return { ...run, live, epochs, maxLr, interp, valid: d.valid, items, split };
  }

  async fit() {
    const run = await this.train();
    if (!run) return;
    Object.assign(this.s, { fit: run, interp: run.interp, before: null, after: null });
    await this.keepHead(run);
    this.emit();
    await macrotask(); // the trained head is drawn in one task, the ranking starts in the next (each redraws the page)
    await this.rankSuspects();
  }

  async keepHead(run) {
    const json = headFile(run.head, run.split.classes, this.s.body.describe, run);
    this.s.headJson = json;
    const saved = this.deps.saveHead(json);
    this.s.headSaved = saved.ok ? "yes" : saved.problem;
    await this.saveSession();
  }

  /** A class-activation map of photo `index` (its own AbortController: it runs beside the other steps). */
  async cam(index) {
    const photo = this.s.photos[index];
    const run = this.s.after ?? this.s.fit;
    if (!photo?.blob || !run?.head) return;
    this.camJob?.abort();
    const job = (this.camJob = new AbortController());
    const row = run.interp.top_losses.find((r) => r.item === index);
    const pred = run.split.classes.indexOf(row?.pred ?? photo.label);
    this.s.cam = { file: photo.file, index, busy: true };
    this.emit("cam");
    try {
      const res = await this.deps.extractor.featureMap(photo.blob, job.signal);
      this.s.cam = { file: photo.file, index, map: res.map, rgb: res.rgb, crop: res.crop, dims: this.s.body.features, pred, label: null };
    } catch (err) {
      if (err?.name !== "AbortError") this.s.cam = { file: photo.file, index, error: say.failure("cam", err) };
    }
    this.emit("cam");
  }

  camLabel(k) {
    if (this.s.cam?.map) this.s.cam.label = k;
    this.emit("cam");
  }

  // ---------------------------------------------------------------- 7. clean

  async rankSuspects() {
    const d = this.data();
    if (!d) return;
    const list = await this.step("ranking", (signal) => suspectList(d.all, this.s.photos, this.s.split.classes, { signal }));
    if (!list) return;
    this.s.suspects = list;
    this.s.cleaner = this.deps.cleaner?.(list, new Map(this.s.photos.map((p) => [p.file, p.blob]))) ?? null;
    this.emit();
  }

  /** Retrain on the photos as marked; before/after on the same (cleaned) validation photos. */
  async retrain() {
    const marks = this.s.cleaner ? new Map([...this.s.cleaner.state.marks]) : new Map();
    const cleaned = applyMarks(this.s.photos, this.s.split, marks);
    const before = this.s.fit;
    const run = await this.train({ items: cleaned.items, split: cleaned.split, part: "retrain" });
    if (!run) return;
    const old = interpretOn(before.head, run.valid, cleaned.items, cleaned.split);
    this.s.before = { interp: before.interp, onCleaned: old, marks: marks.size };
    this.s.after = run;
    await this.keepHead(run);
    this.emit();
  }

  // ---------------------------------------------------------------- 8. keep

  async saveSession() {
    if (!this.deps.sessions || !this.s.body || !this.s.photos.length) return;
    const { sha256, crop } = this.s.body;
    const res = await this.deps.sessions.save(makeSession({ modelSha256: sha256, crop, labels: this.s.check.classes,
      files: this.s.photos, lr: this.s.picked, epochs: this.s.epochs, head: this.s.headJson ?? null }));
    this.s.sessionSaved = res.saved ? "yes" : res.problem;
  }

  /** Whether the production page can use the head (same body). */
  headFits() {
    return fits(this.s.headJson, this.s.body?.sha256);
  }
}
