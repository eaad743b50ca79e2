// The SGD widget's state, without DOM: settings (and their URL form), playback, the
// bookkeeping of runs (which one is wanted, which one Python is computing, what its
// answer changes) and every text the reader sees about them. linfit.js turns the
// reader's actions into calls here and draws the result (panel.js); the tests run this
// module in Node (tests/test_linfit_modules.py).

import { fmt } from "../common/format.js";
import { DEFAULTS, PLAYBACK, SEED, SETTINGS, settingKeys } from "./settings.js";
import { quadratic } from "./surface.js";

/** Code as the editor keeps it: \n line ends, one final newline. */
export const normalise = (code) => String(code).replace(/\r\n?/g, "\n").trimEnd() + "\n";

/**
 * recorded: the PyTorch run (fit.json / momentum.json): x, y, a, loss, diverged, optimum_a/_loss.
 * code: the update() the editor starts with. settings: from the URL (settingsFrom).
 * keys: the settings the widget shows (settingKeys). surface: the loss surface is drawn.
 */
export function createState({ recorded, code, settings = DEFAULTS, keys = settingKeys(), surface = false }) {
  const recording = { a: recorded.a, loss: recorded.loss, diverged: recorded.diverged };
  const originalCode = normalise(code);
  return {
    data: { x: recorded.x, y: recorded.y, a: recorded.a[0] },
    best: recorded.optimum_a,
    bestLoss: recorded.optimum_loss,
    q: quadratic(recorded.x, recorded.y), // the MSE as a quadratic in a: its curvature, its best a
    surface,
    keys,
    settings: { ...DEFAULTS, ...settings },
    originalCode,
    code: originalCode, // the code runs use (the editor may hold newer, unrun text)
    run: recording, // the run on screen
    runCode: originalCode, // the code that computed it
    source: "recorded", // "recorded" (the PyTorch run) | "python" (computed live)
    k: 0, // the step on screen
    playing: false,
    started: false, // the reader has used the widget (Python is wanted)
    wanted: null, // the next run to ask Python for: {reason, settings, code}
    inFlight: null, // the run Python is computing
    results: 0, // answers from Python so far, good or not
  };
}

export const lastStep = (s) => s.run.a.length - 1;
export const sameSettings = (a, b) => Object.keys(SETTINGS).every((key) => a[key] === b[key]);
export const busy = (s) => Boolean(s.inFlight || s.wanted);
/** Whether the PyTorch recording is the run of these settings and code. */
export const recordingFits = (s) => sameSettings(s.settings, DEFAULTS) && s.code === s.originalCode;

// ------------------------------------------------------------------ settings and the URL

const parse = (key, raw) => (key === "batch_size" && raw === "all" ? 0 : Number(raw));
export const showSetting = (key, value) => (SETTINGS[key].format || String)(value);

/** Settings from URL parameters (of the settings `keys`); a value that is not one of the
 *  choices is named in `notes`. */
export function settingsFrom(params, keys = settingKeys()) {
  const settings = { ...DEFAULTS };
  const notes = [];
  for (const key of keys) {
    const spec = SETTINGS[key];
    const raw = params.get(spec.param);
    if (raw === null) continue;
    const value = parse(key, raw.trim());
    if (spec.choices.includes(value)) settings[key] = value;
    else notes.push(`${spec.param}=${raw} in the address is not one of the choices; using ${showSetting(key, spec.default)}.`);
  }
  return { settings, notes };
}

/** [URL parameter, its value] for a setting; null (no parameter) for the default. */
export const paramOf = (key, value) => [SETTINGS[key].param, value === SETTINGS[key].default ? null : showSetting(key, value)];

export function changeSetting(s, key, value) {
  if (!SETTINGS[key] || !SETTINGS[key].choices.includes(value)) throw new RangeError(`no ${key} choice ${value}`);
  s.settings[key] = value;
}

// The reader's edited code, when short, is kept in the address too (?code=), so a link can
// carry it; it opens in the editor and runs only when the reader presses Run (a link's code
// is somebody else's code).
export const CODE_PARAM = "code";

/** The code a link brought ("" if none, or the lesson's own), and a note for the reader. */
export function codeFrom(params, originalCode) {
  const raw = params.get(CODE_PARAM);
  if (raw === null || normalise(raw) === originalCode) return { code: "", note: "" };
  if (raw.length > PLAYBACK.maxUrlCode) {
    return { code: "", note: `The address carries ${raw.length} characters of code, more than the ${PLAYBACK.maxUrlCode} it may; the editor starts with the lesson's code.` };
  }
  return { code: normalise(raw), note: "This address brought its own update(), now in the editor: read it, then press Run my update to run it." };
}

/** [URL parameter, value] for the code runs use: none for the lesson's code or code too long to keep. */
export function codeParamOf(s) {
  const keep = s.code !== s.originalCode && s.code.length <= PLAYBACK.maxUrlCode;
  return [CODE_PARAM, keep ? s.code : null];
}

// ------------------------------------------------------------------ playback

/** Play pressed. "animate": run the animation; "jump": shown at its end at once (reduced
 *  motion); "wait": the run on screen is not the one asked for, Python's will play. */
export function play(s, { reduced = false } = {}) {
  if (s.wanted?.reason === "new" || s.inFlight?.reason === "new") {
    s.playing = false;
    return "wait";
  }
  if (s.k >= lastStep(s)) s.k = 0;
  if (reduced) {
    s.k = lastStep(s);
    s.playing = false;
    return "jump";
  }
  s.playing = true;
  return "animate";
}

/** One animation frame, `elapsedMs` after the previous one; `pos` is the fractional step
 *  (returned updated). Never steps backwards; stops at the end. */
