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
// Spreadsheets evaluate a cell that starts with = + - @ (or a tab or carriage return) as a
// formula, and file names and labels are the reader's data. Such a cell is written with one
// apostrophe in front, which spreadsheets show as text; so is a cell that starts with
// apostrophes followed by one of those characters. training.bears.data.unguard_cell undoes it:
// it drops one apostrophe from a cell matching ^'+[=+\-@\t\r], and every other cell is read
// as written, so each name comes back exactly.

import { finalLabel } from "./marks.js";

const FORMULA = /^'*[=+\-@\t\r]/;

/** A value as a cell a spreadsheet will not evaluate (see above). */
export const sheetSafe = (s) => (FORMULA.test(s) ? `'${s}` : s);

/** RFC 4180 quoting, as Python's csv module reads it: quote when a field holds a comma,
 *  a quote, a line break, or space at either end; after the spreadsheet guard. */
export function csvField(value) {
  const s = sheetSafe(value === null || value === undefined ? "" : String(value));
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header, rows) {
  return [header, ...rows].map((r) => r.map(csvField).join(",")).join("\r\n") + "\r\n";
}

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
