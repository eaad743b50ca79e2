// What the reader brought, checked before anything is computed (no DOM).
//
// Entries come from a folder of label folders (picker or drop: `path` such as
// "bears/black/x.jpg"), from files picked per label or the camera (`label` given), each with
// its SHA-256 and whether the browser could decode it:
//   {path?, label?, name, sha256, decodable, reason?, size?}
// `intake` sorts them into photos to use and photos left out, each left-out one with its
// reason, and says what it found in messages ({level: "error"|"warning"|"info", text}).
// Errors block training until fixed; nothing is left out without a line saying so.
//
// Rules, and why:
// - labels: a label folder's name (the folder picked or dropped is stripped when every path
//   starts with it); files outside any label folder have no label and are left out.
// - 2 to 10 labels: one label has nothing to tell apart; beyond 10 the confusion matrix and
//   the cleaning pages stop being readable, and each label needs its own photos.
// - at least 2 photos per label (one to train on, one to check on: the split needs both);
//   fewer than 10 is allowed with a warning (the error rate of 1 or 2 photos says little).
// - exact duplicates (same SHA-256) under one label are all used by default, as the Python
//   scripts use them (so the split equals theirs on the same folder; the real bear photos
//   have two such pairs), with a warning: a copy in validation whose twin is in training
//   flatters the error rate. {duplicates: "once"} uses the first (by name) and lists the
//   others as left out. Under two labels a photo cannot be both: every copy is left out
//   until the reader gives it one label.
// - at most 2,000 photos: the issue's target for a browser tab (about 2 GB for the network,
//   its working memory, one thumbnail and one activation vector per photo); more photos also
//   mean many minutes of activations (MAX_PHOTOS_WHY is what the reader reads). The page's
//   benchmark is what has to show that 2,000 fit.

import { pyCompare, pySortedUnique } from "./pystr.js";

export const LIMITS = { minLabels: 2, maxLabels: 10, minPerLabel: 2, fewPerLabel: 10, maxPhotos: 2000 };
export const MAX_PHOTOS_WHY = "a browser tab has about 2 GB of memory for the network, the thumbnails and the " +
  "activations, and 2,000 photos already take minutes to go through the network";
const SYSTEM_FILES = new Set(["thumbs.db", "desktop.ini"]);

