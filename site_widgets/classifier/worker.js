// The classifier's worker: the generic ONNX engine (../onnx/engine.js: load, run, batches,
// cancel) plus one operation that does a photo's whole journey off the page:
//
//   classify {key, file | pixels, limits} -> {probs, decoded size, notes, crop RGB, display bitmap, timings}
//
// decode (decode.js: sniffed, refused with a reason, EXIF-rotated, transparency on white)
// -> the exact crop Python feeds the model (preprocess.js) -> the model. The photo is
// decoded while the model is still loading (the page sends load, then classify).
// `pixels` ({rgba, width, height, notes}) is for browsers whose workers lack OffscreenCanvas:
// the page decoded it.

import { serve } from "../onnx/engine.js";
import { decodeImage } from "./decode.js";
import { prepare } from "./preprocess.js";

const DISPLAY = 360; // the page shows the original at most this many pixels wide or high

async function classify({ key, file, pixels, limits }, api) {
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
  const { outputs, ms } = await api.run(model, feeds);
  const display = await displayCopy(decoded);
  return {
    probs: outputs[manifest.output.name].data, inferMs: ms, preMs, decodeMs: t1 - t0,
    width: decoded.width, height: decoded.height, notes: decoded.notes,
    rgb: prepared.rgb, box: prepared.box, resized: prepared.resized, crop, resize, display,
  };
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
