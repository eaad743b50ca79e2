// What kind of file is this? Read from its first bytes, before any decoding,
// with no DOM: format, pixel size, bit depth, color model, frames, EXIF
// orientation, and whether the file ends where its format says it should.
//
// The widget uses it to refuse early with a clear message (empty, SVG, HEIC,
// TIFF, truncated, absurdly large) and to tell the reader what the browser
// will do to the image (grayscale, CMYK, 16-bit, transparency, animation).

const ascii = (b, start, n) => String.fromCharCode(...b.subarray(start, start + n));
const u16be = (b, i) => (b[i] << 8) | b[i + 1];
const u32be = (b, i) => ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];
const u16le = (b, i) => b[i] | (b[i + 1] << 8);
const u24le = (b, i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const i32le = (b, i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);

const HEIF_BRANDS = new Set(["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"]);
const AVIF_BRANDS = new Set(["avif", "avis"]);

/** -> {format, width?, height?, bitDepth?, channels?, colorModel?, alpha?, frames?,
 *      orientation?, truncated?} ; format is "empty" | "jpeg" | "png" | "gif" | "webp" |
 *      "bmp" | "svg" | "heif" | "avif" | "tiff" | "text" | "unknown". */
export function sniff(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (b.length === 0) return { format: "empty" };
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return jpeg(b);
  if (b.length >= 8 && ascii(b, 1, 3) === "PNG" && b[0] === 0x89) return png(b);
  if (b.length >= 6 && (ascii(b, 0, 6) === "GIF87a" || ascii(b, 0, 6) === "GIF89a")) return gif(b);
  if (b.length >= 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WEBP") return webp(b);
  if (b.length >= 26 && ascii(b, 0, 2) === "BM") {
    return { format: "bmp", width: Math.abs(i32le(b, 18)), height: Math.abs(i32le(b, 22)) };
  }
  if (b.length >= 12 && ascii(b, 4, 4) === "ftyp") {
    const brands = [ascii(b, 8, 4)];
    const boxEnd = Math.min(u32be(b, 0), b.length);
    for (let i = 16; i + 4 <= boxEnd; i += 4) brands.push(ascii(b, i, 4));
    if (brands.some((x) => AVIF_BRANDS.has(x))) return { format: "avif" };
    if (brands.some((x) => HEIF_BRANDS.has(x))) return { format: "heif" };
  }
  if (b.length >= 4 && (ascii(b, 0, 4) === "II*\0" || ascii(b, 0, 4) === "MM\0*")) return { format: "tiff" };
  const head = new TextDecoder("utf-8", { fatal: false }).decode(b.subarray(0, 2048)).replace(/^\uFEFF/, "").trimStart();
  if (head.startsWith("<") && /<svg[\s>]/i.test(head)) return { format: "svg" };
  if (looksLikeText(b.subarray(0, 512))) return { format: "text" };
  return { format: "unknown" };
}

function looksLikeText(b) {
  let printable = 0;
  for (const c of b) if (c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127) || c >= 128) printable++;
  return b.length > 0 && printable / b.length > 0.95 && !b.includes(0);
}

const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function jpeg(b) {
  const info = { format: "jpeg", orientation: 1, truncated: true };
  let i = 2;
  while (i + 2 <= b.length) {
    if (b[i] !== 0xff) { i++; continue; } // tolerate padding between segments
    const marker = b[i + 1];
    if (marker === 0xff) { i++; continue; }
    if (marker === 0xd9) { info.truncated = false; break; } // EOI: the image is complete
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; }
    if (i + 4 > b.length) break;
    const len = u16be(b, i + 2);
    if (len < 2) break;
    const seg = i + 4;
    if (SOF.has(marker) && seg + 6 <= b.length) {
      info.bitDepth = b[seg];
      info.height = u16be(b, seg + 1);
      info.width = u16be(b, seg + 3);
      info.channels = b[seg + 5];
      info.progressive = marker === 0xc2;
    } else if (marker === 0xe1 && ascii(b, seg, 4) === "Exif") {
      info.orientation = exifOrientation(b, seg + 6, Math.min(b.length, i + 2 + len)) || 1;
    } else if (marker === 0xee && ascii(b, seg, 5) === "Adobe") {
      info.adobeTransform = b[seg + 11];
    }
    i += 2 + len;
    if (marker === 0xda) {
      // Entropy-coded data follows: skip to the next marker that is not a
      // stuffed byte (FF00) or a restart marker (FFD0-FFD7).
      while (i + 1 < b.length && !(b[i] === 0xff && b[i + 1] !== 0 && !(b[i + 1] >= 0xd0 && b[i + 1] <= 0xd7))) i++;
    }
  }
  if (info.channels === 1) info.colorModel = "grayscale";
  else if (info.channels === 3) info.colorModel = "YCbCr";
  else if (info.channels === 4) info.colorModel = "CMYK";
  if (info.orientation >= 5 && info.orientation <= 8 && info.width) {
    [info.width, info.height, info.storedWidth, info.storedHeight] = [info.height, info.width, info.width, info.height];
  }
  return info;
}

