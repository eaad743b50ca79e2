// Reading the lists that training writes (no DOM). Two kinds:
//   python -m training.bears interpret --on all  ->  runs/default/interpret_all/top_losses.json
//   {"on": "all", "data": "../shared/data/bears", "csv_root": null, "classes": [...],
//    "top_losses": [{"file": "black/x.jpg", "label": "black", "pred": "grizzly",
//                    "prob_pred": 0.91, "prob_label": 0.07, "loss": 2.66}, ...]}
//   python -m training.bears suspects  ->  runs/default/suspects.json (the site publishes one)
//   {"method": "...", "on": "all", "data": ..., "classes": [...],
//    "ranking": [{"file": "teddy/x.jpg", "label": "teddy", "suggested": "delete", "score": 0.97,
//                 "pred": "teddy", "prob_pred": 0.6, "prob_label": 0.6, "imagenet_top": "Maltese dog"}, ...]}
// A ranking is ordered by "score" (0..1, most suspect first) instead of the loss; "suggested"
// is a class (its own label: keep) or "delete". Both kinds go through the same checks.
// `file` is relative to the data folder. Older reports carry only "on" and "top_losses":
// the classes are then the labels and predictions seen in the list.
//
// Every problem with the file as a whole becomes a ListError whose message tells the reader
// what to choose instead. An entry whose file would not be a path inside the data folder, or
// that training's CSV reader would read differently, is refused on its own (see pathProblem):
// the list opens without it and says which entries were left out and why.

export class ListError extends Error {}

const WHERE = "Choose the suspects.json that `python -m training.bears suspects` writes, or the top_losses.json " +
  "of `python -m training.bears interpret --on all` (both under runs/default/).";
export const DELETE = "delete"; // the suggestion for a photo that fits no label

/** "./black\\x.jpg" -> "black/x.jpg": one spelling for paths from any OS. */
export function normalisePath(p) {
  return String(p).replace(/\\/g, "/").replace(/^(\.\/)+/, "").replace(/\/{2,}/g, "/");
}

const isName = (x) => typeof x === "string" && x.trim() !== "";
const edgeSpace = (s) => /^\s|\s$/.test(s);

/** Why `file` cannot name a photo inside the data folder in cleaned.csv, or null. Training
 *  joins it to the data folder and trims each CSV cell, so: no absolute path, drive letter,
 *  URL or "..", and no white space at either end. */
export function pathProblem(file) {
  const p = String(file).replace(/\\/g, "/");
  if (edgeSpace(p)) return "begins or ends with white space, which training's CSV reader trims";
  if (p.includes("\0")) return "holds a NUL character, which no file name can";
  if (/^[A-Za-z]:/.test(p)) return "starts with a drive letter";
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(p)) return "is a URL";
  if (p.startsWith("/")) return "is an absolute path";
  if (p.split("/").includes("..")) return "goes up out of the data folder (..)";
  return null;
}

/** Why an entry is refused, or null (its file's problem, or a label with spaces around it). */
function entryProblem(r) {
  const why = pathProblem(r.file);
  if (why) return `its file ${why}`;
  for (const field of ["label", "pred", "suggested"]) {
    if (isName(r[field]) && edgeSpace(r[field])) return `its ${field} begins or ends with white space, which training's CSV reader trims`;
  }
  return null;
}

/** The same rule for a photo found in a label folder: true if cleaned.csv cannot name it. */
export const parsePathProblem = (file, label) => Boolean(pathProblem(file) || edgeSpace(label));
const isProb = (x) => typeof x === "number" && Number.isFinite(x) && x >= 0 && x <= 1;
const isLoss = (x) => typeof x === "number" && Number.isFinite(x) && x >= 0;
const shown = (v) => (v === undefined ? "nothing" : JSON.stringify(v).slice(0, 60));

