// The browser half of the model's preprocessing, with no DOM: decoded RGBA
// pixels in, the float32 RGB 0..1 crop the ONNX graph takes out.
//
// It reproduces, step by step, what Python does before training and export
// (training/bears/images.py: eval_transform without Normalize, which is inside
// the graph):
//
//   1. resize so the shorter side is `resize` pixels, the longer side
//      truncated like torchvision: int(resize * long / short)
//   2. with PIL's bilinear filter, antialiased: when shrinking, the triangle
//      filter widens with the scale so every source pixel counts; weights are
//      rounded to PIL's 22-bit fixed point and each pass rounds to 8 bits
//      (horizontal pass first, then vertical), exactly as Pillow's Resample.c
//   3. center crop `crop` pixels, offsets rounded like Python's round()
//      (halves go to the even neighbour)
//   4. bytes / 255 as float32, channel-first (NCHW)
//
// Canvas drawImage would be simpler, but browsers shrink with their own
// filters (mipmaps, Lanczos, ...): pixels then differ from PIL's by a lot more
// than one level, and so do the probabilities.
//
// One known difference: Pillow 13 runs the vertical pass first for some tall
// images whose height shrinks a little more than their width
// (python-pillow/Pillow#9549); the two orders round differently, by at most one
// level. For the model's case (shorter side to 224) typical camera sizes are
// all horizontal-first in Pillow too, so the crop is identical.
//
// Only the output pixels inside the crop are computed: the result is the same
// as resizing everything and cropping, without the cost of the part that the
// crop throws away.

const PRECISION_BITS = 32 - 8 - 2; // Pillow's fixed point for 8-bit images
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

/** Python's round() for x.0 / x.5 values: halves go to the even integer. */
export function roundHalfEven(x) {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** torchvision Resize(size=int): shorter side -> `resize`, longer side truncated. */
export function resizedSize(width, height, resize) {
  if (!(width > 0 && height > 0)) throw new Error(`bad image size ${width}x${height}`);
  if (width <= height) return { width: resize, height: Math.trunc((resize * height) / width) };
  return { width: Math.trunc((resize * width) / height), height: resize };
}

/** torchvision CenterCrop on an image of width x height: the crop's top-left corner. */
export function centerCropBox(width, height, crop) {
  if (crop > width || crop > height) throw new Error(`crop ${crop} larger than ${width}x${height}`);
  return { left: roundHalfEven((width - crop) / 2), top: roundHalfEven((height - crop) / 2), size: crop };
}

function triangle(x) {
  x = Math.abs(x);
  return x < 1 ? 1 - x : 0;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for bilinear, restricted to
 *  output indices [first, first + count). Returns {bounds: [xmin, n] pairs, kk, ksize}. */
export function coefficients(inSize, outSize, first = 0, count = outSize) {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 1.0 * filterscale; // the triangle filter's support is 1
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(count * 2);
  const kk = new Int32Array(count * ksize);
  const w = new Float64Array(ksize);
  for (let i = 0; i < count; i++) {
    const xx = first + i;
    const center = (xx + 0.5) * scale;
    const ss = 1.0 / filterscale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      w[x] = triangle((x + xmin - center + 0.5) * ss);
      ww += w[x];
    }
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0 ? w[x] / ww : w[x];
      kk[i * ksize + x] = k < 0 ? Math.trunc(-0.5 + k * ONE) : Math.trunc(0.5 + k * ONE);
    }
    bounds[i * 2] = xmin;
    bounds[i * 2 + 1] = xmax;
  }
  return { bounds, kk, ksize };
}

