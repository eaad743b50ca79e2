// x@a step by step: Step / Back / Play through a small matrix product, one
// multiplication at a time, with the row of x and the column of a that make the
// current cell highlighted and the running sum written out. The lesson's examples
// are the SGD page's model (its recorded points and coefficients); a general one
// shows the rule for other shapes. The choice and the step live in the address.
//
// model.js computes everything (tested against NumPy); this file only draws.
// For tests: the root's data-case/-step/-total, every cell's data-value, and the
// sum line's data-i/-j/-t/-sum.

import { h, reducedMotion } from "../common/ui.js";
import { readParam, writeParam } from "../figures/urlstate.js";
import { cases as makeCases, readState, stateAt, walk } from "./model.js";

const PLAY_MS = 900; // one multiplication per beat
const MINUS = "\u2212";

/** A number as the tables write it: whole numbers as they are, others with 4 decimals. */
export function fmtCell(v) {
  const text = Number.isInteger(v) ? String(v) : v.toFixed(4);
  return text.replace("-", MINUS);
}
const factor = (v) => (v < 0 ? `(${fmtCell(v)})` : fmtCell(v));

export async function mount(el, ctx) {
  el.classList.add("mm");
  el.dataset.phase = "loading"; // loading | ready, as the figures say it: pages' tests wait for it
  let fit = null, loadNote = "";
  try {
    fit = await ctx.fetchJSON(el.dataset.src || "assets/sgd/fit.json");
  } catch (err) {
    if (ctx.signal.aborted) return;
    loadNote = `The SGD page's recorded run could not be loaded (${err.message}); only the general example is shown.`;
  }
  const available = makeCases(fit);
  const prefix = el.dataset.urlPrefix ?? "";
  const { state, notes } = readState(readParam, available, prefix);
  const ui = layout(el, available, loadNote ? [loadNote, ...notes] : notes, ctx.asset("sgd/#try-it").href);
  let timer = null;

  function show(remember) {
    const c = available[state.case];
    const view = stateAt(c.x, c.a, state.step);
    Object.assign(el.dataset, { case: state.case, step: view.step, total: view.total });
    ui.draw(c, view, state.case);
    ui.play.textContent = timer ? "Pause" : "Play";
    ui.play.setAttribute("aria-pressed", String(!!timer));
    if (remember) {
      writeParam(`${prefix}case`, state.case);
      writeParam(`${prefix}step`, String(view.step));
    }
  }
  const total = () => walk(available[state.case].x, available[state.case].a).length;
  const go = (step) => { state.step = Math.max(0, Math.min(total(), step)); show(true); };
  const stop = () => { if (timer) { clearInterval(timer); timer = null; } };
  const tick = () => {
    if (state.step >= total()) { stop(); show(true); return; }
    go(state.step + 1);
    if (state.step >= total()) { stop(); show(true); }
  };
  function togglePlay() {
    if (timer) { stop(); show(true); return; }
    if (state.step >= total()) state.step = 0;
    timer = setInterval(tick, reducedMotion() ? PLAY_MS * 1.5 : PLAY_MS);
    tick();
  }
  ui.step.addEventListener("click", () => { stop(); go(state.step + 1); });
  ui.back.addEventListener("click", () => { stop(); go(state.step - 1); });
  ui.reset.addEventListener("click", () => { stop(); go(0); });
  ui.play.addEventListener("click", togglePlay);
  ui.select.addEventListener("change", () => { stop(); state.case = ui.select.value; go(0); });
  el.addEventListener("keydown", (ev) => {
    if (ev.altKey || ev.ctrlKey || ev.metaKey || ev.target.closest?.("select")) return;
    const to = { ArrowRight: state.step + 1, ArrowDown: state.step + 1, ArrowLeft: state.step - 1, ArrowUp: state.step - 1,
      Home: 0, End: total() }[ev.key];
    if (to === undefined) return;
    ev.preventDefault();
    stop();
    go(to);
  });
  ctx.onUnmount(stop);
  ui.select.value = state.case;
  show(false);
  el.dataset.phase = "ready";
}

// ------------------------------------------------------------------ layout

let instances = 0;

function layout(el, available, notes, runLink) {
  const select = h("select", { class: "mm-select", id: `mm-case-${++instances}` },
    Object.entries(available).map(([name, c]) => h("option", { value: name }, c.title)));
  const button = (text, cls) => h("button", { type: "button", class: `md-button ${cls}` }, text);
  const ui = {
    select, back: button("Back", "mm-back"), step: button("Step", "mm-step"), play: button("Play", "mm-play"),
    reset: button("Reset", "mm-reset"),
    counter: h("span", { class: "mm-counter" }),
    board: h("div", { class: "mm-board", tabindex: "0", role: "group",
      "aria-label": "The product x@a, step by step. Arrow keys step forward and back, Home and End jump." }),
    sum: h("p", { class: "mm-sum", role: "status", "aria-live": "polite" }),
    link: h("p", { class: "mm-link" }),
  };
  el.replaceChildren(
    h("div", { class: "mm-controls" },
      h("label", { class: "mm-pick", for: select.id }, "Example"), select),
    h("div", { class: "mm-controls" }, ui.back, ui.step, ui.play, ui.reset, ui.counter),
    h("p", { class: "mm-note", hidden: !notes.length }, notes.join(" ")),
    ui.board, ui.sum, ui.link);
  ui.draw = (c, view, name) => {
    ui.counter.textContent = `step ${view.step} of ${view.total}`;
    // aria-disabled, not disabled: a button that disables itself would drop the keyboard focus
    ui.back.setAttribute("aria-disabled", String(view.step === 0));
    ui.step.setAttribute("aria-disabled", String(view.step === view.total));
    ui.board.replaceChildren(...board(c, view));
    ui.sum.replaceChildren(...sumLine(view));
    Object.assign(ui.sum.dataset, view.current
      ? { i: view.current.i, j: view.current.j, t: view.current.t, sum: String(view.current.sum) } : { i: "", j: "", t: "", sum: "" });
    ui.link.replaceChildren(...linkLine(c, view, name, runLink));
  };
  return ui;
}

