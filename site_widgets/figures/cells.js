// The confusion matrix as cells, and the images behind each cell. No DOM.
//
// report.json interpretation.confusion: rows are the actual labels, columns the
// predictions. top_losses.json lists validation images highest loss first; it may
// list only the worst few or every image, so a cell can list fewer than it counts.

import { DataError } from "./series.js";

const isCount = (v) => Number.isInteger(v) && v >= 0;

export function confusionCells(report, file = "report.json") {
  const it = report && report.interpretation;
  if (!it || typeof it !== "object") throw new DataError(`${file}: "interpretation" is missing.`);
  const { classes, confusion } = it;
  if (!Array.isArray(classes) || !classes.length || !classes.every((c) => typeof c === "string")) {
    throw new DataError(`${file}: "interpretation.classes" should list the labels.`);
  }
  const k = classes.length;
  if (!Array.isArray(confusion) || confusion.length !== k ||
      !confusion.every((row) => Array.isArray(row) && row.length === k && row.every(isCount))) {
    throw new DataError(`${file}: "interpretation.confusion" should be a ${k}×${k} table of counts.`);
  }
  const n = confusion.flat().reduce((a, b) => a + b, 0);
  const wrong = n - classes.reduce((s, _, i) => s + confusion[i][i], 0);
  const offDiag = confusion.flatMap((row, i) => row.filter((_, j) => j !== i));
  const maxDiag = Math.max(1, ...classes.map((_, i) => confusion[i][i]));
  const maxOff = Math.max(1, ...offDiag);
  const rows = classes.map((actual, i) => {
    const total = confusion[i].reduce((a, b) => a + b, 0);
    return {
      actual,
      total,
      cells: classes.map((predicted, j) => {
        const count = confusion[i][j];
        const diagonal = i === j;
        return { actual, predicted, count, diagonal, share: total ? count / total : 0,
          intensity: count / (diagonal ? maxDiag : maxOff) };
      }),
    };
  });
  const cells = rows.flatMap((r) => r.cells);
  const worst = cells.filter((c) => !c.diagonal && c.count > 0).sort((a, b) => b.count - a.count)[0] || null;
  return { classes, rows, cells, n, wrong, worst };
}

export function topLossRows(json, file = "top_losses.json") {
  const list = json && json.top_losses;
  if (!Array.isArray(list)) throw new DataError(`${file}: "top_losses" should list the validation images.`);
  return list.map((t, i) => {
    if (!t || typeof t.file !== "string" || typeof t.label !== "string" || typeof t.pred !== "string") {
      throw new DataError(`${file}: top_losses[${i}] needs "file", "label" and "pred".`);
    }
    const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : null);
    return { rank: i + 1, file: t.file, label: t.label, pred: t.pred,
      prob_pred: num(t.prob_pred), prob_label: num(t.prob_label), loss: num(t.loss) };
  });
}

/** The listed images whose actual label and prediction are those of the cell, in the file's order. */
export const cellItems = (rows, actual, predicted) => rows.filter((r) => r.label === actual && r.pred === predicted);

/** How much of a cell the list covers, in words. */
export function coverage(listedInCell, cellCount, listedTotal, n) {
  const all = listedTotal >= n;
  if (listedInCell > cellCount) {
    return { complete: false, text: `top_losses.json lists ${listedInCell} images here but the matrix counts ${cellCount}: the two files do not come from the same run.` };
  }
  if (listedInCell === cellCount) {
    const what = cellCount === 1 ? "The 1 image" : `All ${cellCount} images`;
    return { complete: true, text: cellCount === 0 ? "No image falls in this cell." : `${what} in this cell, highest loss first.` };
  }
  return {
    complete: false,
    text: `${listedInCell} of ${cellCount} listed in top_losses.json` +
      (all ? "." : `: it lists only the ${listedTotal} validation images with the highest loss (of ${n}).`),
  };
}
