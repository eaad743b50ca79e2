// The body the trainer trains heads on, read from the model's manifest: the ONE place the
// trainer reads it (no DOM). When the manifest changes shape, this file changes, nothing else.
//
// The body is the production classifier's network (same file, same weights); its manifest
// names, besides the classifier's output, a feature output: the body's last feature map,
//   features: {name, shape: ["N", C, h, w], channels: C, height: h, width: w}
// whose mean over h x w is what the classifier's own head reads. The trainer averages it into
// C activations per photo (cam.js poolFeatures) and weights it by a head for class-activation maps.

import { pickVariant } from "../onnx/manifest.js";

export class BodyError extends Error {
  name = "BodyError";
}

const isInt = (v) => Number.isInteger(v) && v > 0;

/** null when the graph normalizes its 0..1 input itself (the published models), else {mean, std}
 *  for the page to apply: the trainer follows whatever the manifest says. */
function normalization(pre) {
  if (/inside the graph/i.test(String(pre.normalization ?? "inside the graph"))) return null;
  const ok = (v) => Array.isArray(v) && v.length === 3 && v.every((x) => Number.isFinite(x));
  if (!ok(pre.mean) || !ok(pre.std) || pre.std.some((x) => x <= 0)) {
    throw new BodyError("The model's manifest says its input is not normalized inside the graph but gives no usable mean/std.");
  }
  return { mean: pre.mean, std: pre.std };
}

/** manifest (parsed bears.json) + its URL -> what the trainer needs of the body. Throws BodyError. */
export function readBody(manifest, manifestUrl) {
  const f = manifest?.features;
  if (!f || typeof f.name !== "string" || ![f.channels, f.height, f.width].every(isInt)) {
    throw new BodyError("The site's model has no feature output yet (the body's last feature map), which this page " +
      "trains on. It comes with the next model update; until then this page cannot compute activations.");
  }
  const { name: variant, entry } = pickVariant(manifest);
  const pre = manifest.preprocess || {};
  if (!isInt(pre.crop) || !isInt(pre.resize) || !manifest.input?.name) {
    throw new BodyError("The model's manifest does not say how to prepare a photo (preprocess.crop/resize, input.name).");
  }
  return {
    manifestUrl: String(manifestUrl),
    variant,
    sha256: entry.sha256,
    bytes: entry.bytes ?? null,
    inputName: manifest.input.name,
    crop: pre.crop,
    resize: pre.resize,
    normalize: normalization(pre),
    features: { name: f.name, channels: f.channels, height: f.height, width: f.width },
    nFeatures: f.channels,
    arch: manifest.arch ?? null,
    // what head.json records of its body (exportHead.js): the file the activations came from
    describe: { model: entry.model, sha256: entry.sha256, arch: manifest.arch ?? null, preprocess: pre,
      input: manifest.input, features: f },
  };
}

/** (x - mean[c]) / std[c] in place on float32 planes, channel-first (3 x `plane` values). */
export function standardize(data, plane, { mean, std }) {
  for (let c = 0; c < 3; c++) {
    const m = mean[c];
    const s = std[c];
    for (let i = c * plane, end = (c + 1) * plane; i < end; i++) data[i] = (data[i] - m) / s;
  }
  return data;
}
