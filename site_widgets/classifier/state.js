// What the classifier widget is doing, with no DOM: the view (view.js) draws this state,
// the inputs (inputs.js) call give() and refuse(), and the model (model.js) does the work.
//
// state = {
//   phase: "idle" | "loading" | "working" | "done" | "error",
//   status: {text, kind},        kind: idle | loading | ready | error (the status line)
//   error: "",                   a message not tied to one photo (model load, a dropped link)
//   notice: "",                  e.g. that only the first MAX_FILES files of a drop are taken
//   model: null | info,          the set-up model (variant, threads, timings, manifest)
//   items: [{name, status: waiting|working|done|error, result?, error?, kind?}],
//   selected: 0,                 the item the details show
//   runs: 0,                     files handled so far (done or refused), for tests and readers
//   myHead: null | head.json,    the reader's own head (trained on the "Train your own" page)
//   mine: false,                 "use my model": photos go through myHead instead of the site's head
// }
//
// Photos are handled one at a time in the order given; a batch given while another runs
// waits for it. Every file given gets an answer: a result, or why not.

import { decide } from "./decision.js";

export const MAX_FILES = 50;

const TEXT = {
  idle: "The model loads as you come to this box, or when you give a photo (or press “Load the model now”).",
  preparing: "Getting the model ready (onnxruntime-web and the model, first time only)…",
  notYet: "The model could not be set up yet: it is tried again when you give a photo.",
  loading: "Loading the model and onnxruntime-web (first time only)…",
  ready: "Model ready: give it a photo.",
  done: "Done. Give it another photo whenever you like.",
};

/** A reader-facing message for an error from the model or the photo. */
export function explain(err) {
  if (err && err.name === "ImageInputError") return err.message;
  const msg = `Something went wrong: ${(err && err.message) || err}`;
  return err && err.download
    ? `${msg}. A file the classifier needs could not be downloaded: if you are offline, reconnect and give the photo again.`
    : msg;
}

const nameOf = (file, via) => file.name || (via === "photo" ? "camera photo" : "pasted image");

/**
 * @param {object} o
 * @param {{load, classify, ready}} o.model  model.js's useModel(...)
 * @param {object} o.limits                  decode.js's memoryLimits(navigator)
 * @param {(state) => void} o.onChange       called after every change
 */
export function createState(o) {
  return new ClassifierState(o);
}

class ClassifierState {
  constructor({ model, limits = null, onChange = () => {}, now = () => performance.now(), myHead = () => null, mine = false }) {
    Object.assign(this, { model, limits, onChange, now, myHead, queue: Promise.resolve(), busy: false });
    this.controller = new AbortController();
    this.signal = this.controller.signal;
    this.state = {
      phase: "idle", status: { text: model.ready ? TEXT.ready : TEXT.idle, kind: model.ready ? "ready" : "idle" },
      error: "", notice: "", model: model.ready, items: [], selected: 0, runs: 0, myHead: myHead(), mine: false,
    };
    this.state.mine = Boolean(mine && this.state.myHead);
    for (const name of ["loadNow", "prepare", "give", "refuse", "select", "dispose", "useMine"]) this[name] = this[name].bind(this);
  }

  emit() {
    if (!this.signal.aborted) this.onChange(this.state);
  }

  setStatus(text, kind, phase = this.state.phase) {
    Object.assign(this.state, { status: { text, kind }, phase });
    this.emit();
  }

  /** The "Load the model now" button: as prepare(), and a failure is explained at once. */
  loadNow() {
    return this.getReady(TEXT.loading, (err) => {
      this.state.error = explain(err);
      this.setStatus("The model could not be loaded.", "error", "error");
    });
  }

  /** Set up the model ahead of need: the reader came near the widget, or is choosing a photo.
   *  The status says so; a failure is explained when a photo is given (it retries the load). */
  prepare() {
    return this.getReady(TEXT.preparing, () => this.setStatus(TEXT.notYet, "idle", "idle"));
  }

  /** Load the model (once: a photo given meanwhile waits for the same load), then warm it up
   *  in the background (engine.js); `failed(err)` unless a photo has taken over the status. */
  async getReady(text, failed) {
    const s = this.state;
    if (s.model) return;
    if (!this.busy) this.setStatus(text, "loading", "loading");
    try {
      s.model = await this.model.load(true);
      if (this.busy) return this.emit();
      s.error = "";
      this.setStatus(TEXT.ready, "ready", "idle");
    } catch (err) {
      if (!this.signal.aborted && !this.busy) failed(err);
    }
  }