function clip8(ss) {
  const v = Math.floor(ss / ONE); // C's arithmetic shift right by PRECISION_BITS
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Resize (shorter side -> resize) then center-crop (crop) RGBA pixels, like
 * PIL + torchvision. `rgba` is a Uint8ClampedArray/Uint8Array of width*height*4
 * (alpha ignored: flatten transparency before). Returns the crop as RGB bytes
 * (crop*crop*3, row-major) plus the geometry, so the page can draw the crop and
 * outline it on the original.
 */
export function resizeAndCrop(rgba, width, height, resize, crop) {
  const out = resizedSize(width, height, resize);
  const box = centerCropBox(out.width, out.height, crop);
  const rgb = new Uint8Array(crop * crop * 3);
  const sameW = out.width === width;
  const sameH = out.height === height;
  // Horizontal pass: only the crop's columns, only the source rows the vertical pass reads.
  const cv = sameH ? null : coefficients(height, out.height, box.top, crop);
  const rowFirst = sameH ? box.top : cv.bounds[0];
  const rowLast = sameH ? box.top + crop : cv.bounds[(crop - 1) * 2] + cv.bounds[(crop - 1) * 2 + 1];
  const rows = rowLast - rowFirst;
  const tmp = new Uint8Array(rows * crop * 3); // 8-bit intermediate, like Pillow's imTemp
  if (sameW) {
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < crop; x++) {
        const s = ((rowFirst + y) * width + box.left + x) * 4;
        const d = (y * crop + x) * 3;
        tmp[d] = rgba[s]; tmp[d + 1] = rgba[s + 1]; tmp[d + 2] = rgba[s + 2];
      }
    }
  } else {
    const { bounds, kk, ksize } = coefficients(width, out.width, box.left, crop);
    for (let y = 0; y < rows; y++) {
      const rowStart = (rowFirst + y) * width * 4;
      for (let x = 0; x < crop; x++) {
        const xmin = bounds[x * 2], n = bounds[x * 2 + 1], k0 = x * ksize;
        let s0 = HALF, s1 = HALF, s2 = HALF;
        for (let i = 0; i < n; i++) {
          const k = kk[k0 + i], s = rowStart + (xmin + i) * 4;
          s0 += rgba[s] * k; s1 += rgba[s + 1] * k; s2 += rgba[s + 2] * k;
        }
        const d = (y * crop + x) * 3;
        tmp[d] = clip8(s0); tmp[d + 1] = clip8(s1); tmp[d + 2] = clip8(s2);
      }
    }
  }
  // Vertical pass over the intermediate rows.
  if (sameH) {
    rgb.set(tmp.subarray(0, crop * crop * 3));
  } else {
    const { bounds, kk, ksize } = cv;
    for (let y = 0; y < crop; y++) {
      const ymin = bounds[y * 2] - rowFirst, n = bounds[y * 2 + 1], k0 = y * ksize;
      for (let x = 0; x < crop; x++) {
        let s0 = HALF, s1 = HALF, s2 = HALF;
        for (let i = 0; i < n; i++) {
          const k = kk[k0 + i], s = ((ymin + i) * crop + x) * 3;
          s0 += tmp[s] * k; s1 += tmp[s + 1] * k; s2 += tmp[s + 2] * k;
        }
        const d = (y * crop + x) * 3;
        rgb[d] = clip8(s0); rgb[d + 1] = clip8(s1); rgb[d + 2] = clip8(s2);
      }
    }
  }
  return { rgb, resized: out, box };
}

/** RGB bytes (H*W*3) -> float32 NCHW in 0..1, what torchvision's ToTensor gives. */
export function toCHW(rgb, width, height) {
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    data[i] = rgb[i * 3] / 255;
    data[plane + i] = rgb[i * 3 + 1] / 255;
    data[2 * plane + i] = rgb[i * 3 + 2] / 255;
  }
  return data;
}

/** RGB bytes (H*W*3) -> RGBA bytes for drawing the crop on a canvas. */
export function rgbToRGBA(rgb) {
  const n = rgb.length / 3;
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    out[i * 4] = rgb[i * 3]; out[i * 4 + 1] = rgb[i * 3 + 1]; out[i * 4 + 2] = rgb[i * 3 + 2]; out[i * 4 + 3] = 255;
  }
  return out;
}

/** Everything the model needs from decoded pixels: the NCHW tensor data and the crop. */
export function prepare(rgba, width, height, { resize, crop }) {
  const { rgb, resized, box } = resizeAndCrop(rgba, width, height, resize, crop);
  return { data: toCHW(rgb, crop, crop), rgb, resized, box };
}

/**
 * Put transparent pixels on white, in place, exactly as Pillow's paste with an
 * alpha mask does (what training's open_image does): out = (255*(255-a) + c*a) / 255
 * with Pillow's rounding. Returns how many pixels were not fully opaque.
 */
export function flattenOnWhite(rgba) {
  let seeThrough = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    const a = rgba[i + 3];
    if (a === 255) continue;
    seeThrough++;
    for (let c = 0; c < 3; c++) {
      const t = 255 * (255 - a) + rgba[i + c] * a + 128;
      rgba[i + c] = ((t >> 8) + t) >> 8;
    }
    rgba[i + 3] = 255;
  }
  return seeThrough;
}

/** A note for images smaller than the model's input (they get enlarged), else null. */
export function sizeNote(width, height, { crop }) {
  if (Math.min(width, height) >= crop) return null;
  return `Tiny image (${width}×${height}): it was enlarged to fill the model's ${crop}×${crop} input, ` +
    "so there is little real detail for the model to see; do not trust the result much.";
}
