// Reading a model manifest (export/manifest.py writes it), with no DOM: which file to
// load, how to configure the session, how many threads. Used by the worker (engine.js)
// and by tests in Node.
//
// A manifest names its files relative to itself and lists variants:
//   {default: "int8", variants: {int8: {model, bytes, sha256, session_config?}, ...},
//    input: {name, shape}, output: {name, shape}, labels, preprocess, ...}
// Older manifests without `variants` describe one file at the top level (model, sha256).

/** manifest + variant name (null: the manifest's default) -> {name, entry}. */
export function pickVariant(manifest, variant = null) {
  const name = variant || manifest.default || Object.keys(manifest.variants || {})[0] || "model";
  const entry = manifest.variants ? manifest.variants[name] : manifest.model ? manifest : null;
  if (!entry || !entry.model || !entry.sha256) {
    const known = Object.keys(manifest.variants || {}).join(", ") || "none";
    throw new Error(`the manifest has no usable "${name}" model (variants: ${known})`);
  }
  return { name, entry };
}

/** Threads for onnxruntime-web: 1 unless SharedArrayBuffer is usable (the page is cross-origin
 *  isolated, see site_widgets/offline/sw.js), then one per core up to 4. */
// --8<-- [start:threads]
export function threadsFor(scope) {
  if (!scope.crossOriginIsolated || typeof SharedArrayBuffer === "undefined") return 1;
  return Math.max(1, Math.min(4, scope.navigator?.hardwareConcurrency || 1));
}
// --8<-- [end:threads]

/** {"session.disable_quant_qdq": "1"} -> {session: {disable_quant_qdq: "1"}}, the form
 *  onnxruntime-web's `extra` session option takes (it joins the keys back with dots). */
export function nested(flat) {
  const out = {};
  for (const [key, value] of Object.entries(flat || {})) {
    const parts = key.split(".");
    let node = out;
    for (const p of parts.slice(0, -1)) node = node[p] ??= {};
    node[parts[parts.length - 1]] = String(value);
  }
  return out;
}

/**
 * Session options for a manifest entry. The entry's `session_config` (flat ONNX Runtime
 * config keys, e.g. session.disable_quant_qdq) comes first; `overrides` (benchmarks, other
 * pages) may change any option: {graphOptimizationLevel, freeDimensionOverrides,
 * enableCpuMemArena, executionMode, config: {flat keys}}.
 */
export function sessionOptions(entry, overrides = {}) {
  const { config, ...rest } = overrides;
  return {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
    ...rest,
    extra: nested({ ...(entry.session_config || {}), ...(config || {}) }),
  };
}
