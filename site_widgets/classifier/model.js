// The classifier's model, in its worker (worker.js), shared by every mount of the widget
// on this page. No DOM beyond Worker.
//
// Material's instant navigation mounts the widget again on every visit to the page. The
// model (runtime, download, SHA-256 check, session) is set up once per page and kept: a
// reader who comes back gets answers at once, and memory does not grow visit after visit.
// Everything else belongs to one mount and ends with it (the widget's requests are
// cancelled through its signal). When no mount has used the model for LINGER_MS, the
// worker is ended and its memory freed; the next visit sets it up again.

import { OnnxClient } from "../onnx/client.js";

export const LINGER_MS = 3 * 60 * 1000;
const KEY = "model";
const shared = new Map(); // manifest URL + variant -> holder

/**
 * The model for this mount: {load(), classify(file, limits, signal), ready}. `ctx` is the
 * widget's context (mount.js): the mount counts as a user until it is unmounted.
 */
export function useModel(ctx, manifestUrl, variant = null) {
  const id = `${manifestUrl}#${variant || ""}`;
  let h = shared.get(id);
  if (!h) {
    h = { id, manifestUrl, variant, workerUrl: ctx.widgetUrl("classifier/worker.js"), client: null, info: null, ready: null,
          users: 0, timer: null };
    shared.set(id, h);
  }
  h.users++;
  clearTimeout(h.timer);
  ctx.onUnmount(() => {
    if (--h.users === 0) h.timer = setTimeout(() => end(h), LINGER_MS);
  });
  return {
    /** Model info once set up (cached); a failed load is retried by the next call. `warm`: then
     *  warm it up in the background (engine.js), for a load ahead of need (the reader is still
     *  reading, or choosing a photo); a photo given meanwhile goes first. */
    load: (warm = false) => load(h, warm),
    /** The set-up model's info, or null while it is not ready. */
    get ready() { return h.ready; },
    /** head: the reader's head.json ("use my model", trainer/myhead.js) or null for the site's own. */
    classify: (file, limits, signal, onProgress, head = null) => classify(h, file, limits, signal, onProgress, head),
    /** One run of the model on input already prepared (feeds as onnx/client.js takes them), for
     *  the page's other widgets that show this model's own numbers (imagenumbers: its logits):
     *  the same worker and session as the classifier, set up once per page. */
    run: async (feeds, outputs, signal) => { await load(h); return h.client.run(KEY, feeds, { outputs, signal }); },
  };
}

function client(h) {
  if (!h.client || h.client.broken) {
    h.client?.terminate();
    h.client = new OnnxClient(new Worker(h.workerUrl, { type: "module" }));
    h.info = null;
    h.ready = null;
  }
  return h.client;
}

function load(h, warm = false) {
  if (!h.info || h.client.broken) {
    const c = client(h);
    h.info = c.load({ key: KEY, manifest: h.manifestUrl, variant: h.variant, warm }).then(
      (info) => { h.ready = info; return info; },
      (err) => { if (h.client === c) h.info = null; throw err; },
    );
  }
  return h.info;
}

/** Decode + classify one photo; the photo is decoded in the worker while the model loads. */
async function classify(h, file, limits, signal, onProgress, head) {
  const loading = load(h);
  const job = (async () => {
    if (typeof OffscreenCanvas !== "undefined") return h.client.call("classify", { key: KEY, file, limits, head }, { signal, onProgress });
    // Browsers without canvases in workers (Safari before 16.4): decode here, classify there.
    const { decodeImage } = await import("./decode.js");
    const d = await decodeImage(file, limits);
    const pixels = { rgba: d.rgba, width: d.width, height: d.height, notes: d.notes };
    return { ...await h.client.call("classify", { key: KEY, pixels, limits, head }, { signal, onProgress }), display: d.bitmap };
  })();
  const [model, result] = await Promise.allSettled([loading, job]);
  // A photo that cannot be read says so even while the model cannot load; otherwise the load's reason first.
  if (result.status === "rejected" && result.reason.name === "ImageInputError") throw result.reason;
  if (model.status === "rejected") throw model.reason;
  if (result.status === "rejected") throw result.reason;
  return { ...result.value, model: model.value };
}

function end(h) {
  if (h.users > 0) return;
  shared.delete(h.id);
  h.client?.terminate();
}