export function advance(s, pos, elapsedMs) {
  const next = Math.max(pos, s.k) + (Math.max(0, elapsedMs) / 1000) * PLAYBACK.stepsPerSecond;
  s.k = Math.min(Math.floor(next), lastStep(s));
  if (s.k >= lastStep(s)) s.playing = false;
  return next;
}

export function pause(s) {
  s.playing = false;
}

export function stepOnce(s) {
  s.playing = false;
  s.k = Math.min(s.k + 1, lastStep(s));
}

export function rewind(s) {
  s.playing = false;
  s.k = 0;
}

// ------------------------------------------------------------------ runs

/** Ask for a run of the current settings and code. "swap": the recording's own run, shown
 *  in place when it comes; "new": anything else, played from the start when it comes. */
export function want(s, reason) {
  s.wanted = { reason, settings: { ...s.settings }, code: s.code };
}

/** A use of the widget: Python's run is wanted, unless Python has answered before (then
 *  runs follow changes). Python may have loaded before this first use (as the reader came
 *  near), or failed to (then it is tried again). Returns true the first time (for the page's marks). */
export function begin(s, pythonReady) {
  const first = !s.started;
  s.started = true;
  if ((!pythonReady || s.results === 0) && !s.inFlight && !s.wanted) {
    want(s, s.source === "recorded" && recordingFits(s) ? "swap" : "new");
  }
  return first;
}

/** The next run to send to Python, or null (one at a time; only the newest wanted one). */
export function takeJob(s) {
  if (s.inFlight || !s.wanted) return null;
  s.inFlight = s.wanted;
  s.wanted = null;
  return s.inFlight;
}

/** What the worker is sent for a job. */
export const request = (s, job) => ({
  code: job.code, x: s.data.x, y: s.data.y, a: s.data.a,
  lr: job.settings.lr, steps: job.settings.steps, batch_size: job.settings.batch_size, seed: SEED,
  momentum: job.settings.momentum,
});

const clip = (text) => {
  const t = String(text ?? "");
  return t.length > PLAYBACK.maxText ? `${t.slice(0, PLAYBACK.maxText)}\n[… ${t.length - PLAYBACK.maxText} more characters]` : t;
};

/**
 * Python answered `job`. Returns what to show: {output, error, play}, or null when a newer
 * run is already wanted (this answer is out of date and shown nowhere).
 */
export function finish(s, job, result) {
  s.inFlight = null;
  s.results += 1;
  if (s.wanted) return null;
  const ignored = result.ignored ? `\n[the widget ignored ${result.ignored} call(s) of postMessage/close from your code]` : "";
  const output = clip(result.stdout) + ignored;
  if (!result.ok) {
    return { output, error: `Your code did not give a run; the last good run stays on screen.\n\n${clip(result.error)}`, play: false };
  }
  s.run = { a: result.a, loss: result.loss, diverged: result.diverged };
  s.runCode = job.code;
  s.source = "python";
  if (job.reason === "swap") return { output, error: null, play: false }; // same run: carry on from the same step
  s.k = 0;
  return { output, error: null, play: true };
}

const seconds = (ms) => Number((ms / 1000).toFixed(1));
const KEPT = "Your code is still in the editor; the last good run stays on screen.";

/** Python failed on `job` (a RunError from python.js). The message to show, or null. */
export function fail(s, job, err) {
  s.inFlight = null;
  switch (err && err.kind) {
    case "stopped":
      return null; // the widget is going away
    case "timeout":
      return `Your update() did not finish within ${seconds(err.budgetMs)} s (an endless loop?), so Python was stopped and restarted. ${KEPT}`;
    case "crashed":
      return `Python stopped working while it ran your code (${err.message}), so it was restarted. ${KEPT}`;
    case "protocol":
      return `Python sent the page ${err.message}, which the widget did not ask for (did your code reach the page's JavaScript?), so Python was restarted. ${KEPT}`;
    default:
      return s.wanted ? null : `Python is not available: ${err && err.message ? err.message : err}`;
  }
}

/**
 * How long a run may take before it counts as an endless loop: runTimeoutMs, or more on a
 * machine where the lesson's update() itself is slow. calibrationMs: 100 full-batch steps on
 * 100 points, measured by the worker. Every step costs its batch, plus the loss on all points.
 */
export function runBudgetMs(settings, n, calibrationMs) {
  if (!(calibrationMs > 0)) return PLAYBACK.runTimeoutMs;
  const perPoint = calibrationMs / (100 * 200);
  const batch = settings.batch_size ? Math.min(settings.batch_size, n) : n;
  const expected = settings.steps * (batch + n) * perPoint;
  return Math.max(PLAYBACK.runTimeoutMs, Math.ceil(PLAYBACK.slowMachineFactor * expected));
}

// ------------------------------------------------------------------ what the readout says

export function readout(s) {
  const last = lastStep(s);
  const k = Math.min(s.k, last);
  const a = s.run.a[k];
  const loss = s.run.loss[k];
  const n = s.data.x.length;
  const perEpoch = Math.ceil(n / (s.settings.batch_size || n));
  const overflowed = s.run.diverged && k === last;
  let warning = "";
  if (loss > PLAYBACK.divergedLoss || overflowed) {
    const cause = s.runCode === s.originalCode ? "the learning rate is too high" : "each step overshoots (lower the learning rate, or look at what your update() does with it)";
    warning = `The loss is exploding: ${cause}${overflowed ? ` (numbers overflowed after step ${last})` : ""}.`;
  }
  return {
    k, a, loss, warning,
    step: `${k} / ${s.settings.steps} (epoch ${(k / perEpoch).toFixed(perEpoch > 1 ? 1 : 0)})`,
    coefficients: `(${fmt(a[0], 3)}, ${fmt(a[1], 3)})`,
    lossText: fmt(loss, 4),
  };
}
