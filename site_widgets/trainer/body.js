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
    features: { name: f.name, channels: f.channels, height: f.height, width: f.width },
    nFeatures: f.channels,
    arch: manifest.arch ?? null,
    // what head.json records of its body (exportHead.js): the file the activations came from
    describe: { model: entry.model, sha256: entry.sha256, arch: manifest.arch ?? null, preprocess: pre,
      input: manifest.input, features: f },
  };
}
