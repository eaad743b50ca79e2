// onnxruntime-web and the model, loaded once per page on first use.
//
// - The runtime is the pinned npm package, self-hosted by the site under
//   assets/vendor/ort/ (copied there at build time), never a CDN.
// - One wasm thread by default: threads need SharedArrayBuffer, which browsers
//   only give to cross-origin-isolated pages (COOP/COEP headers), and GitHub
//   Pages cannot send those. Where the page is isolated, more threads are used.
// - The model bytes are hashed and compared with the manifest before a session
//   is created from them.

import { verify } from "./integrity.js";

/** Load ort.wasm.min.mjs from the site and point it at its wasm files. */
export async function loadRuntime(siteRoot) {
  const folder = new URL("assets/vendor/ort/", siteRoot);
  const ort = await import(new URL("ort.wasm.min.mjs", folder).href);
  ort.env.wasm.wasmPaths = folder.href;
  ort.env.wasm.numThreads = threadsFor(globalThis);
  ort.env.wasm.proxy = false;
  ort.env.logLevel = "error";
  return ort;
}

/** 1 unless SharedArrayBuffer is usable (cross-origin isolated), then up to 4. */
// --8<-- [start:threads]
export function threadsFor(scope) {
  if (!scope.crossOriginIsolated) return 1;
  return Math.max(1, Math.min(4, scope.navigator?.hardwareConcurrency || 1));
}
// --8<-- [end:threads]

/** Fetch bytes with a clear message on HTTP failure. */
async function fetchBytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not load ${url} (HTTP ${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}

/** The manifest (labels, preprocessing, model files), with a clear message on failure. */
export async function fetchManifest(manifestUrl) {
  const r = await fetch(manifestUrl);
  if (!r.ok) throw new Error(`could not load the model manifest ${manifestUrl} (HTTP ${r.status})`);
  return r.json();
}

/**
 * manifest URL (or the manifest itself) -> {ort, session, manifest, variant, timings}. `variant` is
 * "fp32", "int8" or null (the manifest's default). Timings are in ms.
 */
export async function loadModel({ siteRoot, manifestUrl, variant = null, manifest = null }) {
  const t0 = performance.now();
  let ort;
  [ort, manifest] = await Promise.all([loadRuntime(siteRoot), manifest || fetchManifest(manifestUrl)]);
  const name = variant || manifest.default || "fp32";
  const entry = (manifest.variants && manifest.variants[name]) || (name === "fp32" ? manifest : null);
  if (!entry) throw new Error(`the manifest has no "${name}" model`);
  const t1 = performance.now();
// --8<-- [start:session]
  const bytes = await fetchBytes(new URL(entry.model, manifestUrl));
  const t2 = performance.now();
  await verify(bytes, entry.sha256, `The model file ${entry.model}`);
  const t3 = performance.now();
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
    extra: nested(entry.session_config || {}),
  });
// --8<-- [end:session]
  const t4 = performance.now();
  return {
    ort, session, manifest, variant: name, entry, threads: ort.env.wasm.numThreads,
    timings: { runtime_and_manifest_ms: t1 - t0, model_fetch_ms: t2 - t1, verify_ms: t3 - t2,
               session_create_ms: t4 - t3, total_ms: t4 - t0 },
  };
}

/** {"session.disable_quant_qdq": "1"} -> {session: {disable_quant_qdq: "1"}}, the form
 *  onnxruntime-web's `extra` session option takes (it joins the keys back with dots).
 *  The manifest says which entries a model needs (see export/quantize.py). */
export function nested(flat) {
  const out = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split(".");
    let node = out;
    for (const p of parts.slice(0, -1)) node = node[p] ??= {};
    node[parts[parts.length - 1]] = String(value);
  }
  return out;
}

/** Run one NCHW float32 crop; -> {probs: Float32Array, ms}. */
export async function classify(model, data) {
  const { ort, session, manifest } = model;
  const crop = manifest.preprocess.crop;
  const input = new ort.Tensor("float32", data, [1, 3, crop, crop]);
  const t = performance.now();
  const out = await session.run({ [manifest.input.name]: input });
  const ms = performance.now() - t;
  const probs = out[manifest.output.name].data;
  input.dispose?.();
  return { probs: Float32Array.from(probs), ms };
}
