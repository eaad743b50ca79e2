// The SGD widget: fit y = x@a by gradient descent, animated, with the update() step as
// Python the reader can edit. Python (Pyodide) runs in a module Web Worker started on
// first use; until it is ready the widget plays the run the PyTorch script recorded
// (same data, same settings), then switches to live.
//
//   settings.js  every setting, its choices and URL parameter     state.js   the state, no DOM
//   panel.js     the DOM, painted from the state                  view.js    the two canvases
//   python.js    the worker from the page's side                   worker.js  the worker
//   sandbox.py   runs the reader's update() in a clean Python     update.py  the lesson's update()
//
//   surface.js   the loss surface: curvature, the lr limit, contours, steps (no DOM)
//
// data-recorded: the PyTorch run to play while Python loads (same settings as DEFAULTS), and
// data-code: the Python the editor starts with; both site-root paths (assets/sgd/fit.json,
// assets/widgets/linfit/momentum.py). data-surface: also draw the loss surface (contours, the
// path, the lr limit, the steps along the steepest direction); data-momentum: a momentum
// control. Settings live in the URL (?lr=1.5&batch=10&steps=200&mom=0.9), and so does edited
// code when short (?code=, shown in the editor, run only when the reader presses Run).
// Python starts loading when the reader comes near the widget. On unmount the worker, the
// animation, the observers and the resize observer end (ctx).

import { onApproach } from "../common/approach.js";
import { readParams, writeParam } from "../common/urlstate.js";
import { reducedMotion } from "../common/ui.js";
import { buildPanel, paint, showAnswer, showPlaying, showSlider } from "./panel.js";
import { PythonRunner } from "./python.js";
import { CODE, PLAYBACK, SETTINGS, WORKER, settingKeys } from "./settings.js";
import * as S from "./state.js";

/** w: one mounted widget {el, ctx, s (state), ui (panel), python, raf}. */
function render(w) {
  paint(w.ui, w.el, w.s);
  if (w.s.started && !w.firstFrame) {
    w.firstFrame = true;
    performance.mark("linfit:first-frame");
  }
}

function stopAnimation(w) {
  cancelAnimationFrame(w.raf);
  w.raf = 0;
}

/** Play, or go on playing, what play() decided; the animation ends on unmount. */
function setPlaying(w, on) {
  stopAnimation(w);
  const how = on ? S.play(w.s, { reduced: reducedMotion() }) : (S.pause(w.s), "paused");
  if (how === "wait") w.ui.status.set("Your run plays as soon as Python has computed it…", "loading");
  showPlaying(w.ui, w.el, w.s.playing);
  render(w);
  if (how !== "animate") return;
  let prev = performance.now();
  let pos = w.s.k;
  const tick = (now) => {
    pos = S.advance(w.s, pos, now - prev); // rAF's time may precede `prev`: advance never steps back
    prev = Math.max(prev, now);
    render(w);
    if (w.s.playing) w.raf = requestAnimationFrame(tick);
    else showPlaying(w.ui, w.el, false);
  };
  w.raf = requestAnimationFrame(tick);
}

function pythonState(w, state, info) {
  w.el.dataset.python = state;
  if (state === "loading") {
    let text = "Loading Python in your browser…";
    if (!w.s.started) text = "Loading Python in your browser, so that it is ready when you press Play…";
    else if (w.s.source === "recorded") text += " meanwhile this plays the run recorded by the PyTorch script.";
    w.ui.status.set(text, "loading");
  } else if (state === "ready") {
    performance.mark("linfit:python-ready", { detail: info.timings });
    w.el.dataset.pythonMs = String(Math.round(info.ms));
    w.ui.status.set(`Python ready (${(info.ms / 1000).toFixed(1)} s): every run is now computed live by update().`, "ready");
  } else if (state === "failed") {
    w.ui.status.set(`Python could not start (${info.error.message}). If you are offline, reconnect and press Play to try again; meanwhile the recorded run still plays.`, "error");
  }
}

const markBusy = (w) => { w.el.dataset.busy = String(S.busy(w.s)); };

/** Send the wanted run to Python when it is free; show its answer. One at a time. */
async function pump(w) {
  markBusy(w);
  const job = S.takeJob(w.s);
  if (!job) return;
  let shown;
  try {
    await w.python.start();
    const budget = S.runBudgetMs(job.settings, w.s.data.x.length, w.python.calibrationMs);
    const result = await w.python.run(S.request(w.s, job), budget);
    shown = S.finish(w.s, job, result);
    w.el.dataset.results = String(w.s.results); // every answer from Python, good or not
  } catch (err) {
    const message = S.fail(w.s, job, err);
    shown = message && { output: "", error: message, play: false };
  }
  if (w.ctx.signal.aborted) return;
  if (shown) {
    showAnswer(w.ui, shown);
    if (shown.play) setPlaying(w, true);
    else render(w);
  }
  pump(w);
}

