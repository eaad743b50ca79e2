// "An image is numbers", the arithmetic, with no DOM (the tests run it in Node against
// PyTorch): what the model receives for one pixel, the patch of pixels the zoom shows,
// the three scores turned into probabilities (softmax) and the loss for a chosen label
// (cross-entropy), and the built-in picture drawn in code, for when the reader gives none.

import { softmax } from "../thresholds/model.js";

/** One colour byte (0..255) as the network receives it: ToTensor's byte / 255, then the
 *  graph's (x − mean) / std, both in float32 like the graph computes them. */
export function normalise(byte, mean, std) {
  const f = Math.fround;
  const x = f(byte / 255);
  return f(f(x - f(mean)) / f(std));
}

/** The pixels of a size × size RGB crop (row-major bytes) around (cx, cy): rows of
 *  {x, y, rgb: [r, g, b]} for a (2·radius + 1)² square, clipped to the crop. */
export function patch(rgb, size, cx, cy, radius) {
  const rows = [];
  for (let y = Math.max(0, cy - radius); y <= Math.min(size - 1, cy + radius); y++) {
    const row = [];
    for (let x = Math.max(0, cx - radius); x <= Math.min(size - 1, cx + radius); x++) {
      const i = (y * size + x) * 3;
      row.push({ x, y, rgb: [rgb[i], rgb[i + 1], rgb[i + 2]] });
    }
    rows.push(row);
  }
  return rows;
}

/** A point kept inside a size × size crop, in whole pixels. */
export function clampPoint(x, y, size) {
  const c = (v) => Math.min(size - 1, Math.max(0, Math.round(v)));
  return { x: c(x), y: c(y) };
}

/** The scores the model gave, checked: one finite number per label, or a clear error. */
export function checkLogits(logits, labels) {
  const z = Array.from(logits || [], Number);
  if (z.length !== labels.length || !z.every(Number.isFinite)) {
    throw new Error(`the model gave ${z.length} score(s) (${z.join(", ")}), not ${labels.length} finite ones, one per label`);
  }
  return z;
}

/**
 * Softmax written out step by step: exps[i] = e^z[i], sum, probs[i] = exps[i] / sum.
 * The probabilities are computed from z − max(z) (the same numbers, without overflow);
 * `exps` and `sum` are the plain e^z the page shows, Infinity where e^z overflows.
 */
export function softmaxSteps(logits) {
  const z = Array.from(logits, Number);
  const exps = z.map((v) => Math.exp(v));
  return { logits: z, exps, sum: exps.reduce((a, b) => a + b, 0), probs: softmax(z) };
}

/** log(e^z0 + e^z1 + ...), computed without overflow. */
export function logSumExp(logits) {
  const max = Math.max(...logits);
  return max + Math.log(logits.reduce((a, v) => a + Math.exp(v - max), 0));
}

/** Cross-entropy of the scores for label k: −log softmax(z)[k] = logSumExp(z) − z[k]
 *  (what PyTorch's F.cross_entropy gives for one photo whose label is k). */
export function crossEntropy(logits, k) {
  if (!Number.isInteger(k) || k < 0 || k >= logits.length) throw new Error(`no label number ${k}`);
  return logSumExp(logits) - logits[k];
}

// ---------------------------------------------------------------- the built-in picture

const SHAPES = [ // a teddy's face: [kind, cx, cy, rx, ry, [r, g, b]] in a 320 × 240 frame
  ["disc", 102, 62, 30, 30, [120, 74, 38]], ["disc", 218, 62, 30, 30, [120, 74, 38]],
  ["disc", 102, 62, 15, 15, [206, 160, 112]], ["disc", 218, 62, 15, 15, [206, 160, 112]],
  ["disc", 160, 128, 78, 72, [139, 90, 45]],
  ["disc", 160, 160, 36, 27, [214, 176, 128]],
  ["disc", 160, 146, 13, 9, [40, 26, 20]],
  ["disc", 130, 110, 9, 9, [28, 20, 16]], ["disc", 190, 110, 9, 9, [28, 20, 16]],
  ["disc", 127, 107, 3, 3, [250, 250, 250]], ["disc", 187, 107, 3, 3, [250, 250, 250]],
];

/** How much of pixel (x, y) an ellipse covers, 0..1, with a one-pixel soft edge. */
function coverage(px, py, cx, cy, rx, ry) {
  const dx = (px - cx) / rx, dy = (py - cy) / ry;
  const d = Math.sqrt(dx * dx + dy * dy);
  const edge = (1 - d) * Math.min(rx, ry); // distance inside the edge, roughly in pixels
  return Math.min(1, Math.max(0, edge + 0.5));
}

/** The built-in picture: a teddy's face drawn in code on sky and grass, as RGBA bytes. */
export function syntheticImage(width = 320, height = 240) {
  const rgba = new Uint8ClampedArray(width * height * 4);
  const sx = width / 320, sy = height / 240;
  const shapes = SHAPES.map(([, cx, cy, rx, ry, col]) => ({ cx: cx * sx, cy: cy * sy, rx: rx * sx, ry: ry * sy, col }));
  for (let y = 0; y < height; y++) {
    const t = y / height;
    const ground = t < 0.7 ? [150 + 60 * t, 190 + 40 * t, 235] : [70 + 30 * (t - 0.7), 130 - 40 * (t - 0.7), 60];
    for (let x = 0; x < width; x++) {
      const c = [...ground];
      const px = x + 0.5, py = y + 0.5;
      for (const { cx, cy, rx, ry, col } of shapes) {
        if (Math.abs(px - cx) > rx + 1 || Math.abs(py - cy) > ry + 1) continue;
        const a = coverage(px, py, cx, cy, rx, ry);
        if (a === 0) continue;
        const shade = 1 + 0.18 * ((cx - px + cy - py) / (rx + ry)); // light from the top left
        for (let i = 0; i < 3; i++) c[i] = c[i] * (1 - a) + Math.min(255, col[i] * shade) * a;
      }
      const i = (y * width + x) * 4;
      rgba[i] = Math.round(c[0]); rgba[i + 1] = Math.round(c[1]); rgba[i + 2] = Math.round(c[2]); rgba[i + 3] = 255;
    }
  }
  return { rgba, width, height };
}
