// Every setting of the in-browser trainer, in one table (no DOM). The defaults are the
// Python pipeline's for the head stage (training/bears/train.py, lr_finder.py), so a run
// here and `python -m training.bears train` on the same photos agree.

import { LIMITS } from "./intake.js";

export const SETTINGS = {
  /** the body model's manifest (site-root path); the page's data-manifest overrides it */
  manifest: "assets/models/bears.json",
  limits: LIMITS, // labels, photos per label, photos in all (intake.js says why)
  split: { validPct: 0.2, seed: 42 }, // data.py's DataConfig defaults
  // train.py's stage 1: head_epochs, head_lr, bs, head_dropout, wd, pct_start
  fit: { epochs: 4, maxLr: 3e-3, bs: 32, dropout: 0.2, wd: 0.01, pctStart: 0.25, seed: 42 },
  // lr_finder.py's LRFindConfig for the head: num_it 0 means 300 there. skipStart: the
  // suggestion ignores the first 50 steps (the smoothing's memory, 1 / (1 - beta)), not 10 as
  // the command does: a reader's few dozen photos give batches of uneven size whose noise the
  // young average still carries, and at 10 steps it pointed at 1.9e-7, where nothing learns
  // (measured on 72 photos through the (x - 0.5) / 0.5 body; the lesson's 558 never did)
  lrFind: { startLr: 1e-7, endLr: 10, numIt: 300, skipStart: 50 },
  // the reader's controls: ranges and the URL parameters that keep them
  controls: { epochs: { min: 1, max: 30 }, lr: { min: 1e-6, max: 1 }, param: { epochs: "epochs", lr: "lr" } },
  oof: { k: 5 }, // out-of-fold folds for the cleaning ranking
  extract: {
    batch: 4, // photos per body call (wasm runs a batch a little faster per photo than one at a time)
    ahead: 8, // decoded photos waiting for the body at most (each is 3 x crop x crop floats)
    decoders: 1, // workers decoding and cropping while the body runs
  },
  camera: { perLabel: 20, everyMs: 250, maxSide: 640 }, // a capture takes perLabel photos, one every everyMs
  lists: { thumbs: 24 }, // photos shown at once in a list (confusion cell, top losses)
};

/** Threads for the body: one core is left to decoding when the page may use several. On two
 *  cores that is one thread even when cross-origin isolated: onnxruntime-web split over two
 *  threads used 1.6 to 2 times the CPU time per photo (the body's worker and its pthread, from
 *  /proc; tests/bench/classifier.py found the same for one classification), so the pair would
 *  not be faster than one thread beside a decoder, and on a busy machine it is slower. */
export function bodyThreads(scope) {
  const cores = scope.navigator?.hardwareConcurrency || 1;
  if (!scope.crossOriginIsolated || typeof SharedArrayBuffer === "undefined") return 1;
  return Math.max(1, Math.min(4, cores - SETTINGS.extract.decoders));
}