/** Python starts loading when the reader approaches the widget (common/approach.js): not
 *  before, so a reader who never comes near it transfers none of Python. A failure is shown
 *  (pythonState) and Play tries again. */
function loadOnApproach(w) {
  onApproach(w.ctx, w.el, () => {
    if (w.python.session) return;
    performance.mark("linfit:approach");
    w.python.start().catch(() => {});
  }, { margin: PLAYBACK.approachMargin });
}

/** Any use of the widget: Python is wanted (and retried if it failed to load). */
function begin(w) {
  if (S.begin(w.s, w.python.ready)) performance.mark("linfit:start");
  pump(w);
}

/** A new run is wanted (new settings or code): it plays from the start when Python has it. */
function runAgain(w) {
  setPlaying(w, false);
  S.want(w.s, "new");
  begin(w);
}

function changeSetting(w, key, value) {
  S.changeSetting(w.s, key, value);
  showSlider(w.ui, key, value);
  writeParam(...S.paramOf(key, value));
  runAgain(w);
}

function runCode(w) {
  w.s.code = S.normalise(w.ui.editor.value);
  writeParam(...S.codeParamOf(w.s));
  runAgain(w);
}

/** The editor: Ctrl/Cmd+Enter runs, Tab indents (Esc then Tab leaves it). */
function editorKeys(w) {
  let escaped = false;
  return (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      runCode(w);
    } else if (ev.key === "Tab" && !ev.shiftKey && !escaped) {
      ev.preventDefault();
      w.ui.editor.setRangeText("    ", w.ui.editor.selectionStart, w.ui.editor.selectionEnd, "end");
    }
    escaped = ev.key === "Escape";
  };
}

function wire(w) {
  const { ui } = w;
  ui.play.addEventListener("click", () => {
    begin(w);
    setPlaying(w, !w.s.playing);
  });
  ui.stepButton.addEventListener("click", () => {
    begin(w);
    stopAnimation(w);
    S.stepOnce(w.s);
    showPlaying(w.ui, w.el, false);
    render(w);
  });
  ui.reset.addEventListener("click", () => {
    stopAnimation(w);
    S.rewind(w.s);
    showPlaying(w.ui, w.el, false);
    render(w);
  });
  for (const [key, { input }] of Object.entries(ui.sliders)) {
    input.addEventListener("input", () => changeSetting(w, key, SETTINGS[key].choices[Number(input.value)]));
  }
  ui.run.addEventListener("click", () => runCode(w));
  ui.restore.addEventListener("click", () => {
    ui.editor.value = w.s.originalCode;
    runCode(w);
  });
  ui.editor.addEventListener("keydown", editorKeys(w));
}

/** The state from the page's data, the widget's options and the address. */
function initialState(el, recorded, code) {
  const keys = settingKeys({ momentum: "momentum" in el.dataset });
  const params = readParams();
  const { settings, notes } = S.settingsFrom(params, keys);
  const s = S.createState({ recorded, code, settings, keys, surface: "surface" in el.dataset });
  const linked = S.codeFrom(params, s.originalCode);
  if (linked.note) notes.push(linked.note);
  return { s, notes, linkedCode: linked.code };
}

export async function mount(el, ctx) {
  const [recorded, code] = await Promise.all([
    ctx.fetchJSON(el.dataset.recorded),
    ctx.fetchText(el.dataset.code || CODE),
  ]);
  const { s, notes, linkedCode } = initialState(el, recorded, code);
  const ui = buildPanel(s);
  if (linkedCode) ui.editor.value = linkedCode; // shown, not run: the reader presses Run
  el.append(ui.root);
  const w = { el, ctx, s, ui, raf: 0, firstFrame: false };
  w.python = new PythonRunner({ spawn: () => ctx.worker(WORKER), onState: (st, info) => pythonState(w, st, info) });
  ctx.onUnmount(() => {
    stopAnimation(w);
    w.python.dispose();
  });
  wire(w);
  ctx.onResize(ui.fit, () => render(w)); // the other canvases share its grid's column width
  if (notes.length) {
    ui.note.textContent = notes.join(" ");
    ui.note.hidden = false;
  }
  ui.status.set("Press Play or Step. Python loads in your browser as you come near.", "idle");
  markBusy(w);
  showPlaying(ui, el, false);
  render(w);
  loadOnApproach(w);
}
