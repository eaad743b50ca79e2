// Every sentence the trainer page says about the reader's run (no DOM). Numbers come from
// the run itself; nothing here decides anything.

import { fmtLr, fmtPct } from "../figures/format.js";

export const plural = (n, one, many = `${one}s`) => `${Number(n).toLocaleString("en")} ${n === 1 ? one : many}`;
const secs = (s) => (s < 10 ? `${s.toFixed(1)} s` : s < 90 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);

const STEPS = {
  reading: "Reading the photos", extracting: "Computing the activations", lrfind: "The learning-rate finder",
  training: "Training", retraining: "Retraining", ranking: "Ranking the photos for cleaning", cam: "The activation map",
  body: "Loading the network",
};

export const stepName = (name) => STEPS[name] || name;
export const cancelled = (name) => `${stepName(name)}: cancelled. What was done so far is kept.`;

/** A failure the reader can act on: a download (retry), storage, or what went wrong. */
export function failure(name, err) {
  const what = err?.message || String(err);
  if (err?.download) {
    return `${stepName(name)} failed: a file the page needs could not be downloaded (${what}). ` +
      "If you are offline, reconnect; then press Retry.";
  }
  return `${stepName(name)} failed: ${what}`;
}

export const nothingGiven = () => "Nothing to read: the folder or selection held no files.";

export function reading({ done, total }) {
  return `Reading and checking ${plural(total, "file")}: ${done} done.`;
}

export function extracting(p) {
  const parts = [`${p.done} of ${plural(p.total, "photo")}`];
  if (p.cached) parts.push(`${p.cached} from this browser's cache`);
  if (p.failed) parts.push(`${p.failed} could not be decoded`);
  if (p.rate) parts.push(`${p.rate.toFixed(1)} photos/s`);
  if (p.eta !== null && p.eta !== undefined && p.done < p.total) parts.push(`about ${secs(p.eta)} left`);
  return parts.join(" · ");
}

export function extracted(x, body) {
  const parts = [`Activations of ${plural(x.cached + x.computed, "photo")} ready`];
  if (x.cached) parts.push(`${x.cached} came from this browser's cache (computed on an earlier visit)`);
  if (x.computed) {
    parts.push(`${x.computed} computed in ${secs(x.ms / 1000)}${x.rate ? ` (${x.rate.toFixed(1)} photos/s on ${plural(body.threads || 1, "thread")})` : ""}`);
  }
  if (x.failedCount) parts.push(`${plural(x.failedCount, "photo")} could not be decoded and ${x.failedCount === 1 ? "was" : "were"} left out (listed in step 1)`);
  return `${parts.join("; ")}. Each is a vector of ${body.nFeatures} numbers: the body's last feature map ` +
    `(${body.features.channels} × ${body.features.height} × ${body.features.width}) averaged over its grid.`;
}

export function lrSummary(lr, picked) {
  if (!lr.suggested_lr) return `The finder stopped too early to suggest a value (${lr.stopped}); pick one on the curve.`;
  return `${lr.lrs.length} mini-batches, ${lr.stopped}. Steepest descent at ${fmtLr(lr.suggested_lr)}; ` +
    `the minimum ÷ 10 is ${fmtLr(lr.min_lr_div10)}. Training will use ${fmtLr(picked)}` +
    `${picked === lr.suggested_lr ? " (the suggestion)" : " (your pick)"}: click the curve or use the arrow keys and Enter to pick another.`;
}

export function fitSummary(run) {
  const last = run.history.epochs[run.history.epochs.length - 1];
  return `${plural(run.epochs, "epoch")} at max lr ${fmtLr(run.maxLr)} in ${secs(run.seconds)}: validation error ` +
    `${fmtPct(last.error_rate)} (${run.interp.n_wrong} of ${run.interp.n} photos wrong), validation loss ${last.valid_loss.toFixed(3)}.`;
}

export function beforeAfter(before, after) {
  const a = after.interp;
  return `Before cleaning: ${fmtPct(before.interp.error_rate)} wrong on the validation photos as they were labelled; ` +
    `the same head on the cleaned validation photos: ${fmtPct(before.onCleaned.error_rate)} (${before.onCleaned.n_wrong} of ${before.onCleaned.n}). ` +
    `After retraining on the cleaned photos (${plural(before.marks, "mark")} applied): ${fmtPct(a.error_rate)} ` +
    `(${a.n_wrong} of ${a.n}).`;
}

export const storage = (st) => (st && st.state !== "on" ? st.message : "");
