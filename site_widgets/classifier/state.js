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
// }
//
// Photos are handled one at a time in the order given; a batch given while another runs
// waits for it. Every file given gets an answer: a result, or why not.

import { decide } from "./decision.js";

export const MAX_FILES = 50;

const TEXT = {
  idle: "The model loads when you give the first photo (or press “Load the model now”).",
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
export function createState({ model, limits = null, onChange = () => {}, now = () => performance.now() }) {
  const controller = new AbortController();
  const { signal } = controller;
  const s = {
    phase: "idle", status: { text: model.ready ? TEXT.ready : TEXT.idle, kind: model.ready ? "ready" : "idle" },
    error: "", notice: "", model: model.ready, items: [], selected: 0, runs: 0,
  };
  const emit = () => { if (!signal.aborted) onChange(s); };
  const setStatus = (text, kind, phase = s.phase) => { s.status = { text, kind }; s.phase = phase; emit(); };
  let queue = Promise.resolve();
  let busy = false;

  async function loadNow() {
    if (s.model) return;
    setStatus(TEXT.loading, "loading", "loading");
    try {
      s.model = await model.load();
      s.error = "";
      if (!busy) setStatus(TEXT.ready, "ready", "idle");
    } catch (err) {
      if (signal.aborted || busy) return;
      s.error = explain(err);
      setStatus("The model could not be loaded.", "error", "error");
    }
  }

  function progress(item, index, total) {
    if (!s.model) return setStatus(TEXT.loading, "loading", "loading");
    if (total > 1) return setStatus(`Classifying photo ${index + 1} of ${total}…`, "loading", "working");
    return setStatus(item.stage === "classifying" ? "Classifying…" : `Reading “${item.name}”…`, "loading", "working");
  }

  async function runItem(file, item, index, total, via, given) {
    item.status = "working";
    progress(item, index, total);
    try {
      const r = await model.classify(file, limits, signal, ({ stage }) => { item.stage = stage; progress(item, index, total); });
      s.model = r.model;
      item.result = { ...r, decision: decide(r.probs, r.model.manifest), totalMs: now() - given, via };
      item.status = "done";
    } catch (err) {
      if (signal.aborted) return;
      item.status = "error";
      item.kind = err && err.name === "ImageInputError" ? "input" : "failure";
      item.error = explain(err);
      if (item.kind !== "input") console.warn(err);
    }
    s.runs++;
    emit();
  }

  function finish(items) {
    const done = items.filter((it) => it.status === "done").length;
    if (items.length === 1) {
      const it = items[0];
      if (done) return setStatus(TEXT.done, "ready", "done");
      return setStatus(it.kind === "input" ? "That file cannot be classified." : "The classifier failed.", "error", "error");
    }
    const failed = items.length - done;
    setStatus(`Done: ${done} of ${items.length} photos classified${failed ? `, ${failed} could not be` : ""}. ` +
      "Choose one in the list to see it.", done ? "ready" : "error", done ? "done" : "error");
  }

  async function runBatch(files, via, given, notice) {
    if (signal.aborted) return;
    busy = true;
    close(s.items);
    s.items = files.map((f) => ({ name: nameOf(f, via), status: "waiting" }));
    Object.assign(s, { selected: 0, notice, error: "" });
    for (let i = 0; i < files.length && !signal.aborted; i++) {
      const item = s.items[i];
      if (i > 0 && !s.model && s.items[i - 1].kind === "failure") { // the model did not load: do not retry it 49 times
        Object.assign(item, { status: "error", kind: "failure", error: "Not classified: the model could not be loaded (see the first photo)." });
        s.runs++;
        continue;
      }
      await runItem(files[i], item, i, files.length, via, given);
    }
    busy = false;
    if (!signal.aborted) finish(s.items);
  }

  return {
    state: s,
    loadNow,
    /** Classify files (a FileList or an array); each gets a result or a reason. */
    give(files, via) {
      const list = Array.from(files || []);
      if (!list.length) return queue;
      const notice = list.length > MAX_FILES
        ? `${list.length} files were given: the first ${MAX_FILES} are classified. Give the others in another batch.` : "";
      const given = now();
      queue = queue.then(() => runBatch(list.slice(0, MAX_FILES), via, given, notice));
      return queue;
    },
    /** Something was given that is not a file (a link, text): say so, and clear the last result. */
    refuse(message) {
      queue = queue.then(() => {
        close(s.items);
        Object.assign(s, { items: [], selected: 0, notice: "", error: message });
        s.runs++;
        setStatus("Nothing to classify.", "error", "error");
      });
      return queue;
    },
    select(i) {
      if (i >= 0 && i < s.items.length) { s.selected = i; emit(); }
    },
    /** The widget is gone: stop its work (the worker drops its requests) and free its images. */
    dispose() {
      controller.abort();
      close(s.items);
    },
  };
}

function close(items) {
  for (const it of items) it.result?.display?.close?.();
}
