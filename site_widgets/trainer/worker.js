// The trainer's worker: the shared ONNX engine (../onnx/engine.js: load, run, cancel) plus
// the two steps of the frozen stage, with the classifier's own decoding and cropping:
//
//   crop  {file, resize, crop, normalize?, rgb?, send?}
//         -> {data: float32 3 x crop x crop, notes, width, height, rgb?, times: {decode, resize} (ms)}
//         with `send` (an id) and a link: the pixels go to the body's worker instead (data null, sent true)
//         decode.js (sniffed, refused with a reason, EXIF-rotated, transparency on white), then
//         preprocess.js: the exact crop Python feeds the network; normalize {mean, std} when the
//         manifest says the graph does not normalize itself (body.js)
//   inspect {items: [{file, name, where}], limits} -> [{sha256, decodable, reason?}] (photos.js inspect:
//         reading, hashing and checking what the reader brought, off the page's thread)
//   link  {port, role: "body" | "decoder"}: the two ends of a MessageChannel between a decoding
//         worker and the body's, for crops sent with `send`; forget {below}: ids of an ended run
//   embed {key, data | ids, n, crop, inputName, features: {name, channels, height, width}, keep?}
//         data: the pixels; or ids: crops sent here by a decoding worker (waited for)
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

// Crops going straight from a decoding worker to the body's, over a MessageChannel (`link`):
// the page never holds their pixels (3 x 224 x 224 floats each), it only says which to run.
let toBody = null; // a decoding worker: where crops sent with `send` go
const arrived = new Map(); // the body's worker: crop id -> pixels not yet asked for
const asked = new Map(); // crop id -> resolve, for pixels asked for before they arrived
let floor = 0; // ids below this belong to a finished run: dropped on arrival

function receive({ data: { id, data } }) {
  if (id < floor) return;
  if (asked.has(id)) { asked.get(id)(data); asked.delete(id); } else arrived.set(id, data);
}

function take(id, signal) {
  if (arrived.has(id)) { const d = arrived.get(id); arrived.delete(id); return Promise.resolve(d); }
  return new Promise((resolve, reject) => {
    asked.set(id, resolve);
    signal.addEventListener("abort", () => { asked.delete(id); reject(signal.reason); }, { once: true });
  });
}

const link = ({ port, role }) => {
  if (role === "body") port.onmessage = receive;
  else toBody = port;
  return true;
};

/** The body's worker forgets crops of ids below `below` (a run ended: cancelled ones never get asked for). */
const forget = ({ below }) => {
  floor = Math.max(floor, below);
  for (const id of arrived.keys()) if (id < floor) arrived.delete(id);
  return true;
};

async function crop({ file, resize, crop: side, normalize = null, rgb = false, limits, send = null }) {
  const t0 = performance.now();
  const decoded = await decodeImage(file, limits);
  decoded.bitmap?.close();
  const t1 = performance.now();
  const p = prepare(decoded.rgba, decoded.width, decoded.height, { resize, crop: side });
  if (normalize) standardize(p.data, side * side, normalize);
  const t2 = performance.now();
  let data = p.data;
  if (send !== null && toBody) {
    toBody.postMessage({ id: send, data }, [data.buffer]);
    data = null;
  }
  return { data, sent: data === null, rgb: rgb ? p.rgb : null, notes: decoded.notes, width: decoded.width, height: decoded.height,
    ms: t2 - t0, times: { decode: t1 - t0, resize: t2 - t1 } };
}

/** The pixels of crops sent to this worker, in order, as one batch. */
async function gather(ids, signal) {
  const parts = await Promise.all(ids.map((id) => take(id, signal)));
  const data = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { data.set(p, at); at += p.length; }
  return data;
}

async function embed({ key, data = null, ids = null, n, crop: side, inputName, features, keep = -1 }, api) {
  const model = await api.model(key);
  const t = performance.now();
  const pixels = data ?? await gather(ids, api.signal);
  const waited = performance.now() - t;
  const feeds = { [inputName]: { type: "float32", dims: [n, 3, side, side], data: pixels } };
  const { outputs, ms } = await api.run(model, feeds, [features.name]);
  const t0 = performance.now();
  const fmap = outputs[features.name].data;
  const per = features.channels * features.height * features.width;
  const pooled = new Float32Array(n * features.channels);
  for (let i = 0; i < n; i++) pooled.set(poolFeatures(fmap.subarray(i * per, (i + 1) * per), features), i * features.channels);
  const map = keep >= 0 ? fmap.slice(keep * per, (keep + 1) * per) : null;
  return { pooled, map, ms, times: { run: ms, pool: performance.now() - t0, gather: waited } };
}

const inspect = ({ items, limits }, api) => inspectAll(items, limits, api.signal);

serve(self, { crop, embed, inspect, link, forget });
