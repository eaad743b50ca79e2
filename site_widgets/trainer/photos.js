// What the reader brought, read before anything is computed (no DOM).
//
// Entries come from a folder (picker or drop: {file, path: "bears/black/x.jpg"}), from files
// given per label ({file, label}) or from the camera ({file, label}). Each file is read once:
// its SHA-256 (the photo's identity for the duplicate check, the activation cache and the
// saved session) and the checks that need only its bytes (decode.js precheck: empty, text,
// SVG, truncated JPEG/PNG, too many pixels for this device). Decoding itself happens with the
// activations; a photo that fails there is reported then (see state.js).
//
// Too many files are refused before any is read (intake.js countMessage), system files
// (.DS_Store, Thumbs.db) are not read at all.

import { checkSize, precheck } from "../classifier/decode.js";
import { sha256Hex } from "./hash.js";
import { countMessage, intake, isSystemFile } from "./intake.js";

const nameOf = (e) => e.file?.name ?? String(e.path ?? "").split("/").pop();

/** One entry -> intake.js's entry: {path?, label?, name, sha256, decodable, reason?, size, blob}. */
async function readOne(e, limits) {
  const name = nameOf(e);
  const base = { path: e.path ?? null, label: e.label ?? null, name, size: e.file.size, blob: e.file };
  if (isSystemFile(name)) return { ...base, sha256: `system:${e.path ?? name}`, decodable: false, reason: "a system file" };
  try {
    checkSize(e.file.size, `"${name}"`);
    const bytes = new Uint8Array(await e.file.arrayBuffer());
    const sha256 = await sha256Hex(bytes);
    try {
      precheck(bytes, `"${name}"`, limits);
      return { ...base, sha256, decodable: true };
    } catch (err) {
      return { ...base, sha256, decodable: false, reason: err.message };
    }
  } catch (err) {
    // too large to read, or the file vanished / cannot be read (moved, permission)
    return { ...base, sha256: `unread:${e.path ?? name}:${e.file.size}`, decodable: false, reason: err.message || String(err) };
  }
}

/**
 * Read and check `entries`. Options: limits (decode.js memoryLimits), signal, onProgress(done,
 * total), maxPhotos. -> {entries (read), check (intake.js result)}, or {tooMany: message}
 * when there are more files than the page handles (nothing read).
 */
export async function readEntries(entries, { limits, signal, onProgress = () => {}, maxPhotos } = {}) {
  const photos = entries.filter((e) => !isSystemFile(nameOf(e)));
  const tooMany = countMessage(photos.length, maxPhotos);
  if (tooMany) return { tooMany };
  const out = [];
  for (const e of entries) {
    signal?.throwIfAborted();
    out.push(await readOne(e, limits));
    onProgress(out.length, entries.length);
  }
  return { entries: out, check: check(out, maxPhotos) };
}

/** intake.js on read entries (again after decoding found more unreadable photos). */
export function check(read, maxPhotos) {
  const result = intake(read, maxPhotos ? { maxPhotos } : {});
  for (const it of result.items) it.blob = read[it.index].blob;
  return result;
}

/** The read entries with these photos (by SHA-256) marked undecodable, with the browser's reason. */
export function markUndecodable(read, failed) {
  return read.map((e) => (failed.has(e.sha256) ? { ...e, decodable: false, reason: failed.get(e.sha256) } : e));
}
