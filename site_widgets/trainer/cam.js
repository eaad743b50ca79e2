// Class-activation maps: where in the photo the evidence for a label is (no DOM).
//
// The body ends with a feature map of C channels on an h x w grid, which it averages over
// the grid into the C activations the head reads. The head's logit for label c is
// bias[c] + sum_k weight[c][k] * mean(map_k), so weighting each channel of the map by the
// head's weights for c and summing over channels gives, per grid cell, that cell's share
// of the logit (Zhou et al. 2016, the lesson's CAM). Here: that sum, ReLU (only evidence
// for the label), divided by its maximum (0..1), then upsampled bilinearly to the crop
// the network saw (like torch's F.interpolate(mode="bilinear", align_corners=False)).
// `fmap` is a Float32Array of C x h x w values (NCHW without the N), `dims` {channels, height, width}.

/** The body's pooled activations from its feature map: the mean of each channel. */
export function poolFeatures(fmap, { channels, height, width }) {
  const hw = height * width;
  return Float32Array.from({ length: channels }, (_, k) => {
    let s = 0;
    for (let j = 0; j < hw; j++) s += fmap[k * hw + j];
    return s / hw;
  });
}

/** sum_k weightRow[k] * fmap[k] over channels: h x w values (Float64Array), before ReLU. */
export function weightedMap(fmap, { channels, height, width }, weightRow) {
  const hw = height * width;
  const out = new Float64Array(hw);
  for (let k = 0; k < channels; k++) {
    const w = weightRow[k];
    for (let j = 0; j < hw; j++) out[j] += w * fmap[k * hw + j];
  }
  return out;
}

/** ReLU then divide by the maximum (all zeros stay zeros). */
export function reluNormalise(m) {
  const out = Float64Array.from(m, (v) => Math.max(v, 0));
  const max = out.reduce((a, b) => Math.max(a, b), 0);
  if (max > 0) for (let j = 0; j < out.length; j++) out[j] /= max;
  return out;
}

/** Source coordinates of output pixel `i` (align_corners=False): index pair and weight. */
function sourceIndex(i, inSize, outSize) {
  const src = Math.max((inSize / outSize) * (i + 0.5) - 0.5, 0);
  const i0 = Math.min(Math.floor(src), inSize - 1);
  const i1 = Math.min(i0 + 1, inSize - 1);
  return [i0, i1, src - i0];
}

/** Bilinear resize of an h x w map to outH x outW, as F.interpolate(..., align_corners=False). */
export function upsampleBilinear(m, h, w, outH, outW) {
  const out = new Float32Array(outH * outW);
  const xs = Array.from({ length: outW }, (_, x) => sourceIndex(x, w, outW));
  for (let y = 0; y < outH; y++) {
    const [y0, y1, ly] = sourceIndex(y, h, outH);
    for (let x = 0; x < outW; x++) {
      const [x0, x1, lx] = xs[x];
      const top = (1 - lx) * m[y0 * w + x0] + lx * m[y0 * w + x1];
      const bottom = (1 - lx) * m[y1 * w + x0] + lx * m[y1 * w + x1];
      out[y * outW + x] = (1 - ly) * top + ly * bottom;
    }
  }
  return out;
}

/** The map for label `c` of `head` at the crop size: {map (crop x crop, 0..1), grid (h x w, 0..1)}. */
export function classActivationMap(fmap, dims, head, c, crop) {
  if (dims.channels !== head.nFeatures) {
    throw new Error(`feature map has ${dims.channels} channels, the head reads ${head.nFeatures}`);
  }
  const row = head.weight.subarray(c * head.nFeatures, (c + 1) * head.nFeatures);
  const grid = reluNormalise(weightedMap(fmap, dims, row));
  return { grid, map: upsampleBilinear(grid, dims.height, dims.width, crop, crop) };
}
