// The two files the training scripts read (no DOM):
//
// cleaned.csv    file,label  every photo of the data set minus deletions, relabels applied;
//                paths relative to the data folder, which is what
//                `python -m training.bears train --data cleaned.csv --csv_root DATA` reads
//                (training/bears/data.py items_from_csv: relative paths are joined to
//                --csv_root, or to the CSV's own folder without it).
// decisions.csv  file,action,label  one row per marked photo of the list, the format of
//                `python -m training.bears clean --decisions` (clean.py read_decisions);
//                `clean` refuses files that are not in its list, so photos found only in
//                the folder are left out of it.
//
// Cells are written by common/csv.js (quoting, and the guard against spreadsheet formulas).

import { toCsv } from "../common/csv.js";
import { finalLabel } from "./marks.js";

export { csvField, sheetSafe, toCsv } from "../common/csv.js";

const byFile = (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** items: every photo known (the list, then the folder's extras); marks: Map file -> mark. */
export function cleanedRows(items, marks) {
  const rows = [];
  for (const it of items) {
    const label = finalLabel(it, marks.get(it.file));
    if (label !== null) rows.push([it.file, label]);
  }
  return rows.sort(byFile);
}

export function cleanedCsv(items, marks) {
  return toCsv(["file", "label"], cleanedRows(items, marks));
}

/** Rows for the marked photos of the list (extras are not in it, so `clean` would refuse them). */
export function decisionRows(listed, marks) {
  const rows = [];
  for (const it of listed) {
    const m = marks.get(it.file);
    if (m) rows.push([it.file, m.action, m.action === "relabel" ? m.label : ""]);
  }
  return rows.sort(byFile);
}

export function decisionsCsv(listed, marks) {
  return toCsv(["file", "action", "label"], decisionRows(listed, marks));
}
