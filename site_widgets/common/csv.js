// CSV the training scripts read, written in the browser (no DOM): the cleaner's cleaned.csv
// and decisions.csv, the trainer's cleaned.csv.
//
// Spreadsheets evaluate a cell that starts with = + - @ (or a tab or carriage return) as a
// formula, and file names and labels are the reader's data. Such a cell is written with one
// apostrophe in front, which spreadsheets show as text; so is a cell that starts with
// apostrophes followed by one of those characters. training.bears.data.unguard_cell undoes it:
// it drops one apostrophe from a cell matching ^'+[=+\-@\t\r], and every other cell is read
// as written, so each name comes back exactly.

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
