// Is this the model the manifest describes? SHA-256 of the bytes, with the
// Web Crypto API (browsers; Node 20 has the same globalThis.crypto.subtle).

export async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (x) => x.toString(16).padStart(2, "0")).join("");
}

export class IntegrityError extends Error {
  name = "IntegrityError";
}

/** Throw IntegrityError unless sha256(bytes) equals `expected` (hex). Returns the digest. */
export async function verify(bytes, expected, name = "the model") {
  const got = await sha256Hex(bytes);
  if (got !== String(expected).toLowerCase()) {
    throw new IntegrityError(
      `${name} failed its integrity check: its SHA-256 is ${got.slice(0, 16)}…, the manifest expects ` +
        `${String(expected).slice(0, 16)}…. The file was changed or damaged on the way, so it will not be run. ` +
        `Reload the page; if this persists, the site's model files are out of date.`,
    );
  }
  return got;
}