// The schema of one entry: field -> [check, what it must be, required]. Optional fields may
// be missing or null (older reports write no probabilities).
const ENTRY = {
  file: [isName, "a file name (text)", true],
  label: [isName, "a class name (text)", true],
  pred: [isName, "a class name (text)", false],
  prob_pred: [isProb, "a probability between 0 and 1", false],
  prob_label: [isProb, "a probability between 0 and 1", false],
  loss: [isLoss, "a number ≥ 0", false],
  suggested: [isName, "a class name or “delete” (text)", false],
  imagenet_top: [isName, "an ImageNet class name (text)", false],
};
// A ranking's entries also need their score: it is what orders them.
const RANKED = { ...ENTRY, score: [isProb, "a score between 0 and 1", true] };
const TOP = { on: "text", data: "text", csv_root: "text", method: "text" };

function problemsOfEntry(r, i, schema = ENTRY) {
  const where = `entry ${i + 1}`;
  if (!r || typeof r !== "object" || Array.isArray(r)) return [`${where} is ${shown(r)}, not an object with "file" and "label"`];
  const out = [];
  for (const [field, [ok, what, required]] of Object.entries(schema)) {
    const v = r[field];
    if ((v === undefined || v === null) && !required) continue;
    if (!ok(v)) out.push(`${where}: "${field}" must be ${what}${required ? "" : " (or null)"}, got ${shown(v)}`);
  }
  return out;
}

function problemsOfTop(obj) {
  if (Array.isArray(obj)) return [];
  const out = [];
  for (const [field, what] of Object.entries(TOP)) {
    const v = obj[field];
    if (v !== undefined && v !== null && typeof v !== "string") out.push(`"${field}" must be ${what} (or null), got ${shown(v)}`);
  }
  const c = obj.classes;
  const names = (x) => Array.isArray(x) && x.every((n) => isName(n) && !edgeSpace(n)) && new Set(x).size === x.length;
  if (c !== undefined && c !== null && !names(c)) {
    out.push(`"classes" must be a list of distinct class names (no spaces around them), got ${shown(c)}`);
  }
  return out;
}

function refuse(name, problems, where = WHERE) {
  throw new ListError(`“${name}” is not a usable list of photos to review: ${problems.slice(0, 3).join("; ")}` +
    `${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""}. ${where}`);
}

/** JSON text -> the object, its rows and their kind ("top_losses" | "ranking"); ListError if it is not a list at all. */
function readRows(text, name) {
  if (!text || !text.trim()) throw new ListError(`“${name}” is empty. ${WHERE}`);
  let obj;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new ListError(`“${name}” is not valid JSON (${err.message}). ${WHERE}`);
  }
  const isObj = obj && typeof obj === "object" && !Array.isArray(obj);
  const kind = isObj && !("top_losses" in obj) && "ranking" in obj ? "ranking" : "top_losses";
  const rows = Array.isArray(obj) ? obj : isObj ? obj[kind] : undefined;
  if (!Array.isArray(rows)) {
    const keys = obj && typeof obj === "object" ? Object.keys(obj).slice(0, 8).join(", ") : typeof obj;
    throw new ListError(`“${name}” is JSON but not a list of photos to review: it has no "top_losses" or "ranking" array ` +
      `(it has: ${keys || "nothing"}). ${WHERE}`);
  }
  if (rows.length === 0) throw new ListError(`“${name}” lists no images. ${WHERE}`);
  return { obj: isObj ? obj : {}, rows, kind };
}

/** The classes: as the file names them, else the labels and predictions seen. */
function classesOf(obj, items, name) {
  const named = (t) => [t.label, t.pred, t.suggested === DELETE ? null : t.suggested].filter((v) => v !== null);
  const seen = [...new Set(items.flatMap(named))].sort();
  if (!Array.isArray(obj.classes)) {
    if (seen.length < 2) throw new ListError(`“${name}” has fewer than two classes (${seen.join(", ")}): nothing to relabel to.`);
    return { classes: seen, classesGiven: false };
  }
  const classes = obj.classes;
  const known = new Set(classes);
  const problems = [];
  items.forEach((t, i) => {
    for (const [field, v] of [["label", t.label], ["pred", t.pred], ["suggested", t.suggested]]) {
      if (v !== null && !known.has(v) && !(field === "suggested" && v === DELETE)) problems.push(`entry ${i + 1} has ${field} “${v}”, which is not one of its classes (${classes.join(", ")})`);
    }
  });
  if (problems.length) refuse(name, [`classes mismatch: ${problems[0]}`, ...problems.slice(1)], `Was the file edited by hand? ${WHERE}`);
  if (classes.length < 2) throw new ListError(`“${name}” has fewer than two classes (${classes.join(", ")}): nothing to relabel to.`);
  return { classes, classesGiven: true };
}

