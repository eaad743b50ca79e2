// What the cleaner says, as plain strings built from its state (no DOM). The view puts
// them on the page; tests read them in Node.

import { storageProblem } from "./marks.js";
import { dataFolder } from "./toplosses.js";

export const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const IMAGE_KINDS = ".jpg .jpeg .png .gif .bmp .webp .tif .tiff";

function coverage(on) {
  if (on === "all") return "the whole data set";
  if (on === "valid") return "the validation split only";
  return `on: ${on ?? "?"}`;
}

/** One line about the list that is open; flagged: its wrong predictions, or (a ranking) its suggested changes. */
export function listInfo(list, flagged) {
  const what = list.kind === "ranking" ? `ranked most suspect first, ${plural(flagged, "suggested change")}`
    : plural(flagged, "wrong prediction");
  return `“${visible(list.name)}”: ${plural(list.items.length, "photo")} (${coverage(list.on)}), ` +
    `${what}; classes ${list.classes.join(", ")}` +
    `${list.classesGiven ? "" : " (read from the labels; the file names none)"}${list.data ? `; data folder ${visible(list.data)}` : ""}.`;
}

/** A name as it can be read: control characters and the invisible marks that reorder text
 *  (a right-to-left override can make "gpj.exe" look like "exe.jpg") are shown as \u202e. */
