// The trainer's worker: the shared ONNX engine (../onnx/engine.js: load, run, cancel) plus
// the two steps of the frozen stage, with the classifier's own decoding and cropping:
//
//   crop  {file, resize, crop, normalize?, rgb?}
//         -> {data: float32 3 x crop x crop, notes, width, height, rgb?, times: {decode, resize} (ms)}
//         decode.js (sniffed, refused with a reason, EXIF-rotated, transparency on white), then
//         preprocess.js: the exact crop Python feeds the network; normalize {mean, std} when the
//         manifest says the graph does not normalize itself (body.js)
//   inspect {items: [{file, name, where}], limits} -> [{sha256, decodable, reason?}] (photos.js inspect:
//         reading, hashing and checking what the reader brought, off the page's thread)
//   embed {key, data, n, crop, inputName, features: {name, channels, height, width}, keep?}
//         -> {pooled: float32 n x channels, map?: the feature map of item `keep`, ms, times: {run, pool} (ms)}
//
// The times are what the extraction's breakdown adds up (extract.js): wall time inside this
// worker, so a loaded machine's waits are in them too.
//
// The page runs one of these workers for the body (it loads the model) and another one or two
// that only crop (they never load onnxruntime-web), so the next photos are decoded while the
// body runs on the current ones.

import { decodeImage } from "../classifier/decode.js";
import { prepare } from "../classifier/preprocess.js";
import { serve } from "../onnx/engine.js";
import { standardize } from "./body.js";
import { poolFeatures } from "./cam.js";
import { inspectAll } from "./photos.js";

async function crop({ file, resize, crop: side, normalize = null, rgb = false, limits }) {
  const t0 = performance.now();
  const decoded = await decodeImage(file, limits);
  decoded.bitmap?.close();
  const t1 = performance.now();
  const p = prepare(decoded.rgba, decoded.width, decoded.height, { resize, crop: side });
  if (normalize) standardize(p.data, side * side, normalize);
  const t2 = performance.now();
  return { data: p.data, rgb: rgb ? p.rgb : null, notes: decoded.notes, width: decoded.width, height: decoded.height,
    ms: t2 - t0, times: { decode: t1 - t0, resize: t2 - t1 } };
}

async function embed({ key, data, n, crop: side, inputName, features, keep = -1 }, api) {
  const model = await api.model(key);
  const feeds = { [inputName]: { type: "float32", dims: [n, 3, side, side], data } };
  const { outputs, ms } = await api.run(model, feeds, [features.name]);
  const t0 = performance.now();
  const fmap = outputs[features.name].data;
  const per = features.channels * features.height * features.width;
  const pooled = new Float32Array(n * features.channels);
  for (let i = 0; i < n; i++) pooled.set(poolFeatures(fmap.subarray(i * per, (i + 1) * per), features), i * features.channels);
  const map = keep >= 0 ? fmap.slice(keep * per, (keep + 1) * per) : null;
  return { pooled, map, ms, times: { run: ms, pool: performance.now() - t0 } };
}

const inspect = ({ items, limits }, api) => inspectAll(items, limits, api.signal);

serve(self, { crop, embed, inspect });
