// "An image is numbers": the crop the bear classifier sees, zoomed down to its pixels'
// numbers; then the network's three scores (logits) for it, the softmax written out, and
// the cross-entropy for the label the reader picks.
//
// The image is the reader's photo (file picker or drop), or a teddy drawn in code
// (model.js) so there is something to look at before anyone gives one. It is decoded and
// cropped by the classifier's own modules (classifier/decode.js, classifier/preprocess.js:
// Pillow's arithmetic), and scored by the shipped model in the classifier's worker
// (classifier/model.js: one per page, whichever widget needs it first), asking the graph
// for its `logits` and `probabilities` outputs. The model loads when the reader comes to the widget (pointer or
// keyboard focus on it), gives a photo, or asks; never on page load.
//
// The root carries data-phase (loading | ready | error), data-source (drawn | photo),
// data-scored (yes | no: the image shown has its scores), data-x, data-y, data-label, data-show
// and data-runs (images scored so far).

import { decodeImage, memoryLimits } from "../classifier/decode.js";
import { prepare, sizeNote } from "../classifier/preprocess.js";
import { useModel } from "../classifier/model.js";
import { errorBox, statusLine } from "../common/ui.js";
import { readParam, writeParam } from "../common/urlstate.js";
import { checkLogits, clampPoint, syntheticImage } from "./model.js";
import { readState, writeState } from "./state.js";
import { buildView } from "./view.js";

const MANIFEST = "assets/models/bears.json";
const SAVE_MS = 250;

/** The manifest, checked for what this widget reads from it. */
function checkManifest(m) {
  const bad = (what) => { throw new Error(`bears.json: ${what}`); };
  if (!Array.isArray(m.labels) || m.labels.length < 2) bad("no `labels`");
  const p = m.preprocess || {};
  if (!(p.crop > 0 && p.resize >= p.crop)) bad("`preprocess` needs crop and resize");
  if (![p.mean, p.std].every((a) => Array.isArray(a) && a.length === 3)) bad("`preprocess` needs mean and std for 3 channels");
  if (!m.input || typeof m.input.name !== "string") bad("no `input.name`");
  if (!m.outputs || !m.outputs.logits || !m.outputs.probabilities) bad("the model lists no `logits` and `probabilities` outputs");
  return m;
}

/** The shipped model, run(data) -> {logits, probabilities}: the classifier's own (classifier/model.js's
 *  useModel), so a page with both widgets sets the model up once, in one worker. */
function modelRunner(ctx, manifestUrl, manifest) {
  const model = useModel(ctx, manifestUrl);
  const crop = manifest.preprocess.crop;
  return {
    get loaded() { return Boolean(model.ready); }, // set up (by either widget): the status line says less
    async run(data) {
      const feeds = { [manifest.input.name]: { type: "float32", dims: [1, 3, crop, crop], data } };
      const { outputs } = await model.run(feeds, ["logits", "probabilities"], ctx.signal);
      return { logits: outputs.logits.data, probabilities: outputs.probabilities.data };
    },
  };
}

/** An image as the widget keeps it: its crop (preprocess.js's prepare) and, once run, its scores. */
function imageFrom(rgba, width, height, manifest, source, caption, notes = []) {
  const prepared = prepare(rgba, width, height, manifest.preprocess);
  const small = sizeNote(width, height, manifest.preprocess);
  return { source, caption, prepared, notes: small ? [...notes, small] : notes, scores: null, scoring: null };
}

function drawnImage(manifest) {
  const { rgba, width, height } = syntheticImage();
  return imageFrom(rgba, width, height, manifest, "drawn",
    `A teddy drawn in code (${width} × ${height}), resized and cropped to what the network sees`);
}

/** The manifest, or null after showing why it could not be read. */
async function loadManifest(el, ctx, path) {
  const status = statusLine("widget-status");
  const error = errorBox("widget-error");
  el.replaceChildren(status.node, error.node);
  try {
    return checkManifest(await ctx.fetchJSON(path));
  } catch (err) {
    if (ctx.signal.aborted) return null;
    el.dataset.phase = "error";
    status.set("The model's description could not be read; the rest of the page works.", "error");
    error.show(err.message || String(err));
    return null;
  }
}

/** Score `current()` once per image: the network's logits and probabilities, then done(image). */
function scorer(ctx, model, labels, current, busy, done) {
  return () => {
    const mine = current();
    mine.scoring ??= (async () => {
      busy(model.loaded ? "Running the network…" : "Loading the network (a few megabytes, once)…", "loading");
      try {
        const out = await model.run(mine.prepared.data);
        mine.scores = { logits: checkLogits(out.logits, labels), probabilities: Array.from(out.probabilities) };
        if (current() === mine) done(); // else another image came meanwhile
      } catch (err) {
        mine.scoring = null; // a later approach or click retries
        if (!ctx.signal.aborted) busy(`The network could not run: ${err.message || err}`, "error");
      }
    })();
    return mine.scoring;
  };
}

export async function mount(el, ctx) {
  el.classList.add("inum");
  el.dataset.phase = "loading";
  const path = el.dataset.manifest || MANIFEST;
  const manifest = await loadManifest(el, ctx, path);
  if (!manifest) return;
  const { labels } = manifest;
  const size = manifest.preprocess.crop;
  const { state, notes } = readState(readParam, labels, size);
  const error = errorBox("widget-error");
  el.replaceChildren(error.node);
  let image = drawnImage(manifest);
  let runs = 0;
  // The address follows once the pointer rests: a moving mouse would rewrite it 60 times a
  // second, and browsers throttle (then ignore) history.replaceState called that often.
  let saving = null;
  ctx.onUnmount(() => clearTimeout(saving));
  const save = () => {
    clearTimeout(saving);
    saving = setTimeout(() => { for (const [name, value] of writeState(state, labels, size)) writeParam(name, value); }, SAVE_MS);
  };
  const refresh = () => {
    view.show(state, image);
    save();
    Object.assign(el.dataset, { source: image.source, scored: image.scores ? "yes" : "no", x: state.x, y: state.y,
      label: state.label, show: state.show, runs });
  };
  const score = scorer(ctx, modelRunner(ctx, ctx.asset(path).href, manifest), labels, () => image,
    (text, kind) => view.scoresBusy(text, kind), () => { runs += 1; refresh(); });
  const use = (next) => {
    image = next;
    error.clear();
    refresh();
    return score();
  };
  const usePhoto = async (file) => {
    try {
      const d = await decodeImage(file, memoryLimits(navigator));
      d.bitmap?.close();
      if (ctx.signal.aborted) return;
      const name = file.name ? `“${file.name}”` : "Your photo";
      await use(imageFrom(d.rgba, d.width, d.height, manifest, "photo",
        `${name} (${d.width} × ${d.height}), resized and cropped to what the network sees`, d.notes));
    } catch (err) {
      if (!ctx.signal.aborted) error.show(err.message || String(err));
    }
  };
  const view = buildView(el, { manifest, notes, multilabelHref: ctx.asset("multilabel/").href }, {
    point: (x, y) => { Object.assign(state, clampPoint(x, y, size)); refresh(); },
    move: (dx, dy) => { Object.assign(state, clampPoint(state.x + dx, state.y + dy, size)); refresh(); },
    label: (lab) => { state.label = lab; refresh(); },
    show: (mode) => { state.show = mode; refresh(); },
    file: usePhoto,
    builtIn: () => use(drawnImage(manifest)),
    run: score,
    approach: () => { if (!image.scores) score(); },
  });
  ctx.onUnmount(view.stop);
  refresh();
  el.dataset.phase = "ready";
}