  /** Classify files (a FileList or an array); each gets a result or a reason. Batches wait their turn. */
  give(files, via) {
    const list = Array.from(files || []);
    if (!list.length) return this.queue;
    const notice = list.length > MAX_FILES
      ? `${list.length} files were given: the first ${MAX_FILES} are classified. Give the others in another batch.` : "";
    const given = this.now();
    this.queue = this.queue.then(() => this.runBatch(list.slice(0, MAX_FILES), via, given, notice));
    return this.queue;
  }

  /** Something was given that is not a file (a link, text): say so, and clear the last result. */
  refuse(message) {
    this.queue = this.queue.then(() => {
      close(this.state.items);
      Object.assign(this.state, { items: [], selected: 0, notice: "", error: message });
      this.state.runs++;
      this.setStatus("Nothing to classify.", "error", "error");
    });
    return this.queue;
  }

  /** The "use my model" switch: photos given from now on go through the reader's head. */
  useMine(on) {
    this.state.myHead = this.myHead(); // trained again in another tab meanwhile?
    this.state.mine = Boolean(on && this.state.myHead);
    this.emit();
  }

  select(i) {
    if (i >= 0 && i < this.state.items.length) {
      this.state.selected = i;
      this.emit();
    }
  }

  /** The widget is gone: stop its work (the worker drops its requests) and free its images. */
  dispose() {
    this.controller.abort();
    close(this.state.items);
  }

  async runBatch(files, via, given, notice) {
    const s = this.state;
    if (this.signal.aborted) return;
    this.busy = true;
    close(s.items);
    s.items = files.map((f) => ({ name: nameOf(f, via), status: "waiting" }));
    Object.assign(s, { selected: 0, notice, error: "" });
    for (let i = 0; i < files.length && !this.signal.aborted; i++) {
      const item = s.items[i];
      if (i > 0 && !s.model && s.items[i - 1].kind === "failure") { // the model did not load: do not retry it 49 times
        Object.assign(item, { status: "error", kind: "failure", error: "Not classified: the model could not be loaded (see the first photo)." });
        s.runs++;
        continue;
      }
      await this.runItem(files[i], item, i, files.length, via, given);
    }
    this.busy = false;
    if (!this.signal.aborted) this.finish(s.items);
  }

  async runItem(file, item, index, total, via, given) {
    const s = this.state;
    item.status = "working";
    this.progress(item, index, total);
    try {
      const onProgress = ({ stage }) => { item.stage = stage; this.progress(item, index, total); };
      const head = s.mine ? s.myHead : null;
      const r = await this.model.classify(file, this.limits, this.signal, onProgress, head);
      s.model = r.model;
      const rule = r.mine ? { labels: r.labels } : r.model.manifest; // a head of one's own: the softmax rule
      item.result = { ...r, decision: decide(r.probs, rule, r.mine ? null : r.code), totalMs: this.now() - given, via };
      item.status = "done";
    } catch (err) {
      if (this.signal.aborted) return;
      item.status = "error";
      item.kind = err && err.name === "ImageInputError" ? "input" : "failure";
      item.error = explain(err);
      if (item.kind !== "input") console.warn(err);
    }
    s.runs++;
    this.emit();
  }

  progress(item, index, total) {
    if (!this.state.model) return this.setStatus(TEXT.loading, "loading", "loading");
    if (total > 1) return this.setStatus(`Classifying photo ${index + 1} of ${total}…`, "loading", "working");
    return this.setStatus(item.stage === "classifying" ? "Classifying…" : `Reading “${item.name}”…`, "loading", "working");
  }

  finish(items) {
    const done = items.filter((it) => it.status === "done").length;
    if (items.length === 1) {
      if (done) return this.setStatus(TEXT.done, "ready", "done");
      return this.setStatus(items[0].kind === "input" ? "That file cannot be classified." : "The classifier failed.", "error", "error");
    }
    const failed = items.length - done;
    this.setStatus(`Done: ${done} of ${items.length} photos classified${failed ? `, ${failed} could not be` : ""}. ` +
      "Choose one in the list to see it.", done ? "ready" : "error", done ? "done" : "error");
  }
}

function close(items) {
  for (const it of items) it.result?.display?.close?.();
}