/** EXIF orientation tag (0x0112) from a TIFF block at [start, end), or 0. */
function exifOrientation(b, start, end) {
  if (start + 8 > end) return 0;
  const le = ascii(b, start, 2) === "II";
  const r16 = (i) => (le ? u16le(b, i) : u16be(b, i));
  const r32 = (i) => (le ? (u16le(b, i) + u16le(b, i + 2) * 65536) : u32be(b, i));
  const ifd = start + r32(start + 4);
  if (ifd + 2 > end) return 0;
  const n = r16(ifd);
  for (let k = 0; k < n; k++) {
    const e = ifd + 2 + k * 12;
    if (e + 12 > end) return 0;
    if (r16(e) === 0x0112) return r16(e + 8);
  }
  return 0;
}

function png(b) {
  const info = { format: "png", truncated: true, frames: 1 };
  if (b.length >= 26 && ascii(b, 12, 4) === "IHDR") {
    info.width = u32be(b, 16);
    info.height = u32be(b, 20);
    info.bitDepth = b[24];
    const ct = b[25];
    info.colorModel = { 0: "grayscale", 2: "RGB", 3: "palette", 4: "grayscale", 6: "RGB" }[ct] || "unknown";
    info.alpha = ct === 4 || ct === 6;
  }
  let i = 8;
  while (i + 8 <= b.length) {
    const len = u32be(b, i), type = ascii(b, i + 4, 4);
    if (type === "tRNS") info.alpha = true;
    if (type === "acTL" && i + 12 <= b.length) info.frames = u32be(b, i + 8);
    if (type === "IEND") { info.truncated = false; break; }
    i += 12 + len;
  }
  return info;
}

function gif(b) {
  const info = { format: "gif", width: u16le(b, 6), height: u16le(b, 8), frames: 0, truncated: true };
  let i = 13;
  if (b[10] & 0x80) i += 3 * (1 << ((b[10] & 7) + 1)); // global color table
  const skipSubBlocks = () => { while (i < b.length && b[i] !== 0) i += b[i] + 1; i++; };
  while (i < b.length) {
    const block = b[i];
    if (block === 0x3b) { info.truncated = false; break; } // trailer
    if (block === 0x21) { i += 2; skipSubBlocks(); continue; } // extension
    if (block === 0x2c) { // image descriptor
      const flags = b[i + 9];
      i += 10;
      if (flags & 0x80) i += 3 * (1 << ((flags & 7) + 1));
      i++; // LZW minimum code size
      skipSubBlocks();
      info.frames++;
      continue;
    }
    break; // garbage: stop counting
  }
  return info;
}

function webp(b) {
  const chunk = ascii(b, 12, 4);
  const info = { format: "webp", frames: 1 };
  if (chunk === "VP8X" && b.length >= 30) {
    info.width = u24le(b, 24) + 1;
    info.height = u24le(b, 27) + 1;
    info.alpha = Boolean(b[20] & 0x10);
    if (b[20] & 0x02) info.frames = 2; // animated: at least two
  } else if (chunk === "VP8L" && b.length >= 25) {
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    info.width = (bits & 0x3fff) + 1;
    info.height = ((bits >> 14) & 0x3fff) + 1;
  } else if (chunk === "VP8 " && b.length >= 30) {
    info.width = u16le(b, 26) & 0x3fff;
    info.height = u16le(b, 28) & 0x3fff;
  }
  return info;
}
