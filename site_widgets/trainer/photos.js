// What the reader brought, read before anything is computed (no DOM).
//
// Entries come from a folder (picker or drop: {file, path: "bears/black/x.jpg"}), from files
// given per label ({file, label}) or from the camera ({file, label}). Each file is read once
// (in the trainer's worker on the page: `inspectMany`):
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
const CHUNK = 25; // files per request to the reading worker: progress after each

/**
 * A file's identity and what its bytes alone tell: {sha256, decodable, reason?}. Runs in the
 * trainer's worker on the page (worker.js `inspect`: reading and hashing 2,000 photos stays off
 * the page's thread), or here when there is no worker (tests). `where` names an unreadable file.
 */
export async function inspect(file, name, limits, where = name) {
  try {
    checkSize(file.size, `"${name}"`);
    const bytes = new Uint8Array(await file.arrayBuffer());
    const sha256 = await sha256Hex(bytes);
    try {
      precheck(bytes, `"${name}"`, limits);
      return { sha256, decodable: true };
    } catch (err) {
      return { sha256, decodable: false, reason: err.message };
    }
  } catch (err) {
    // too large to read, or the file vanished / cannot be read (moved, permission)
    return { sha256: `unread:${where}:${file.size}`, decodable: false, reason: err.message || String(err) };
  }
}

/** inspect() on each of [{file, name, where}], one after the other (so memory holds one photo). */
export async function inspectAll(items, limits, signal) {
  const out = [];
  for (const it of items) {
    signal?.throwIfAborted();
    out.push(await inspect(it.file, it.name, limits, it.where));
  }
  return out;
}

/**
 * Read and check `entries`. Options: limits (decode.js memoryLimits), signal, onProgress(done,
 * total), maxPhotos, inspectMany(items, signal) -> inspect() results (the page's worker; default
 * inspectAll here). -> {entries (read), check (intake.js result)}, or {tooMany: message} when
 * there are more files than the page handles (nothing read).
 */
export async function readEntries(entries, { limits, signal, onProgress = () => {}, maxPhotos, inspectMany = null } = {}) {
  const photos = entries.filter((e) => !isSystemFile(nameOf(e)));
  const tooMany = countMessage(photos.length, maxPhotos);
  if (tooMany) return { tooMany };
  const read = inspectMany ?? ((items, sig) => inspectAll(items, limits, sig));
  const out = [];
  for (let i = 0; i < entries.length; i += CHUNK) {
    signal?.throwIfAborted();
    const part = entries.slice(i, i + CHUNK).map((e) => ({ e, name: nameOf(e) }));
    const todo = part.filter((p) => !isSystemFile(p.name));
    const got = await read(todo.map(({ e, name }) => ({ file: e.file, name, where: e.path ?? name })), signal);
    const bySlot = new Map(todo.map((p, k) => [p, got[k]]));
    for (const p of part) {
      const base = { path: p.e.path ?? null, label: p.e.label ?? null, name: p.name, size: p.e.file.size, blob: p.e.file };
      out.push(bySlot.has(p) ? { ...base, ...bySlot.get(p) }
        : { ...base, sha256: `system:${p.e.path ?? p.name}`, decodable: false, reason: "a system file" });
    }
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
