// A file the reader gave -> decoded RGBA pixels, or a clear reason why not.
//
// The browser decodes (its decoders are the same kind Python uses: libjpeg-turbo,
// libpng, giflib-like), with three settings that keep the pixels equal to what
// Python reads:
//   imageOrientation "from-image"  apply the EXIF rotation, like ImageOps.exif_transpose
//   colorSpaceConversion "none"    keep the stored values; PIL ignores ICC profiles too
//   premultiplyAlpha "none"        so transparency can be flattened on white like training does
//
// Files are sniffed first (sniff.js): empty, text, SVG, truncated, and
// absurdly large files are refused before any decoding starts.

import { sniff } from "./sniff.js";
import { flattenOnWhite } from "./preprocess.js";

export const MAX_FILE_BYTES = 100 * 1024 * 1024;   // 100 MB: larger is not a photo anyone uploads
export const MAX_PIXELS = 400e6;                    // refuse beyond 400 megapixels
export const DIRECT_DECODE_PIXELS = 40e6;           // above 40 MP, let the decoder shrink while decoding
export const DOWNSCALE_SHORT_SIDE = 1024;           // ...to this shorter side (still well above the crop)

export class ImageInputError extends Error {}

const NAMES = { jpeg: "JPEG", png: "PNG", gif: "GIF", webp: "WebP", bmp: "BMP", heif: "HEIC/HEIF", avif: "AVIF", tiff: "TIFF" };
const mp = (w, h) => `${((w * h) / 1e6).toFixed(1)} megapixels`;

function refuse(msg) {
  throw new ImageInputError(msg);
}

/** Checks from the bytes alone; returns the sniffed info. */
export function precheck(bytes, fileName = "the file") {
  if (bytes.length > MAX_FILE_BYTES) {
    refuse(`${fileName} is ${(bytes.length / 1e6).toFixed(0)} MB; files above ${MAX_FILE_BYTES / 1e6} MB are refused. Use a smaller copy of the photo.`);
  }
  const info = sniff(bytes);
  switch (info.format) {
    case "empty":
      refuse(`${fileName} is empty (0 bytes): there is no image in it. Was the download or copy interrupted?`);
    case "text":
      refuse(`${fileName} is a text file, not an image. Give a photo (JPEG, PNG, GIF or WebP).`);
    case "svg":
      refuse(`${fileName} is an SVG drawing. This classifier refuses SVG: a vector drawing has no fixed pixel size and ` +
        `is not the kind of photo the model was trained on. Export it as PNG or JPEG if you want to try it anyway.`);
  }
  if (info.truncated && (info.format === "jpeg" || info.format === "png")) {
    refuse(`${fileName} is a truncated ${NAMES[info.format]}: the file ends before the image data does ` +
      `(a download or copy that was cut short). Python refuses such files too; get a complete copy.`);
  }
  if (info.width && info.height && info.width * info.height > MAX_PIXELS) {
    refuse(`${fileName} is ${info.width}×${info.height} pixels (${mp(info.width, info.height)}); images above ` +
      `${MAX_PIXELS / 1e6} megapixels are refused to keep the page from running out of memory. Use a smaller copy.`);
  }
  return info;
}

function canvas2d(width, height) {
  const c = typeof OffscreenCanvas !== "undefined" ? new OffscreenCanvas(width, height)
    : Object.assign(document.createElement("canvas"), { width, height });
  return c.getContext("2d", { willReadFrequently: true });
}

/**
 * File/Blob -> {rgba, width, height, bitmap, info, notes}. Throws ImageInputError
 * with a message for the reader. `notes` say what was done to the image.
 */
export async function decodeImage(file) {
  const name = file.name ? `"${file.name}"` : "The image";
  const bytes = new Uint8Array(await file.arrayBuffer());
  const info = precheck(bytes, name);
  const notes = [];
  const opts = { imageOrientation: "from-image", colorSpaceConversion: "none", premultiplyAlpha: "none" };
  let downscaled = false;
  if (info.width && info.height && info.width * info.height > DIRECT_DECODE_PIXELS) {
    const s = DOWNSCALE_SHORT_SIDE / Math.min(info.width, info.height);
    opts.resizeWidth = Math.max(1, Math.round(info.width * s));
    opts.resizeHeight = Math.max(1, Math.round(info.height * s));
    opts.resizeQuality = "high";
    downscaled = true;
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes], { type: file.type || "" }), opts);
  } catch (err) {
    if (info.format === "heif") {
      refuse(`${name} is a HEIC/HEIF photo (the iPhone camera's default format), and this browser cannot decode HEIC. ` +
        `Convert it to JPEG first (on an iPhone: Settings → Camera → Formats → Most Compatible; or share/export as JPEG).`);
    }
    if (info.format === "tiff") refuse(`${name} is a TIFF image, which this browser cannot decode. Convert it to PNG or JPEG.`);
    if (NAMES[info.format]) {
      refuse(`${name} looks like a ${NAMES[info.format]} but the browser could not decode it: the file is damaged or not really an image.`);
    }
    refuse(`${name} is not an image this browser can read. Give a photo (JPEG, PNG, GIF or WebP).`);
  }
  const { width, height } = bitmap;
  if (!(width > 0 && height > 0)) {
    bitmap.close();
    refuse(`${name} decoded to an empty image (${width}×${height}).`);
  }
  const ctx = canvas2d(width, height);
  ctx.drawImage(bitmap, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const seeThrough = flattenOnWhite(rgba);

  if (downscaled) {
    notes.push(`Very large image (${info.width}×${info.height}, ${mp(info.width, info.height)}): the browser shrank it to ` +
      `${width}×${height} while decoding, to save memory. Results can differ slightly from Python, which reads every pixel.`);
  }
  if (seeThrough > 0) notes.push(`Transparent image: ${seeThrough === width * height ? "all" : seeThrough.toLocaleString("en")} pixels are (partly) see-through; they were put on a white background, as in training.`);
  if (info.frames > 1) notes.push(`Animated image (${info.frames} frames): only the first frame is classified, as Python reads it.`);
  if (info.bitDepth === 16) notes.push("16 bits per channel: the browser reduced it to 8 bits, the depth the model was trained on.");
  if (info.colorModel === "CMYK") notes.push("CMYK JPEG (a print format): the browser converted it to RGB; colours may differ a little from other converters.");
  if (info.colorModel === "grayscale") notes.push("Grayscale image: the same value goes to red, green and blue, so colour cannot help the model here.");
  if (info.orientation && info.orientation !== 1) notes.push(`The camera stored this photo rotated (EXIF orientation ${info.orientation}); it was turned upright first.`);
  return { rgba, width, height, bitmap, info, notes };
}