const plural = (n, one, many = `${one}s`) => `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
const segments = (p) => String(p).replace(/\\/g, "/").split("/").filter((s) => s && s !== ".");
export const isSystemFile = (name) => name.startsWith(".") || SYSTEM_FILES.has(name.toLowerCase());

/** Is `n` files too many? -> an error message, or null. Call before hashing or decoding them. */
export function countMessage(n, maxPhotos = LIMITS.maxPhotos) {
  if (n <= maxPhotos) return null;
  return `${plural(n, "file")} is more than this page handles: at most ${maxPhotos.toLocaleString("en")} photos ` +
    `(${MAX_PHOTOS_WHY}). Pick a subset, for example fewer photos per label.`;
}

/** [{file, label|null}] for entries: file is the path under the label folders ("black/x.jpg"). */
export function placeEntries(entries) {
  const paths = entries.map((e) => (e.label != null ? null : segments(e.path ?? e.name)));
  const deep = paths.filter(Boolean);
  const first = deep.length ? deep[0][0] : null;
  // the folder the reader picked or dropped: every path starts with it and goes two levels deeper
  const root = deep.length && deep.every((s) => s[0] === first) && deep.some((s) => s.length >= 3) ? 1 : 0;
  return entries.map((e, i) => {
    if (e.label != null) return { file: `${e.label}/${e.name}`, label: String(e.label) };
    const s = paths[i].slice(root);
    return { file: s.join("/"), label: s.length >= 2 ? s[0] : null };
  });
}

/** Make every file name unique (two picks can hold different photos with the same name). */
function uniqueFiles(placed) {
  const seen = new Map();
  for (const p of placed) {
    const n = (seen.get(p.file) || 0) + 1;
    seen.set(p.file, n);
    if (n > 1) p.file = p.file.replace(/(\.[^./]*)?$/, (ext) => ` (${n})${ext}`);
  }
}

/** -> {items, left, duplicates, conflicts}: decodable, labelled entries split into used and left out. */
function sortOut(entries, placed, once) {
  const items = [];
  const left = [];
  placed.forEach((p, i) => {
    const e = entries[i];
    const base = { file: p.file, label: p.label, sha256: e.sha256, index: i };
    if (isSystemFile(String(e.name))) left.push({ ...base, kind: "system", reason: "a system file, not a photo" });
    else if (!e.decodable) left.push({ ...base, kind: "undecodable", reason: e.reason || "not a photo the browser can decode" });
    else if (p.label === null) left.push({ ...base, kind: "no label", reason: "not inside a label folder" });
    else items.push(base);
  });
  items.sort((a, b) => pyCompare(a.file, b.file));
  const bySha = new Map(); // Map.groupBy is not in Node 20
  for (const it of items) {
    if (!bySha.has(it.sha256)) bySha.set(it.sha256, []);
    bySha.get(it.sha256).push(it);
  }
  const keep = [];
  const duplicates = [];
  const conflicts = [];
  for (const group of bySha.values()) {
    const labels = pySortedUnique(group.map((g) => g.label));
    if (labels.length > 1) {
      conflicts.push({ sha256: group[0].sha256, labels, files: group.map((g) => g.file) });
      for (const g of group) left.push({ ...g, kind: "conflict", reason: `the same photo is under ${labels.join(" and ")}: left out until it has one label` });
      continue;
    }
    keep.push(...(once ? group.slice(0, 1) : group));
    if (group.length > 1) duplicates.push({ sha256: group[0].sha256, first: group[0].file, copies: group.slice(1).map((g) => g.file) });
    if (once) for (const g of group.slice(1)) left.push({ ...g, kind: "duplicate", reason: `an exact copy of ${group[0].file}, used once` });
  }
  keep.sort((a, b) => pyCompare(a.file, b.file));
  return { items: keep, left, duplicates, conflicts };
}

/** Check what the reader brought. Options: the LIMITS, and duplicates: "keep" (default) | "once".
 *  -> {ok, items, classes, counts, left, duplicates, conflicts, messages}. */
export function intake(entries, options = {}) {
  const L = { ...LIMITS, ...options };
  const once = options.duplicates === "once";
  const placed = placeEntries(entries);
  uniqueFiles(placed);
  const sorted = sortOut(entries, placed, once);
  const classes = pySortedUnique(sorted.items.map((it) => it.label));
  const counts = Object.fromEntries(classes.map((c) => [c, 0]));
  for (const it of sorted.items) counts[it.label]++;
  const seen = pySortedUnique(placed.map((p) => p.label).filter((l) => l !== null));
  const messages = describe({ entries, ...sorted, classes, counts, seen, L, once });
  return { ok: !messages.some((m) => m.level === "error"), ...sorted, classes, counts, messages };
}

const some = (files, n = 5) => files.slice(0, n).join(", ") + (files.length > n ? ` and ${files.length - n} more` : "");
const isAre = (n) => (n === 1 ? "is" : "are");

/** The messages the page shows, errors first. */
function describe(found) {
  const errors = [];
  const warnings = [];
  const infos = [];
  labelMessages(found, errors, warnings, infos);
  fileMessages(found, warnings, infos);
  return [...errors.map((text) => ({ level: "error", text })), ...warnings.map((text) => ({ level: "warning", text })),
    ...infos.map((text) => ({ level: "info", text }))];
}

/** What was found per label, and what blocks training (labels, counts, the size limit). */
function labelMessages({ entries, items, classes, counts, seen, L }, errors, warnings, infos) {
  const total = items.length;
  if (!entries.length) errors.push("No files yet: open a folder with one folder of photos per label, or add photos label by label.");
  else if (!total) errors.push("None of the files is a photo that can be used (see the files left out).");
  else infos.push(`${plural(total, "photo")} in ${plural(classes.length, "label")}: ${classes.map((c) => `${c} ${counts[c]}`).join(", ")}.`);
  if (total && classes.length < L.minLabels) {
    errors.push(`Every photo is under one label, ${classes[0]}: a classifier needs ${L.minLabels} to ${L.maxLabels} labels, ` +
      "one folder of photos for each (for example black/, grizzly/, teddy/ inside the folder you open).");
  }
  if (classes.length > L.maxLabels) {
    errors.push(`${classes.length} labels is more than ${L.maxLabels}: beyond that the confusion matrix and the cleaning ` +
      "pages stop being readable. Train on fewer labels.");
  }
  for (const lab of seen.filter((l) => !(l in counts))) {
    errors.push(`The label ${lab} has no photo that can be used (see the files left out): add photos or remove the folder.`);
  }
  for (const c of classes) {
    const n = plural(counts[c], "photo");
    if (counts[c] < L.minPerLabel) errors.push(`The label ${c} has only ${n}: each label needs at least ${L.minPerLabel}, one to train on and one to check on.`);
    else if (counts[c] < L.fewPerLabel) warnings.push(`The label ${c} has only ${n}: it will train, but with fewer than ${L.fewPerLabel} the error rate says little. More photos help more than anything else.`);
  }
  const tooMany = countMessage(total, L.maxPhotos);
  if (tooMany) errors.push(tooMany);
}

/** Files left out, copies and conflicts: every one is named (the first few) or counted. */
function fileMessages({ left, duplicates, conflicts, once }, warnings, infos) {
  const of = (kind) => left.filter((l) => l.kind === kind).map((l) => l.file);
  for (const c of conflicts) warnings.push(`The same photo is under ${c.labels.join(" and ")} (${some(c.files)}): it is left out until you give it one label.`);
  const bad = of("undecodable");
  if (bad.length) warnings.push(`${plural(bad.length, "file")} could not be read as a photo and ${isAre(bad.length)} left out: ${some(bad)}.`);
  const unlabelled = of("no label");
  if (unlabelled.length) warnings.push(`${plural(unlabelled.length, "photo")} not inside a label folder ${isAre(unlabelled.length)} left out: ${some(unlabelled)}. Put each in the folder of its label.`);
  const copies = duplicates.flatMap((d) => d.copies);
  if (copies.length && once) warnings.push(`${plural(copies.length, "exact copy", "exact copies")} of photos under the same label, each photo used once: ${some(copies)}.`);
  if (copies.length && !once) {
    warnings.push(`${plural(copies.length, "photo")} ${isAre(copies.length)} an exact copy of another under the same label ` +
      `(${some(duplicates.map((d) => `${d.copies.join(", ")} = ${d.first}`), 3)}). Every copy is used, as the Python scripts ` +
      "would; but a copy in validation whose twin is in training makes the error rate look better than it is. Delete the copies when cleaning.");
  }
  const system = of("system");
  if (system.length) infos.push(`${plural(system.length, "system file")} ignored (${some(system, 3)}).`);
}
