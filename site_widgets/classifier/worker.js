// The classifier's worker: the generic ONNX engine (../onnx/engine.js: load, run, batches,
// cancel) plus one operation that does a photo's whole journey off the page:
//
//   classify {key, file | pixels, limits} -> {probs, code (the graph's decision, or null), decoded size, notes,
//                                             crop RGB, display bitmap, timings, runsBefore and
//                                             warmMs: the session's runs before this one, its warm-ups' times}
//
// decode (decode.js: sniffed, refused with a reason, EXIF-rotated, transparency on white)
// -> the exact crop Python feeds the model (preprocess.js) -> the model. The photo is
// decoded while the model is still loading (the page sends load, then classify).
// `pixels` ({rgba, width, height, notes}) is for browsers whose workers lack OffscreenCanvas:
// the page decoded it. `head` (the reader's head.json, trainer/myhead.js: "use my model"): the
// body's feature output goes through that head instead; probs then follow head.labels.

import { serve } from "../onnx/engine.js";
import { decodeImage } from "./decode.js";
import { prepare } from "./preprocess.js";
import { fits, headProbs } from "../trainer/myhead.js";

const DISPLAY = 360; // the page shows the original at most this many pixels wide or high

async function classify({ key, file, pixels, limits, head = null }, api) {
  const t0 = performance.now();
  const decoded = pixels || await decodeImage(file, limits);
  const t1 = performance.now();
  const model = await api.model(key);
  api.progress({ stage: "classifying" });
  const { manifest } = model;
  const { crop, resize } = manifest.preprocess;
  const t2 = performance.now();
  const prepared = prepare(decoded.rgba, decoded.width, decoded.height, manifest.preprocess);
  const preMs = performance.now() - t2;
  const feeds = { [manifest.input.name]: { type: "float32", dims: [1, 3, crop, crop], data: prepared.data } };
  if (head) checkHead(head, model);
  // The answer is the graph's own "decision" output when the model has one (export/graph.py): the
  // page shows the rule's result, it does not recompute it. A head of the reader's own has no rule
  // in the graph: its probabilities come from the feature map, and the page uses the softmax rule.
  const rule = !head && manifest.decision && manifest.decision.output;
  const wanted = head ? [head.body.features.name]
    : rule && model.info.outputNames.includes(rule) ? [manifest.output.name, rule] : null;
  const runsBefore = model.runs; // the session's earlier runs, warm-ups (engine.js) included
  const { outputs, ms } = await api.run(model, feeds, wanted);
  const probs = head ? headProbs(head, outputs[head.body.features.name].data) : outputs[manifest.output.name].data;
  const display = await displayCopy(decoded);
  return {
    probs, code: rule && wanted ? Number(outputs[rule].data[0]) : null,
    labels: head ? head.labels : manifest.labels, mine: Boolean(head), inferMs: ms, preMs, decodeMs: t1 - t0,
    runsBefore, warmMs: model.warmMs.slice(),
    width: decoded.width, height: decoded.height, notes: decoded.notes,
    rgb: prepared.rgb, box: prepared.box, resized: prepared.resized, crop, resize, display,
  };
}

/** "Use my model" needs the body the head was trained on, with its feature output. */
function checkHead(head, { entry, session }) {
  if (!fits(head, entry.sha256)) {
    throw new Error("your head was trained on another version of the site's network than the one this page loads: " +
      "train it again on the “Train your own” page");
  }
  if (!session.outputNames.includes(head.body.features.name)) {
    throw new Error(`this model has no "${head.body.features.name}" output for your head to read`);
  }
}

/** A small copy of the decoded image for the page to draw (the full bitmap stays here and is freed). */
async function displayCopy({ bitmap, width, height }) {
  if (!bitmap) return null;
  const scale = Math.min(1, DISPLAY / width, DISPLAY / height);
  try {
    return await createImageBitmap(bitmap, {
      resizeWidth: Math.max(1, Math.round(width * scale)), resizeHeight: Math.max(1, Math.round(height * scale)),
      resizeQuality: "high",
    });
  } finally {
    bitmap.close();
  }
}

serve(self, { classify });
