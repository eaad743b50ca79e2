// The SGD widget: fit y = x@a by gradient descent, animated, with the update()
// step as Python the reader can edit. Python (Pyodide) runs in a module Web
// Worker started on first use; until it is ready the widget plays the run the
// PyTorch script recorded (same data, same settings), then switches to live.
//
// Math lives in Python (training/sgd_core.py, site_widgets/linfit/sandbox.py);
// view.js only draws; settings.js holds every default.
import { h, statusLine, errorBox, reducedMotion, fetchJSON, fetchText, fmt } from "../common/ui.js";
import { SETTINGS, PLAYBACK, DEFAULTS, SEED } from "./settings.js";
import { PythonRunner } from "./python.js";
import { drawFit, drawLoss } from "./view.js";

const CORE_URL = new URL("../py/sgd_core.py", import.meta.url);
const WORKER_URL = new URL("./worker.js", import.meta.url);

/** The update() function as written in the core, between its snippet markers. */
function updateSource(core) {
  const m = core.match(/# --8<-- \[start:update\]\n([\s\S]*?)# --8<-- \[end:update\]/);
  if (!m) throw new Error("sgd_core.py has no update() section");
  return m[1].trimEnd() + "\n";
}

const same = (s, t) => Object.keys(DEFAULTS).every((k) => s[k] === t[k]);

function slider(key, value, onInput) {
  const spec = SETTINGS[key];
  const show = spec.format || String;
  const id = `linfit-${key}-${Math.random().toString(36).slice(2, 8)}`;
  const out = h("output", { for: id }, show(value));
  const input = h("input", {
    id, type: "range", min: 0, max: spec.choices.length - 1, step: 1,
    value: spec.choices.indexOf(value), "aria-valuetext": show(value), dataset: { setting: key },
  });
  input.addEventListener("input", () => {
    const v = spec.choices[Number(input.value)];
    out.textContent = show(v);
    input.setAttribute("aria-valuetext", show(v));
    onInput(v);
  });
  return h("label", { class: "linfit-slider", for: id }, h("span", {}, spec.label), input, out);
}

// data-recorded: the PyTorch run to play while Python loads (same settings as DEFAULTS);
// data-code (optional): a Python file beside this module to start the editor with,
// e.g. "momentum.py"; without it the editor starts with the core's update().
export async function mount(el) {
  const recordedUrl = new URL(el.dataset.recorded, document.baseURI);
  const [recorded, code] = await Promise.all([
    fetchJSON(recordedUrl),
    el.dataset.code
      ? fetchText(new URL(el.dataset.code, import.meta.url))
      : fetchText(CORE_URL).then(updateSource),
  ]);
  const originalCode = code.trimEnd() + "\n";
  const data = { x: recorded.x, y: recorded.y, a: recorded.a[0] };
  const best = recorded.optimum_a;
  const bestLoss = recorded.optimum_loss;

  const state = {
    settings: { ...DEFAULTS },
    code: originalCode,
    run: { a: recorded.a, loss: recorded.loss, diverged: recorded.diverged },
    source: "recorded",
    k: 0,
    playing: false,
    started: false,
  };

  // ---- DOM ----
  const fitCanvas = h("canvas", { class: "linfit-canvas", role: "img", "aria-label": "data points and the fitted line" });
  const lossCanvas = h("canvas", { class: "linfit-canvas", role: "img", "aria-label": "loss per step" });
  const stepOut = h("span", { class: "linfit-step" });
  const aOut = h("span", { class: "linfit-a" });
  const lossOut = h("span", { class: "linfit-loss" });
  const warn = h("span", { class: "linfit-warning", role: "status" });
  const playBtn = h("button", { type: "button", class: "md-button md-button--primary linfit-play" }, "Play");
  const stepBtn = h("button", { type: "button", class: "md-button linfit-stepbtn" }, "Step");
  const resetBtn = h("button", { type: "button", class: "md-button linfit-reset" }, "Reset");
  const status = statusLine("widget-status linfit-status");
  const errors = errorBox("widget-error linfit-error");
  const output = h("pre", { class: "linfit-output", hidden: true, "aria-label": "what your code printed" });
  const editor = h("textarea", {
    class: "linfit-code", rows: Math.max(8, originalCode.split("\n").length), wrap: "off", spellcheck: "false", autocapitalize: "off", autocomplete: "off",
    "aria-label": "Python code of update(a, xb, yb, lr)",
  });
  editor.value = originalCode;
  const runBtn = h("button", { type: "button", class: "md-button md-button--primary linfit-run" }, "Run my update");
  const restoreBtn = h("button", { type: "button", class: "md-button linfit-restore" }, "Restore original");

  const ui = h("div", { class: "linfit" },
    h("div", { class: "linfit-plots" }, fitCanvas, lossCanvas),
    h("p", { class: "linfit-readout" }, "step ", stepOut, " · a = ", aOut, " · loss ", lossOut, " ", warn),
    h("div", { class: "linfit-controls" }, playBtn, stepBtn, resetBtn,
      ...Object.keys(SETTINGS).map((key) => slider(key, state.settings[key], (v) => changeSetting(key, v)))),
    status.node,
    h("div", { class: "linfit-editor" },
      h("p", { class: "linfit-hint" },
        "The update step, in Python. Edit it and run it (Ctrl+Enter). Available without import: ",
        h("code", {}, "matvec, mse, mse_grad, math"), ". Tab indents; Esc then Tab leaves the editor."),
      editor, h("div", { class: "linfit-controls" }, runBtn, restoreBtn), errors.node, output));
  el.append(ui);

  // ---- drawing ----
  let firstFrameMarked = false;
  function render() {
    const { run } = state;
    const last = run.a.length - 1;
    const k = Math.min(state.k, last);
    const a = run.a[k];
    const loss = run.loss[k];
    drawFit(fitCanvas, data, a, best);
    drawLoss(lossCanvas, run.loss, k, state.settings.steps, bestLoss);
    const perEpoch = Math.ceil(data.x.length / (state.settings.batch_size || data.x.length));
    stepOut.textContent = `${k} / ${state.settings.steps} (epoch ${(k / perEpoch).toFixed(perEpoch > 1 ? 1 : 0)})`;
    aOut.textContent = `(${fmt(a[0], 3)}, ${fmt(a[1], 3)})`;
    lossOut.textContent = fmt(loss, 4);
    lossOut.dataset.value = String(loss);
    const exploding = loss > PLAYBACK.divergedLoss || (run.diverged && k === last);
    warn.textContent = exploding
      ? `The loss is exploding: the learning rate is too high${run.diverged && k === last ? ` (numbers overflowed after step ${last})` : ""}.`
      : "";
    el.dataset.k = String(k);
    el.dataset.source = state.source;
    if (state.started && !firstFrameMarked) {
      firstFrameMarked = true;
      performance.mark("linfit:first-frame");
    }
  }

  // ---- playback ----
  let raf = 0;
  function setPlaying(on) {
    state.playing = on;
    playBtn.textContent = on ? "Pause" : "Play";
    playBtn.setAttribute("aria-pressed", String(on));
    el.dataset.playing = String(on);
    cancelAnimationFrame(raf);
    if (!on) return;
    const last = () => state.run.a.length - 1;
    if (state.k >= last()) state.k = 0;
    if (reducedMotion()) {
      // No animation: show where the run ends; Step still walks through it.
      state.k = last();
      render();
      setPlaying(false);
      return;
    }
    let prev = performance.now();
    let pos = state.k;
    const tick = (now) => {
      // rAF's timestamp is the frame's start, which can precede `prev`: never step backwards.
      pos = Math.max(pos, state.k) + (Math.max(0, now - prev) / 1000) * PLAYBACK.stepsPerSecond;
      prev = Math.max(prev, now);
      state.k = Math.min(Math.floor(pos), last());
      render();
      if (state.k >= last()) setPlaying(false);
      else raf = requestAnimationFrame(tick);
    };
    render();
    raf = requestAnimationFrame(tick);
  }

  // ---- Python ----
  const python = new PythonRunner(WORKER_URL, {
    timeoutMs: PLAYBACK.runTimeoutMs,
    onState(s, info) {
      el.dataset.python = s;
      if (s === "loading") {
        status.set(state.source === "recorded"
          ? "Loading Python in your browser… meanwhile this plays the run recorded by the PyTorch script."
          : "Loading Python in your browser…", "loading");
      } else if (s === "ready") {
        performance.mark("linfit:python-ready");
        el.dataset.pythonMs = String(Math.round(info.ms));
        status.set(`Python ready (${(info.ms / 1000).toFixed(1)} s): every run is now computed live by update().`, "ready");
      } else if (s === "failed") {
        status.set(`Python could not start (${info.error.message}). If you are offline, reconnect and press Play to try again; meanwhile the recorded run still plays.`, "error");
      }
    },
  });

  let inFlight = false;
  let wanted = null;
  const markBusy = () => { el.dataset.busy = String(inFlight || wanted !== null); };
  function requestRun(reason) {
    wanted = { reason, settings: { ...state.settings }, code: state.code };
    pump();
  }
  async function pump() {
    markBusy();
    if (inFlight || !wanted) return;
    const job = wanted;
    wanted = null;
    inFlight = true;
    markBusy();
    try {
      const result = await python.run({ code: job.code, ...data, ...job.settings, seed: SEED });
      if (!wanted) apply(job, result);
    } catch (err) {
      if (err.timeout) {
        errors.show(`Your update() did not finish within ${PLAYBACK.runTimeoutMs / 1000} s (an endless loop?), so Python was stopped and restarted. Your code is still in the editor; the last good run stays on screen.`);
      } else if (!wanted) {
        errors.show(`Python is not available: ${err.message}`);
      }
    } finally {
      inFlight = false;
      pump();
    }
  }
  let runsApplied = 0;
  function apply(job, result) {
    el.dataset.results = String(++runsApplied); // every answer from Python, good or not
    output.hidden = !result.stdout;
    output.textContent = result.stdout || "";
    if (!result.ok) {
      errors.show(`Your code raised an error; the last good run stays on screen.\n\n${result.error}`);
      return;
    }
    errors.clear();
    state.run = result;
    state.source = "python";
    if (job.reason === "swap") {
      render(); // same settings as the recording: carry on from the same step
    } else {
      state.k = 0;
      setPlaying(true);
    }
  }

  /** First use of anything: start Python (the recording plays meanwhile). Also
   *  retries after Python failed to load. */
  function start() {
    if (!state.started) {
      state.started = true;
      performance.mark("linfit:start");
    }
    if (!python.ready && !inFlight) {
      // With default settings and code the live run is the recorded one: swap in place.
      const unchanged = state.source === "recorded" && same(state.settings, DEFAULTS) && state.code === originalCode;
      requestRun(unchanged ? "swap" : "new");
    }
  }

  function changeSetting(key, value) {
    state.settings[key] = value;
    start();
    setPlaying(false);
    requestRun("new");
  }

  playBtn.addEventListener("click", () => {
    start();
    setPlaying(!state.playing);
  });
  stepBtn.addEventListener("click", () => {
    start();
    setPlaying(false);
    state.k = Math.min(state.k + 1, state.run.a.length - 1);
    render();
  });
  resetBtn.addEventListener("click", () => {
    setPlaying(false);
    state.k = 0;
    render();
  });
  function runCode() {
    state.code = editor.value;
    start();
    setPlaying(false);
    requestRun("new");
  }
  runBtn.addEventListener("click", runCode);
  restoreBtn.addEventListener("click", () => {
    editor.value = originalCode;
    runCode();
  });
  let escaped = false;
  editor.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      runCode();
    } else if (ev.key === "Tab" && !ev.shiftKey && !escaped) {
      ev.preventDefault();
      editor.setRangeText("    ", editor.selectionStart, editor.selectionEnd, "end");
    }
    escaped = ev.key === "Escape";
  });

  new ResizeObserver(() => render()).observe(fitCanvas);
  status.set("Press Play or Step. Python loads in your browser on first use.", "idle");
  render();
}