export const visible = (s) => String(s).replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
  (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/** Why entries of the list were left out (empty string when none were). */
export function refusedNote(refused) {
  const n = refused.length;
  if (!n) return "";
  const named = refused.slice(0, 5).map((x) => `entry ${x.entry} “${visible(x.file)}”: ${x.why}`).join("; ");
  return `${plural(n, "entry", "entries")} of the list refused: ${n === 1 ? "its file would be" : "their files would be"} outside the data folder ` +
    `or read differently by training, so ${n === 1 ? "it is" : "they are"} not in cleaned.csv or decisions.csv. ` +
    `${named}${n > 5 ? `; and ${n - 5} more` : ""}. Rename or move ${n === 1 ? "that photo" : "those photos"} into a label folder and run interpret again to include ${n === 1 ? "it" : "them"}.`;
}

const when = (t) => new Date(t).toLocaleString();

/** The status after a list was opened (state.openList's result). */
export function listOpened(res, name, { marked, photosOpen }) {
  let text;
  if (res.fromStorage) {
    text = `Restored from this browser's storage: “${name}” with ${plural(marked, "mark")}${res.savedAt ? ` (saved ${when(res.savedAt)})` : ""}. ` +
      "Open the photo folder again to see the photos: browsers do not keep access to your files after a reload.";
  } else if (res.restoredMarks) {
    text = `Opened “${name}”; ${plural(res.restoredMarks, "saved mark")} for this list restored from this browser's storage.`;
  } else {
    text = `Opened “${name}”.${photosOpen ? "" : " Now open the photo folder to see the photos."}`;
  }
  if (res.dropped) text += ` ${plural(res.dropped, "saved mark")} did not fit this list's classes and ${res.dropped === 1 ? "was" : "were"} left out.`;
  if (res.exported && marked) {
    text += ` You already downloaded ${res.exported.what} from these marks (${when(res.exported.at)}); they stay saved here ` +
      "until you press “Forget the saved marks”.";
  }
  return text;
}

/** After a reload, when the list shown last was too big to keep in storage. */
export function stubRestored(res) {
  return `The list you had open, “${res.stub.name}” (${plural(res.stub.photos, "photo")}), was too big to keep in this browser's storage; ` +
    `open it again${res.marks ? ` and its ${plural(res.marks, "saved mark")} come back` : ""}.`;
}

export function replaceAsked(res, name) {
  return `You have ${plural(res.marked, "mark")} on “${res.oldName}” that this browser could not save. ` +
    `Download cleaned.csv or decisions.csv first, or open “${name}” again to replace them.`;
}

export function photoNotList(fileName) {
  return `“${visible(fileName)}” is a photo, not the list. Choose suspects.json (written by ` +
    "`python -m training.bears suspects`) or top_losses.json (`python -m training.bears interpret --on all`) with “Open the list”, " +
    "and the photos with “Open the photo folder”.";
}

export function nothingOpened(how) {
  return `The ${how} is empty (the browser gave no files). Choose the data folder: the one that holds the label folders (black/, grizzly/, teddy/).`;
}

export function noImages(how, others) {
  const names = others.slice(0, 3).map((e) => `“${visible(e.path)}”`).join(", ");
  return `No photos in the ${how}: ${plural(others.length, "file")} (${names}${others.length > 3 ? ", …" : ""}), none of them an image ` +
    `(${IMAGE_KINDS}). Nothing changed.`;
}

/** What a card without a photo says. */
export function photoNote(state) {
  if (state.restored && !state.picked.length) return "Open the photo folder again to see this photo.";
  return state.picked.length ? "Not in the opened photos." : "Open the photo folder to see the photo.";
}

/** The report on the opened photos: {text, data} (data: counts for the data- attributes, or null). */
export function matchReport(state) {
  const m = state.match;
  if (!m) {
    const n = state.extras.length;
    return { data: null, text: n ? `No photos open (the list and ${plural(n, "photo")} found beside it last time come from this browser's storage).` : "No photos open yet." };
  }
  const data = { found: m.matched.size, missing: m.missing.length, extra: m.extras.length - state.badFolders, outside: m.outside.length,
    nonImages: m.nonImages.length, ambiguous: m.ambiguous.length };
  return { data, text: [...foundParts(state), ...ignoredParts(state)].join(" ").replace(/;$/, ".") };
}

function foundParts({ match: m, list }) {
  const n = list.items.length;
  if (!m.matched.size) {
    return [`None of the ${n} listed photos is among the opened files. Is this the data folder that training used (${list.data ?? "the folder with black/, grizzly/, teddy/"})?`];
  }
  const parts = [`Found ${m.matched.size} of the ${n} listed photos${m.root ? ` (data folder “${m.root}”)` : ""}.`];
  if (m.missing.length) parts.push(`${plural(m.missing.length, "listed photo is", "listed photos are")} missing (shown with a placeholder; still in cleaned.csv, with your marks).`);
  return parts;
}

function ignoredParts(state) {
  const { match: m, list } = state;
  const parts = [];
  const notListed = m.extras.length + m.outside.length + m.ambiguous.length + m.nonImages.length + m.duplicates.length;
  if (notListed) parts.push(`${plural(notListed, "opened file is", "opened files are")} not in the list:`);
  const extras = m.extras.length - state.badFolders;
  if (extras) parts.push(`${plural(extras, "photo")} in label folders, added at the end (“new”) and to cleaned.csv under their folder's label;`);
  const unknown = state.unknownFolders();
  if (unknown.length) parts.push(`classes mismatch: ${unknown.map((c) => `folder “${c}”`).join(", ")} is not one of the list's classes (${list.classes.join(", ")}); relabel or delete those photos, or training learns an extra class;`);
  if (m.outside.length) parts.push(`${plural(m.outside.length, "image")} not in a label folder of the data folder, ignored;`);
  if (m.ambiguous.length) parts.push(`${plural(m.ambiguous.length, "image")} whose name is in more than one label folder, ignored (open the folder instead of single photos);`);
  if (state.badFolders) parts.push(`${plural(state.badFolders, "photo")} in a folder whose name begins or ends with white space, ignored (training's CSV reader would trim it; rename the folder);`);
  if (m.duplicates.length) parts.push(`${plural(m.duplicates.length, "second copy", "second copies")} of listed photos, ignored;`);
  if (m.nonImages.length) {
    const names = m.nonImages.slice(0, 3).map((i) => visible(state.picked[i].path)).join(", ");
    parts.push(`${plural(m.nonImages.length, "file")} that ${m.nonImages.length === 1 ? "is" : "are"} not an image, ignored (${names}${m.nonImages.length > 3 ? ", …" : ""}).`);
  }
  return parts;
}

function notSaved(pending) {
  const n = pending.total;
  const k = pending.marks;
  if (!k && !pending.unmarks) return "";
  const marks = !k ? "" : k === n ? `your ${plural(n, "mark")} ${n === 1 ? "is" : "are"} not saved`
    : `${k} of your ${plural(n, "mark")} ${k === 1 ? "is" : "are"} not saved`;
  const unmarks = pending.unmarks ? `${plural(pending.unmarks, "mark")} you took back ${pending.unmarks === 1 ? "is" : "are"} still saved` : "";
  return [marks, unmarks].filter(Boolean).join(", and ");
}

const KEEP_OPEN = "They are kept while this page stays open: download cleaned.csv (or decisions.csv) before you leave or reload.";

/** Why marks are not saved (storage refused, or another tab removed them): {text, warn}. */
function unsavedNote(sv, n) {
  if (!sv.store.available) return `Your marks cannot be saved: ${storageProblem(sv.error)}. ${KEEP_OPEN}`;
  if (sv.removedElsewhere) {
    return `Another tab removed the saved marks of this list. This page still shows your ${plural(n, "mark")}, not saved now: ` +
      `mark or unmark a photo to save them all again, or download the result. ${KEEP_OPEN}`;
  }
  const what = notSaved({ ...sv.pending, total: n });
  const list = sv.listSaved || sv.listTooBig ? "The list is saved." : "the list is not saved either.";
  if (!what) return `Your marks cannot be saved: ${storageProblem(sv.error)}; ${list} ${KEEP_OPEN}`;
  return `Your marks cannot all be saved: ${storageProblem(sv.error)}; ${what}${list.startsWith("the") ? `, and ${list}` : `. ${list}`} ` +
    `${KEEP_OPEN} Freeing space (this site's data in the browser's settings) and marking again saves them.`;
}

/** The line about saving: {text, warn}. */
export function saveNote(state) {
  const sv = state.saving;
  const n = state.marks.size;
  const merged = sv.merged ? ` ${plural(sv.merged, "mark")} made in another tab on this list ${sv.merged === 1 ? "was" : "were"} merged in (where both tabs marked a photo, the later mark wins).` : "";
  if (state.saved === "no" || state.saved === "off") {
    if (state.list || !sv.store.available) return { warn: true, text: unsavedNote(sv, n) + merged };
    return { warn: false, text: "" };
  }
  if (state.saved === "cleared") {
    return { warn: false, text: "The saved marks of this list were removed from this browser's storage; they stay on this page " +
      "until you leave or reload it. Marks you change now are saved again." };
  }
  const big = sv.listTooBig ? " The list itself is too big for this browser's storage: after a reload, open it again and the marks come back." : "";
  const done = sv.exported ? ` You downloaded ${sv.exported.what} (${when(sv.exported.at)}); the marks stay saved in case the download went wrong.` : "";
  return { warn: false, text: `Your marks are saved in this browser as you go, until you press “Forget the saved marks”.${done}${big}${merged}` };
}

export function progress(t) {
  return `${t.marked} of ${t.total} marked` + (t.marked ? ` (${t.keep} keep, ${t.delete} delete, ${t.relabel} relabel)` : "");
}

/** kind: the list's ("ranking": the third filter shows the suggested changes). */
export function filterLabels(t, wrong, kind = "top_losses") {
  const third = kind === "ranking" ? `Suggested changes (${wrong})` : `Wrong predictions (${wrong})`;
  return { all: `All (${t.total})`, unmarked: `Unmarked (${t.total - t.marked})`, wrong: third };
}

export function keysHelp(classes, kind = "top_losses") {
  const relabel = classes.slice(0, 9).map((c, j) => `${j + 1} ${visible(c)}`).join(", ");
  const more = classes.length > 9 ? `; the other ${plural(classes.length - 9, "class", "classes")} by their buttons` : "";
  const accept = kind === "ranking" ? "a accepts the suggestion (the dashed button), " : "";
  return `Keys on a photo: k keep, d delete, ${relabel} (relabel; its own label = keep${more}), ${accept}u unmark; ` +
    "the next photo gets the focus. ←/→/↑/↓ move, Home/End first/last on the page, PageUp/PageDown change page. " +
    "Buttons work too; pressing a pressed one takes the mark back.";
}

/** A value for a POSIX shell command line, as Python's shlex.quote: as it is when it holds
 *  only characters no shell reads specially, else in single quotes. */
export const shellQuote = (s) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`);

const PLACEHOLDER = "/path/to/your/photos";
const hasControl = (s) => /[\u0000-\u001f\u007f]/.test(s);

/** The data folder for --csv_root, and why it is a placeholder if it is one. */
function csvRootFor({ list, match }) {
  const folder = dataFolder(list) ?? (match?.root ? `/path/to/${match.root.split("/").pop()}` : null);
  if (folder === null) return { folder: PLACEHOLDER, why: null };
  if (hasControl(folder)) {
    return { folder: PLACEHOLDER, why: "The data folder this list names holds control characters (a line break?), so the " +
      `command shows ${PLACEHOLDER} instead: put your data folder there.` };
  }
  return { folder, why: null };
}

/** How to take the files back to training: [{p}|{code}] blocks. Every value that comes from
 *  the list or the reader's files is quoted for the shell. */
export function howto(state) {
  const { list } = state;
  const root = csvRootFor(state);
  const csvRoot = list.data
    ? `--csv_root is the data folder as training saw it (“${visible(list.data)}” in the list${/\.csv$/i.test(list.data) ? ", a CSV: its folder" : ""}); ` +
      "without --csv_root, paths are read against the CSV's own folder, so a cleaned.csv moved into the data folder needs none."
    : "--csv_root is the folder that holds the label folders (this list does not say where it is); without it, paths are read " +
      "against the CSV's own folder, so a cleaned.csv moved into the data folder needs none.";
  return [
    { p: "cleaned.csv lists every photo of the data set (the list, plus photos found in the folder but not listed), " +
      "minus deletions, with your new labels, as paths relative to the data folder. From the repository root, " +
      "with the file where your browser saved it:" },
    { code: `python -m training.bears train --data ~/Downloads/cleaned.csv --csv_root=${shellQuote(root.folder)} --out runs/cleaned` },
    ...(root.why ? [{ p: root.why }] : []),
    { p: csvRoot },
    ...decisionsHowto(list, root.folder),
    { p: "Neither file removes photos from disk (clean --delete_files does)." },
  ];
}

/** decisions.csv's way back: straight into training (a ranking lists the whole data set), or
 *  through the terminal cleaner, which reads the top-losses list it was made from. */
function decisionsHowto(list, folder) {
  if (list.kind === "ranking") {
    return [
      { p: "decisions.csv holds only your marks (file,action,label). Training applies it to the photo folder as it loads " +
        "it (deletions dropped, relabels applied, every photo staying on its side of the split), so a committed decisions " +
        "file reproduces the cleaned data set for anyone with the photos:" },
      { code: `python -m training.bears train --data ${shellQuote(folder)} --decisions ~/Downloads/decisions.csv --out runs/cleaned` },
    ];
  }
  return [
    { p: "decisions.csv holds only your marks on the list's photos (file,action,label), for the terminal cleaner, " +
      "which writes cleaned.csv next to the list:" },
    { code: "python -m training.bears clean --top_losses runs/default/interpret_all/top_losses.json --decisions ~/Downloads/decisions.csv\n" +
      "python -m training.bears train --data runs/default/interpret_all/cleaned.csv --out runs/cleaned" },
  ];
}

export function cleanedNote(state, res) {
  const { list, match, extras } = state;
  return `cleaned.csv: ${plural(res.rows, "photo")} (${res.tally.delete} deleted, ${res.tally.relabel} relabelled)` +
    `${match?.missing.length ? `; ${match.missing.length} of them listed but not in the opened photos` : ""}.` +
    (list.on === "all" ? "" : ` The list covers only part of the data set (on: ${list.on ?? "?"}): the other ` +
      `${plural(extras.length, "photo")} come from the opened folder, so make sure it was the whole data folder.`) +
    (list.refused.length ? ` ${plural(list.refused.length, "refused entry", "refused entries")} of the list ${list.refused.length === 1 ? "is" : "are"} not in it.` : "");
}

export function decisionsNote(res) {
  return `decisions.csv: ${plural(res.rows, "decision")}` +
    `${res.outside ? `; ${plural(res.outside, "mark")} on photos outside the list ${res.outside === 1 ? "is" : "are"} only in cleaned.csv` : ""}.`;
}
