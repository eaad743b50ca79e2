// Content hashes of the reader's photos: the identity of a photo for the duplicate check,
// the activation cache and the saved session (no DOM; Web Crypto, in browsers and Node 20).
// The SHA-256 itself is the model integrity check's (onnx/integrity.js).

import { sha256Hex } from "../onnx/integrity.js";

export { sha256Hex };

/**
 * SHA-256 of each Blob/File (or bytes), one at a time so memory holds one photo;
 * onProgress(done, total) after each; signal cancels. -> hex digests, in order.
 */
export async function hashAll(blobs, { onProgress, signal } = {}) {
  const out = [];
  for (const b of blobs) {
    signal?.throwIfAborted();
    const bytes = typeof b.arrayBuffer === "function" ? await b.arrayBuffer() : b;
    out.push(await sha256Hex(bytes));
    onProgress?.(out.length, blobs.length);
  }
  return out;
}