// ------------------------------------------------------------------ drawing

/** x @ a = result (and y beside it in the lesson's cases), with the current row, column and pair marked. */
function board(c, view) {
  const cur = view.current;
  const { n, k, m } = view.shape;
  const xCls = (i, t) => [cur && cur.i === i && "mm-row", cur && cur.i === i && cur.t === t && "mm-pair"];
  const aCls = (t, j) => [cur && cur.j === j && "mm-col", cur && cur.j === j && cur.t === t && "mm-pair"];
  const out = [
    matrix(`x (${n}×${k})`, c.x, xCls),
    h("span", { class: "mm-op", "aria-hidden": "true" }, "@"),
    matrix(`a (${k}×${m})`, c.a, aCls),
    h("span", { class: "mm-op", "aria-hidden": "true" }, "="),
    resultMatrix(c.y ? `x@a, the predictions (${n}×${m})` : `x@a (${n}×${m})`, view),
  ];
  if (c.y) out.push(matrix(`y, the targets (${n}×1)`, c.y.map((v) => [v]), () => [], "mm-targets"));
  return out;
}

function matrix(title, rows, classes, extra = "") {
  return h("table", { class: `mm-matrix ${extra}` }, h("caption", {}, title),
    h("tbody", {}, rows.map((r, i) => h("tr", {}, r.map((v, j) => h("td", {
      class: classes(i, j).filter(Boolean).join(" ") || null, dataset: { i, j, value: String(v) } }, fmtCell(v)))))));
}

function resultMatrix(title, view) {
  const cur = view.current;
  const rows = view.cells.map((r, i) => h("tr", {}, r.map((v, j) => {
    const here = cur && cur.i === i && cur.j === j;
    const text = v !== null ? fmtCell(v) : here ? `${fmtCell(cur.sum)}…` : "?";
    const cls = [here && "mm-target", v !== null ? "mm-done" : here ? "mm-partial" : "mm-pending"].filter(Boolean).join(" ");
    return h("td", { class: cls, dataset: { i, j, value: v === null ? "" : String(v) } }, text);
  })));
  return h("table", { class: "mm-matrix mm-result" }, h("caption", {}, title), h("tbody", {}, rows));
}

/** "Row 2 of x times column 1 of a: 0.8300 × (−1) + 1 × 1 = −0.8300 + 1 = 0.1700" */
function sumLine(view) {
  const cur = view.current;
  if (!cur) return [`Press Step: each step multiplies one number of a row of x by one number of a column of a, and adds it to the cell they make.`];
  const k = view.shape.k;
  const products = view.terms.map((st) => `${factor(st.left)} × ${factor(st.right)}`);
  const rest = Array.from({ length: k - 1 - cur.t }, () => "…");
  const sums = view.terms.map((st) => factor(st.product));
  return [
    h("strong", {}, `Row ${cur.i + 1} of x times column ${cur.j + 1} of a: `),
    [...products, ...rest].join(" + "),
    view.terms.length > 1 ? ` = ${sums.join(" + ")}` : "",
    " = ", h("strong", { class: "mm-running" }, fmtCell(cur.sum)),
    cur.last ? ` (cell ${cur.i + 1}, ${cur.j + 1} is done)` : " so far",
  ];
}

/** How the lesson's result is the SGD model's predictions y = x@a. */
function linkLine(c, view, name, runLink) {
  if (!c.y) {
    const { n, k, m } = view.shape;
    return [`Any ${n}×${k} matrix times a ${k}×${m} one works the same way: the rows of the left one meet the columns of the right one, so the inner sizes (${k} and ${k}) must match, and the result is ${n}×${m}.`];
  }
  const [a0, a1] = c.a.map((r) => r[0]);
  const when = name === "start"
    ? `the start of the recorded run: the line the SGD widget below begins with`
    : `after ${c.runSteps} steps of the recorded run at learning rate ${c.lr}: the line it ends with`;
  return [
    "Each cell of x@a is the model's prediction for one point, ", h("var", {}, "a"), h("sub", {}, "0"), "·", h("var", {}, "x"),
    " + ", h("var", {}, "a"), h("sub", {}, "1"), `: the height of the line at that x. Here a = (${fmtCell(a0)}, ${fmtCell(a1)}), ${when}. `,
    `Compare the predictions with the targets y: the loss is the mean of the squared differences over all ${c.points} points. `,
    h("a", { href: runLink }, "See the line in the SGD widget"), ".",
  ];
}
