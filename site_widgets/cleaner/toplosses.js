// Reading the top-losses list that training writes (no DOM):
//   python -m training.bears interpret --on all  ->  runs/default/interpret_all/top_losses.json
//   {"on": "all", "data": "../shared/data/bears", "csv_root": null, "classes": [...],
//    "top_losses": [{"file": "black/x.jpg", "label": "black", "pred": "grizzly",
//                    "prob_pred": 0.91, "prob_label": 0.07, "loss": 2.66}, ...]}
// `file` is relative to the data folder. Older reports (the published example) carry only
// "on" and "top_losses": the classes are then the labels and predictions seen in the list.
//
// Every problem becomes a ListError whose message tells the reader what to choose instead.

export class ListError extends Error {}

const WHERE = "Choose the top_losses.json that `python -m training.bears interpret --on all` writes " +
  "(runs/default/interpret_all/top_losses.json).";

/** "./black\\x.jpg" -> "black/x.jpg": one spelling for paths from any OS. */
export function normalisePath(p) {
  return String(p).replace(/\\/g, "/").replace(/^(\.\/)+/, "").replace(/\/{2,}/g, "/");
}

const isNum = (x) => typeof x === "number" && Number.isFinite(x);
const isName = (x) => typeof x === "string" && x.trim() !== "";

/** JSON text -> {on, data, csvRoot, classes, classesGiven, items: [{file, label, pred, probPred, probLabel, loss}]} */
export function parseTopLosses(text, name = "the file") {
  if (!text || !text.trim()) throw new ListError(`“${name}” is empty. ${WHERE}`);
  let obj;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new ListError(`“${name}” is not valid JSON (${err.message}). ${WHERE}`);
  }
  const rows = Array.isArray(obj) ? obj : obj && typeof obj === "object" ? obj.top_losses : undefined;
  if (!Array.isArray(rows)) {
    const keys = obj && typeof obj === "object" ? Object.keys(obj).slice(0, 8).join(", ") : typeof obj;
    throw new ListError(`“${name}” is JSON but not a top-losses list: it has no "top_losses" array ` +
      `(it has: ${keys || "nothing"}). ${WHERE}`);
  }
  if (rows.length === 0) throw new ListError(`“${name}” lists no images. ${WHERE}`);

  const problems = [];
  const seen = new Set();
  const items = [];
  rows.forEach((r, i) => {
    const where = `entry ${i + 1}`;
    if (!r || typeof r !== "object" || !isName(r.file) || !isName(r.label)) {
      problems.push(`${where} has no "file" and "label"`);
      return;
    }
    const file = normalisePath(r.file.trim());
    if (seen.has(file)) problems.push(`${where}: ${file} is listed twice`);
    seen.add(file);
    items.push({
      file,
      label: r.label.trim(),
      pred: isName(r.pred) ? r.pred.trim() : null,
      probPred: isNum(r.prob_pred) ? r.prob_pred : null,
      probLabel: isNum(r.prob_label) ? r.prob_label : null,
      loss: isNum(r.loss) ? r.loss : null,
    });
  });
  if (problems.length) {
    throw new ListError(`“${name}” is not a usable top-losses list: ${problems.slice(0, 3).join("; ")}` +
      `${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""}. ${WHERE}`);
  }

  const seenLabels = [...new Set(items.flatMap((t) => (t.pred ? [t.label, t.pred] : [t.label])))].sort();
  const classesGiven = Array.isArray(obj.classes);
  let classes = seenLabels;
  if (classesGiven) {
    if (!obj.classes.every(isName) || new Set(obj.classes).size !== obj.classes.length) {
      throw new ListError(`“${name}”: "classes" must be distinct names, got ${JSON.stringify(obj.classes).slice(0, 120)}.`);
    }
    classes = obj.classes.map((c) => c.trim());
    const unknown = seenLabels.filter((c) => !classes.includes(c));
    if (unknown.length) {
      throw new ListError(`“${name}”: classes mismatch: the list uses ${unknown.map((c) => `“${c}”`).join(", ")} ` +
        `but its classes are ${classes.join(", ")}. Was the file edited by hand? ${WHERE}`);
    }
  }
  if (classes.length < 2) throw new ListError(`“${name}” has fewer than two classes (${classes.join(", ")}): nothing to relabel to.`);

  // Worst first, as training writes it; a stable sort also fixes a list saved in another order.
  if (items.every((t) => t.loss !== null)) items.sort((a, b) => b.loss - a.loss);

  return {
    on: typeof obj.on === "string" ? obj.on : null,
    data: isName(obj.data) ? obj.data : null,
    csvRoot: isName(obj.csv_root) ? obj.csv_root : null,
    classes,
    classesGiven,
    items,
  };
}

/** The folder that the list's file names are relative to, as training saw it (interpret.py:
 *  the data folder itself, or the folder of the data CSV); null when the list does not say. */
export function dataFolder(list) {
  if (!list.data) return null;
  const d = normalisePath(list.data).replace(/\/+$/, "");
  if (!/\.csv$/i.test(d)) return d || ".";
  const cut = d.lastIndexOf("/");
  return cut < 0 ? "." : d.slice(0, cut) || "/";
}

/** Back to training's JSON shape (what the page saves, and re-reads through parseTopLosses). */
export function toJSONShape(list) {
  return {
    on: list.on, data: list.data, csv_root: list.csvRoot, classes: list.classes,
    top_losses: list.items.map((t) => ({ file: t.file, label: t.label, pred: t.pred, prob_pred: t.probPred, prob_label: t.probLabel, loss: t.loss })),
  };
}
