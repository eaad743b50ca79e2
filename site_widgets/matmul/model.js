// The matrix product x@a, one multiplication at a time. No DOM: the view (matmul.js)
// draws what these functions return, and the tests run them in Node against NumPy.
//
// Cell (i, j) of x@a is row i of x times column j of a: x[i][0]*a[0][j] + x[i][1]*a[1][j] + ...
// The walk goes cell by cell, row after row, and within a cell term by term, so for an
// n x k matrix times a k x m one it has n*m*k steps. Step s means "s multiplications done".
//
// The lesson's case is the SGD page's model: x is the first rows of its recorded data
// (each row [x_i, 1], the column of ones that makes a[1] the intercept) and a is the
// recorded coefficient [a0, a1] at some step of its run, as a 2 x 1 column.

export const LESSON_ROWS = 5;

/** A small general case, to show the rule beyond the lesson's shapes: 3 x 3 @ 3 x 2. */
export const GENERAL = {
  x: [[1, 2, 0], [3, -1, 2], [0, 1, 4]],
  a: [[2, 1], [0, 3], [1, -2]],
};

function checkMatrix(m, what) {
  const ok = Array.isArray(m) && m.length > 0 && m.every((r) => Array.isArray(r) && r.length === m[0].length && r.length > 0
    && r.every((v) => typeof v === "number" && Number.isFinite(v)));
  if (!ok) throw new Error(`${what} should be a table of numbers with rows of equal length`);
}

/** Shapes [n, k] and [k, m] of x and a, or a clear error when they do not fit together. */
export function shapes(x, a) {
  checkMatrix(x, "x");
  checkMatrix(a, "a");
  const [n, k] = [x.length, x[0].length];
  if (a.length !== k) throw new Error(`x has ${k} columns but a has ${a.length} rows: x@a needs them equal`);
  return { n, k, m: a[0].length };
}

/** The whole product, as NumPy's x @ a computes it (terms added left to right). */
export function matmul(x, a) {
  const { n, k, m } = shapes(x, a);
  return Array.from({ length: n }, (_, i) => Array.from({ length: m }, (_, j) => {
    let sum = 0;
    for (let t = 0; t < k; t++) sum += x[i][t] * a[t][j];
    return sum;
  }));
}

/** Every step of the walk: which cell (i, j), which term t, the two factors, their product, the sum so far. */
export function walk(x, a) {
  const { n, k, m } = shapes(x, a);
  const steps = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let sum = 0;
      for (let t = 0; t < k; t++) {
        const product = x[i][t] * a[t][j];
        sum += product;
        steps.push({ i, j, t, left: x[i][t], right: a[t][j], product, sum, last: t === k - 1 });
      }
    }
  }
  return steps;
}

/**
 * What the picture shows after `s` steps: the finished cells (null until done), the step
 * just taken (null at s = 0), and the terms of its cell so far.
 */
export function stateAt(x, a, s) {
  const steps = walk(x, a);
  const { n, m, k } = shapes(x, a);
  const step = Math.max(0, Math.min(steps.length, Math.round(s)));
  const cells = Array.from({ length: n }, () => new Array(m).fill(null));
  for (const st of steps.slice(0, step)) if (st.last) cells[st.i][st.j] = st.sum;
  const current = step ? steps[step - 1] : null;
  const terms = current ? steps.slice(step - 1 - current.t, step) : [];
  return { step, total: steps.length, shape: { n, k, m }, cells, current, terms };
}

/** The lesson's case: the first `rows` points of the recorded run and its a after `step` steps. */
export function lessonCase(fit, step, rows = LESSON_ROWS) {
  if (!fit || !Array.isArray(fit.x) || !Array.isArray(fit.a) || !Array.isArray(fit.y)) {
    throw new Error("the recorded run should have x, y and a (one [a0, a1] per step)");
  }
  const at = step < 0 ? fit.a.length + step : step;
  const coef = fit.a[at];
  if (!Array.isArray(coef) || coef.length !== 2) throw new Error(`the recorded run has no a for step ${step}`);
  const x = fit.x.slice(0, rows).map((r) => r.slice());
  if (x.length < rows || x.some((r) => r.length !== 2 || r[1] !== 1)) {
    throw new Error(`the recorded x should have at least ${rows} rows [x_i, 1]`);
  }
  return { x, a: coef.map((v) => [v]), y: fit.y.slice(0, rows), runStep: at, runSteps: fit.a.length - 1,
    lr: fit.config?.lr, points: fit.x.length };
}

/** The cases the widget offers, by the name the address uses. */
export function cases(fit) {
  const out = {};
  if (fit) {
    const start = lessonCase(fit, 0), trained = lessonCase(fit, -1);
    out.start = { title: `SGD page: ${LESSON_ROWS} points, a at step 0`, ...start };
    out.trained = { title: `SGD page: ${LESSON_ROWS} points, a at step ${trained.runStep}`, ...trained };
  }
  out.general = { title: "any shapes: 3×3 @ 3×2", x: GENERAL.x, a: GENERAL.a };
  return out;
}

/**
 * {case, step} from get(name) (a URL parameter or null), with `notes` for what was
 * changed. prefix scopes the names (data-url-prefix="mm-" gives ?mm-step=3&mm-case=general).
 */
export function readState(get, available, prefix = "") {
  const names = Object.keys(available);
  const notes = [];
  let name = names[0];
  const askedCase = get(`${prefix}case`);
  if (askedCase !== null) {
    if (names.includes(askedCase)) name = askedCase;
    else notes.push(`There is no example called “${askedCase}”; showing the first.`);
  }
  const total = walk(available[name].x, available[name].a).length;
  let step = 0;
  const askedStep = get(`${prefix}step`);
  if (askedStep !== null) {
    const v = /^\s*\d+\s*$/.test(askedStep) ? Number(askedStep) : null;
    if (v === null) notes.push(`Step “${askedStep}” is not a whole number; starting at 0.`);
    else {
      step = Math.min(v, total);
      if (step !== v) notes.push(`This example has ${total} steps; showing the last.`);
    }
  }
  return { state: { case: name, step }, notes };
}