/** JSON text -> {kind ("top_losses" | "ranking"), method, on, data, csvRoot, classes, classesGiven,
 *  items: [{file, label, pred, probPred, probLabel, loss, score, suggested, imagenetTop}],
 *  refused: [{entry, file, why}]} */
export function parseTopLosses(text, name = "the file") {
  const { obj, rows, kind } = readRows(text, name);
  const schema = kind === "ranking" ? RANKED : ENTRY;
  const problems = [...problemsOfTop(obj), ...rows.flatMap((r, i) => problemsOfEntry(r, i, schema))];
  if (problems.length) refuse(name, problems);
  const seen = new Map(); // file -> entry number
  const items = [];
  const refused = [];
  rows.forEach((r, i) => {
    const why = entryProblem(r);
    if (why) { refused.push({ entry: i + 1, file: r.file, why }); return; }
    const file = normalisePath(r.file);
    if (seen.has(file)) problems.push(`entry ${i + 1}: ${file} is listed twice (entry ${seen.get(file)} too)`);
    else seen.set(file, i + 1);
    items.push({
      file,
      label: r.label,
      pred: isName(r.pred) ? r.pred : null,
      probPred: isProb(r.prob_pred) ? r.prob_pred : null,
      probLabel: isProb(r.prob_label) ? r.prob_label : null,
      loss: isLoss(r.loss) ? r.loss : null,
      score: isProb(r.score) ? r.score : null,
      suggested: isName(r.suggested) ? r.suggested : null,
      imagenetTop: isName(r.imagenet_top) ? r.imagenet_top : null,
    });
  });
  if (problems.length) refuse(name, problems);
  if (!items.length) refuse(name, refused.slice(0, 3).map((x) => `entry ${x.entry} ${x.why}`), `No entry is usable. ${WHERE}`);
  const { classes, classesGiven } = classesOf(obj, items, name);
  // Worst first, as training writes it; a stable sort also fixes a list saved in another order.
  if (kind === "ranking") items.sort((a, b) => b.score - a.score);
  else if (items.every((t) => t.loss !== null)) items.sort((a, b) => b.loss - a.loss);
  return {
    kind,
    method: isName(obj.method) ? obj.method : null,
    on: typeof obj.on === "string" ? obj.on : null,
    data: isName(obj.data) ? obj.data : null,
    csvRoot: isName(obj.csv_root) ? obj.csv_root : null,
    classes,
    classesGiven,
    items,
    refused: refused.length ? refused : savedRefused(obj),
  };
}

/** The refused entries a saved copy carries (toJSONShape), so a reload still names them. */
function savedRefused(obj) {
  const r = obj.refused;
  return Array.isArray(r) ? r.filter((x) => x && Number.isInteger(x.entry) && typeof x.file === "string" && typeof x.why === "string") : [];
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

/** Back to training's JSON shape (what the page saves, and re-reads through parseTopLosses);
 *  the refused entries ride along in "refused", which training's format does not have. */
export function toJSONShape(list) {
  const entry = (t) => ({ file: t.file, label: t.label, pred: t.pred, prob_pred: t.probPred, prob_label: t.probLabel, loss: t.loss });
  const shape = { on: list.on, data: list.data, csv_root: list.csvRoot, classes: list.classes, refused: list.refused };
  if (list.kind !== "ranking") return { ...shape, top_losses: list.items.map(entry) };
  return { ...shape, method: list.method,
    ranking: list.items.map((t) => ({ ...entry(t), score: t.score, suggested: t.suggested, imagenet_top: t.imagenetTop })) };
}
