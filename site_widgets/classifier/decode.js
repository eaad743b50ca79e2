// A file the reader gave -> decoded RGBA pixels, or a clear reason why not.
//
// The browser decodes (its decoders are the same kind Python uses: libjpeg-turbo,
// libpng, giflib-like), with three settings that keep the pixels equal to what
// Python reads:
//   imageOrientation "from-image"  apply the EXIF rotation, like ImageOps.exif_transpose
//   colorSpaceConversion "none"    keep the stored values; PIL ignores ICC profiles too
//   premultiplyAlpha "none"        so transparency can be flattened on white like training does
//
// Files are sniffed first (sniff.js): empty, text, SVG, truncated, and files too large
// for this device's memory are refused before any decoding starts. No DOM is needed
// where OffscreenCanvas exists: the classifier decodes in its worker.

import { sniff } from "./sniff.js";
import { flattenOnWhite } from "./preprocess.js";

export const MAX_FILE_BYTES = 100e6;                // 100 MB: larger is not a photo anyone uploads
export const MAX_PIXELS = 400e6;                    // refuse beyond 400 megapixels whatever the device
export const DIRECT_DECODE_PIXELS = 40e6;           // above 40 MP, ask for a smaller bitmap...
export const DOWNSCALE_SHORT_SIDE = 1024;           // ...with this shorter side (still well above the crop)
// Chromium 156 decodes the whole image first whatever size is asked for (PNG, WebP and JPEG
// alike, measured with the renderer's resident memory): about 7.6 bytes per pixel at the
// peak (19000 x 19000 PNG: +2.75 GB; 12000 x 12000 JPEG: +1.1 GB). Images are refused
// before decoding when that would take more than a quarter of the device's memory.
export const DECODE_BYTES_PER_PIXEL = 7.6;
export const MEMORY_SHARE = 1 / 4;
export const UNKNOWN_DEVICE_GB = 2; // browsers without navigator.deviceMemory (Firefox, Safari): assume a small phone

/** What this device can decode: {deviceGB, reported, maxPixels}. `nav` is navigator (page or worker). */
export function memoryLimits(nav) {
  const reported = Number(nav && nav.deviceMemory) > 0;
  const deviceGB = reported ? Number(nav.deviceMemory) : UNKNOWN_DEVICE_GB;
  const maxPixels = Math.min(MAX_PIXELS, (deviceGB * 1e9 * MEMORY_SHARE) / DECODE_BYTES_PER_PIXEL);
  return { deviceGB, reported, maxPixels };
}

export class ImageInputError extends Error {
  name = "ImageInputError";
}

const NAMES = { jpeg: "JPEG", png: "PNG", gif: "GIF", webp: "WebP", bmp: "BMP", heif: "HEIC/HEIF", avif: "AVIF", tiff: "TIFF" };
const mp = (w, h) => `${((w * h) / 1e6).toFixed(1)} megapixels`;

function refuse(msg) {
  throw new ImageInputError(msg);
}

/** Refuse a file by its size alone, before reading it. */
export function checkSize(size, fileName = "the file") {
  if (size > MAX_FILE_BYTES) {
    refuse(`${fileName} is ${(size / 1e6).toFixed(0)} MB; files above ${MAX_FILE_BYTES / 1e6} MB are refused. Use a smaller copy of the photo.`);
  }
}

/** Checks from the bytes alone; returns the sniffed info. `limits`: memoryLimits(navigator). */
export function precheck(bytes, fileName = "the file", limits = memoryLimits(null)) {
  checkSize(bytes.length, fileName);
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
  if (info.width && info.height) checkPixels(info, fileName, limits);
  return info;
}

function checkPixels({ width, height }, fileName, { deviceGB, reported, maxPixels }) {
  const pixels = width * height;
  if (pixels <= maxPixels) return;
  const need = (pixels * DECODE_BYTES_PER_PIXEL) / 1e9;
  const device = reported ? `the ${deviceGB} GB this device reports` : `${deviceGB} GB (this browser does not say how much it has)`;
  refuse(`${fileName} is ${width}×${height} pixels (${mp(width, height)}). The browser decodes every pixel before it can ` +
    `shrink the image, which would take about ${need.toFixed(1)} GB of memory here; the limit is a quarter of ${device}, ` +
    `so images above ${Math.floor(maxPixels / 1e6)} megapixels are refused to keep the tab from crashing. Use a smaller copy.`);
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
export async function decodeImage(file, limits = memoryLimits(globalThis.navigator)) {
  const name = file.name ? `"${file.name}"` : "The image";
  checkSize(file.size, name); // before reading it into memory
  const bytes = new Uint8Array(await file.arrayBuffer());
  const info = precheck(bytes, name, limits);
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
    bitmap = await createImageBitmap(file, opts); // a File is a Blob: no second copy of the bytes
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
      `${width}×${height} right after decoding, to save memory. Results can differ slightly from Python, which resizes from every pixel.`);
  }
  if (seeThrough > 0) notes.push(`Transparent image: ${seeThrough === width * height ? "all" : seeThrough.toLocaleString("en")} pixels are (partly) see-through; they were put on a white background, as in training.`);
  if (info.frames > 1) notes.push(`Animated image (${info.frames} frames): only the first frame is classified, as Python reads it.`);
  if (info.bitDepth === 16) notes.push("16 bits per channel: the browser reduced it to 8 bits, the depth the model was trained on.");
  if (info.colorModel === "CMYK") notes.push("CMYK JPEG (a print format): the browser converted it to RGB; colours may differ a little from other converters.");
  if (info.colorModel === "grayscale") notes.push("Grayscale image: the same value goes to red, green and blue, so colour cannot help the model here.");
  if (info.orientation && info.orientation !== 1) notes.push(`The camera stored this photo rotated (EXIF orientation ${info.orientation}); it was turned upright first.`);
  return { rgba, width, height, bitmap, info, notes };
}
