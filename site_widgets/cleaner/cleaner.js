// The data cleaner: the lesson's ImageCleaner in the browser. The instructor opens the
// top-losses list that training wrote and their own photo folder; marks each photo keep,
// delete or relabel (worst predictions first); downloads cleaned.csv for `train --data`
// (and decisions.csv for `clean --decisions`). Nothing is uploaded: photos are shown
// through object URLs, the list is read with File.text(), downloads are Blobs.
//
// This file is the view and the wiring. The work is in modules without DOM code:
//   toplosses.js  reading and checking top_losses.json
//   match.js      which opened file is which listed photo; photos the list does not name
//   marks.js      decisions, and saving them in localStorage until they are exported
//   csv.js        cleaned.csv and decisions.csv, as the training scripts read them
// and grid.js draws the photos (one page at a time) and takes the keyboard.
//
// State for tests and curious readers, as data- attributes on the root: data-phase
// (empty | list | ready), data-items, data-marked, data-saved (yes | no | cleared | off);
// on the match report: data-found, data-missing, data-extra, data-outside, data-non-images,
// data-ambiguous; data-live-urls (object URLs alive for thumbnails).

import { errorBox, fetchText, h, statusLine } from "../common/ui.js";
import { cleanedCsv, cleanedRows, decisionRows, decisionsCsv } from "./csv.js";
import { filesFromDrop } from "./drop.js";
import { Grid, markText } from "./grid.js";
import { cleanMarks, listKey, makeMark, MarkStore, storageProblem, tally } from "./marks.js";
import { isImageName, matchFiles } from "./match.js";
import { dataFolder, ListError, parseTopLosses, toJSONShape } from "./toplosses.js";

const PAGE_SIZE = 24;
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function addStyles(widgetsRoot) {
  const href = new URL("cleaner/cleaner.css", widgetsRoot).href;
  if (!document.querySelector(`link[href="${href}"]`)) {
    document.head.append(h("link", { rel: "stylesheet", href }));
  }
}

function openStorage() {
  return window.localStorage; // a getter that throws where storage is blocked
}

// The default run's list, published with the site: lets a reader with the lesson's bear
// photos (or none) try the cleaner without training first.
const EXAMPLE_LIST = "assets/reports/default/top_losses.json";

export async function mount(el, { siteRoot, widgetsRoot }) {
  addStyles(widgetsRoot);
  el.classList.add("cln");
  const store = new MarkStore(openStorage);

  // ------------------------------------------------------------------ state
  let list = null; // parsed top-losses list + {name}
  let key = null; // its storage key
  let marks = new Map(); // file -> mark (a Map: file names are the reader's data, "__proto__" included)
  let items = []; // the list's photos, then the folder's extras
  let extras = []; // [{file, label}] photos in the data folder that the list does not name
  let picked = []; // [{file: File, path, batch}] what the reader opened
  let found = new Map(); // item file -> File
  let match = null; // matchFiles() result for the report
  let restoredFromStorage = false; // shown from storage, the photos not opened again yet
  let listSaved = false;
  let unsaved = false; // marks changed that storage did not take
  let replaceAsked = null; // key of a list the reader must choose twice (unsaved marks)
  let batches = 0;
  let filter = "all";

  // ------------------------------------------------------------------ view
  const status = statusLine("cln-status widget-status");
  const error = errorBox("cln-error widget-error");
  const jsonInput = h("input", { type: "file", accept: ".json,application/json", class: "cln-file cln-json", "aria-label": "top-losses JSON file" });
  const folderInput = h("input", { type: "file", webkitdirectory: true, directory: true, multiple: true, class: "cln-file cln-folder", "aria-label": "photo folder" });
  const photosInput = h("input", { type: "file", multiple: true, accept: "image/*,.json", class: "cln-file cln-photos", "aria-label": "photos" });
  const listInfo = h("p", { class: "cln-listinfo" }, "No list open yet.");
  const photoInfo = h("p", { class: "cln-report", "aria-live": "polite" }, "No photos open yet.");
  const drop = h("div", { class: "cln-open", role: "group", "aria-label": "Open the list and the photos" },
    h("div", { class: "cln-step" },
      h("p", { class: "cln-steptitle" }, "1. The list training wrote"),
      h("div", { class: "cln-buttons" },
        h("button", { type: "button", class: "md-button md-button--primary", onclick: () => jsonInput.click() }, "Open top_losses.json"),
        h("button", { type: "button", class: "md-button cln-example", onclick: () => openExample() }, "Try the default run's list")),
      listInfo),
    h("div", { class: "cln-step" },
      h("p", { class: "cln-steptitle" }, "2. Your photos (the data folder)"),
      h("div", { class: "cln-buttons" },
        h("button", { type: "button", class: "md-button md-button--primary", onclick: () => folderInput.click() }, "Open the photo folder"),
        h("button", { type: "button", class: "md-button", onclick: () => photosInput.click() }, "Choose photos")),
      photoInfo),
    h("p", { class: "cln-drophint" }, "Or drop the folder, photos or the JSON here. Nothing leaves this browser: photos are only shown, never uploaded."),
    jsonInput, folderInput, photosInput);

  const filterBox = h("fieldset", { class: "cln-filter" }, h("legend", {}, "Show"));
  const filterLabels = {};
  for (const [value, text] of [["all", "All"], ["unmarked", "Unmarked"], ["wrong", "Wrong predictions"]]) {
    const radio = h("input", { type: "radio", name: `cln-filter-${Math.random().toString(36).slice(2)}`, value, checked: value === "all" });
    radio.addEventListener("change", () => { filter = value; applyFilter(); });
    filterLabels[value] = h("span", {}, text);
    filterBox.append(h("label", {}, radio, " ", filterLabels[value]));
  }
  const progress = h("p", { class: "cln-progress" });
  const saveNote = h("p", { class: "cln-savenote" });
  const keysHelp = h("p", { class: "cln-keys" });
  const grid = new Grid({
    pageSize: PAGE_SIZE,
    onMark: (item, action, label) => setMark(item, action, label),
    photoNote: (it) => (restoredFromStorage && !picked.length ? "Open the photo folder again to see this photo."
      : picked.length ? "Not in the opened photos." : "Open the photo folder to see the photo."),
    onRender: () => { el.dataset.liveUrls = String(grid.urls.size); },
  });
  const review = h("div", { class: "cln-review", hidden: true },
    h("div", { class: "cln-toolbar" }, filterBox, progress), saveNote, keysHelp, grid.node);

  const exportCleaned = h("button", { type: "button", class: "md-button md-button--primary" }, "Download cleaned.csv");
  const exportDecisions = h("button", { type: "button", class: "md-button" }, "Download decisions.csv");
  const exportNote = h("p", { class: "cln-exportnote", role: "status" });
  const howto = h("div", { class: "cln-howto" });
  const exportBox = h("div", { class: "cln-export", hidden: true },
    h("p", { class: "cln-steptitle" }, "3. Take the result back to training"),
    h("div", { class: "cln-buttons" }, exportCleaned, exportDecisions), exportNote, howto);

  el.replaceChildren(drop, status.node, error.node, review, exportBox);
  el.dataset.phase = "empty";
  el.dataset.saved = store.available ? "no" : "off";

  // ------------------------------------------------------------------ the list
  async function openList(file) {
    error.clear();
    if (/^image\//.test(file.type) || isImageName(file.name)) {
      error.show(`“${file.name}” is a photo, not the top-losses list. Choose top_losses.json (written by ` +
        "`python -m training.bears interpret --on all`) with “Open top_losses.json”, and the photos with “Open the photo folder”.");
      return;
    }
    let parsed;
    try {
      parsed = parseTopLosses(await file.text(), file.name);
    } catch (err) {
      error.show(err instanceof ListError ? err.message : `Could not read “${file.name}”: ${err.message || err}`);
      return;
    }
    useList(parsed, file.name);
  }

  async function openExample() {
    error.clear();
    const url = new URL(EXAMPLE_LIST, siteRoot);
    let text;
    try {
      text = await fetchText(url);
    } catch (err) {
      error.show(`Could not load the example list (${err.message || err}). If you are offline, open your own top_losses.json instead.`);
      return;
    }
    await openList({ name: "top_losses.json", type: "application/json", text: async () => text });
  }

  function useList(parsed, name, { fromStorage = false } = {}) {
    const newKey = listKey(parsed);
    if (key && newKey !== key && unsaved && tally(items, marks).marked && replaceAsked !== newKey) {
      replaceAsked = newKey;
      error.show(`You have ${plural(tally(items, marks).marked, "mark")} on “${list.name}” that this browser could not save. ` +
        `Download cleaned.csv or decisions.csv first, or open “${name}” again to replace them.`);
      return;
    }
    replaceAsked = null;
    const same = newKey === key;
    list = { ...parsed, name };
    key = newKey;
    let restoredMarks = 0;
    let savedAt = null;
    if (!same) {
      marks = new Map();
      extras = [];
      unsaved = false;
      const saved = store.loadMarks(key);
      if (saved) {
        savedAt = saved.savedAt;
        const { marks: m, dropped } = cleanMarks(saved.marks, list.classes);
        marks = m;
        restoredMarks = m.size;
        if (dropped) status.set(`${plural(dropped, "saved mark")} did not fit this list's classes and were left out.`, "idle");
      }
      if (fromStorage) extras = fromStorage.extras;
    }
    rematch();
    if (!fromStorage) saveList();
    const wrong = list.items.filter((t) => t.pred !== null && t.pred !== t.label).length;
    listInfo.textContent = `“${name}”: ${plural(list.items.length, "photo")} (${list.on === "all" ? "the whole data set" : list.on === "valid" ? "the validation split only" : `on: ${list.on ?? "?"}`}), ` +
      `${plural(wrong, "wrong prediction")}; classes ${list.classes.join(", ")}` +
      `${list.classesGiven ? "" : " (read from the labels; the file names none)"}${list.data ? `; data folder ${list.data}` : ""}.`;
    if (fromStorage) {
      const n = tally(items, marks).marked;
      status.set(`Restored from this browser's storage: “${name}” with ${plural(n, "mark")} (saved ${new Date(savedAt || fromStorage.savedAt).toLocaleString()}). ` +
        "Open the photo folder again to see the photos: browsers do not keep access to your files after a reload.", "ready");
    } else if (restoredMarks) {
      status.set(`Opened “${name}”; ${plural(restoredMarks, "saved mark")} for this list restored from this browser's storage.`, "ready");
    } else {
      status.set(`Opened “${name}”.${picked.length ? "" : " Now open the photo folder to see the photos."}`, "ready");
    }
    el.dataset.phase = picked.length ? "ready" : "list";
    review.hidden = false;
    exportBox.hidden = false;
    applyFilter();
    updateExportHelp();
  }

  // ------------------------------------------------------------------ the photos
  async function addPhotos(entries, { replace, how }) {
    error.clear();
    const jsons = entries.filter((e) => /\.json$/i.test(e.path));
    const photos = entries.filter((e) => !/\.json$/i.test(e.path));
    if (jsons.length && !photos.length) return openList(jsons[0].file);
    if (!entries.length) {
      error.show(`The ${how} is empty (the browser gave no files). Choose the data folder: the one that holds the label folders (black/, grizzly/, teddy/).`);
      return;
    }
    const images = photos.filter((e) => isImageName(e.path));
    if (!images.length) {
      const names = photos.slice(0, 3).map((e) => `“${e.path}”`).join(", ");
      error.show(`No photos in the ${how}: ${plural(photos.length, "file")} (${names}${photos.length > 3 ? ", …" : ""}), none of them an image ` +
        "(.jpg .jpeg .png .gif .bmp .webp .tif .tiff). Nothing changed.");
      return;
    }
    const batch = ++batches;
    const add = photos.map((e) => ({ file: e.file, path: e.path, batch }));
    if (replace) picked = add;
    else {
      // the same file chosen again replaces itself; a namesake from another folder does not
      const id = (p) => `${p.path}|${p.file.size}|${p.file.lastModified}`;
      const have = new Map(picked.map((p, i) => [id(p), i]));
      for (const p of add) {
        if (have.has(id(p))) picked[have.get(id(p))] = p;
        else picked.push(p);
      }
    }
    restoredFromStorage = false;
    if (jsons.length) await openList(jsons[0].file); // a list dropped along with the photos
    if (!list) {
      photoInfo.textContent = `${plural(images.length, "photo")} open. Now open top_losses.json to see them in the list's order.`;
      status.set("Photos open; the list is still missing.", "idle");
      return;
    }
    rematch();
    saveList();
    el.dataset.phase = "ready";
    status.set(`${plural(images.length, "photo")} opened from the ${how}.`, "ready");
    applyFilter();
    updateExportHelp();
  }

  function rematch() {
    if (!list) return;
    found = new Map();
    match = null;
    if (picked.length) {
      match = matchFiles(list.items.map((t) => t.file), picked.map((p) => ({ path: p.path, batch: p.batch })));
      for (const [file, i] of match.matched) found.set(file, picked[i].file);
      for (const x of match.extras) found.set(x.file, picked[x.index].file);
      extras = match.extras.map((x) => ({ file: x.file, label: x.label }));
    }
    items = [
      ...list.items.map((t, i) => ({ ...t, rank: i + 1, listed: true })),
      ...extras.map((x) => ({ file: x.file, label: x.label, pred: null, probPred: null, probLabel: null, loss: null, listed: false })),
    ];
    el.dataset.items = String(items.length);
    reportMatch();
  }

  function reportMatch() {
    for (const k of ["found", "missing", "extra", "outside", "nonImages", "ambiguous"]) delete photoInfo.dataset[k];
    if (!match) {
      photoInfo.textContent = extras.length
        ? `No photos open (the list and ${plural(extras.length, "photo")} found beside it last time come from this browser's storage).`
        : "No photos open yet.";
      return;
    }
    const m = match;
    const n = list.items.length;
    Object.assign(photoInfo.dataset, {
      found: m.matched.size, missing: m.missing.length, extra: m.extras.length, outside: m.outside.length,
      nonImages: m.nonImages.length, ambiguous: m.ambiguous.length,
    });
    const parts = [];
    if (!m.matched.size) {
      parts.push(`None of the ${n} listed photos is among the opened files. Is this the data folder that training used (${list.data ?? "the folder with black/, grizzly/, teddy/"})?`);
    } else {
      parts.push(`Found ${m.matched.size} of the ${n} listed photos${m.root ? ` (data folder “${m.root}”)` : ""}.`);
      if (m.missing.length) parts.push(`${plural(m.missing.length, "listed photo is", "listed photos are")} missing (shown with a placeholder; still in cleaned.csv, with your marks).`);
    }
    const notListed = m.extras.length + m.outside.length + m.ambiguous.length + m.nonImages.length + m.duplicates.length;
    if (notListed) parts.push(`${plural(notListed, "opened file is", "opened files are")} not in the list:`);
    if (m.extras.length) parts.push(`${plural(m.extras.length, "photo")} in label folders, added at the end (“new”) and to cleaned.csv under their folder's label;`);
    const unknown = [...new Set(m.extras.map((x) => x.label))].filter((c) => !list.classes.includes(c));
    if (unknown.length) parts.push(`classes mismatch: ${unknown.map((c) => `folder “${c}”`).join(", ")} is not one of the list's classes (${list.classes.join(", ")}); relabel or delete those photos, or training learns an extra class;`);
    if (m.outside.length) parts.push(`${plural(m.outside.length, "image")} not in a label folder of the data folder, ignored;`);
    if (m.ambiguous.length) parts.push(`${plural(m.ambiguous.length, "image")} whose name is in more than one label folder, ignored (open the folder instead of single photos);`);
    if (m.duplicates.length) parts.push(`${plural(m.duplicates.length, "second copy", "second copies")} of listed photos, ignored;`);
    if (m.nonImages.length) parts.push(`${plural(m.nonImages.length, "file")} that ${m.nonImages.length === 1 ? "is" : "are"} not an image, ignored (${m.nonImages.slice(0, 3).map((i) => picked[i].path).join(", ")}${m.nonImages.length > 3 ? ", …" : ""}).`);
    photoInfo.textContent = parts.join(" ").replace(/;$/, ".");
  }

  // ------------------------------------------------------------------ marks
  function setMark(item, action, label) {
    const m = makeMark(item, action, label);
    if (m) marks.set(item.file, m);
    else marks.delete(item.file);
    grid.update(item);
    persist();
    updateProgress();
    status.set(`${item.file}: ${markText(m)}.`, "idle");
  }

  function saveList() {
    if (!list) return;
    const res = store.saveList(key, { name: list.name, list: toJSONShape(list), extras });
    listSaved = res.ok;
    if (!res.ok) storageFailed(res.error);
  }

  function persist() {
    if (!key) return;
    if (!listSaved) saveList();
    const res = listSaved ? store.saveMarks(key, marks) : { ok: false, error: store.error };
    if (res.ok) {
      unsaved = false;
      el.dataset.saved = "yes";
      saveNote.textContent = "Your marks are saved in this browser as you go, until you download the result.";
    } else storageFailed(res.error);
  }

  function storageFailed(err) {
    unsaved = true;
    el.dataset.saved = store.available ? "no" : "off";
    saveNote.textContent = `Your marks cannot be saved: ${storageProblem(err || store.error)}. They are kept while this page stays open; ` +
      "download cleaned.csv (or decisions.csv) before you leave or reload.";
    saveNote.dataset.warn = "true";
  }

  function updateProgress() {
    const t = tally(items, marks);
    el.dataset.marked = String(t.marked);
    progress.textContent = `${t.marked} of ${t.total} marked` +
      (t.marked ? ` (${t.keep} keep, ${t.delete} delete, ${t.relabel} relabel)` : "");
    const wrong = items.filter((it) => it.pred !== null && it.pred !== it.label).length;
    filterLabels.all.textContent = `All (${t.total})`;
    filterLabels.unmarked.textContent = `Unmarked (${t.total - t.marked})`;
    filterLabels.wrong.textContent = `Wrong predictions (${wrong})`;
  }

  /** The order shown: chosen when the filter is chosen, so marking does not reshuffle the page. */
  function applyFilter() {
    const keep = {
      all: () => true,
      unmarked: (it) => !marks.has(it.file),
      wrong: (it) => it.pred !== null && it.pred !== it.label,
    }[filter];
    const order = items.map((it, i) => (keep(it) ? i : -1)).filter((i) => i >= 0);
    grid.set({ items, order, classes: list.classes, marks, files: found });
    grid.page = 0;
    grid.render();
    const relabel = list.classes.slice(0, 9).map((c, j) => `${j + 1} ${c}`).join(", ");
    keysHelp.textContent = `Keys on a photo: k keep, d delete, ${relabel} (relabel; its own label = keep), u unmark; ` +
      "the next photo gets the focus. ←/→/↑/↓ move, Home/End first/last on the page, PageUp/PageDown change page. " +
      "Buttons work too; pressing a pressed one takes the mark back.";
    updateProgress();
    if (store.available && !unsaved && el.dataset.saved !== "cleared") {
      saveNote.textContent = "Your marks are saved in this browser as you go, until you download the result.";
    }
  }

  // ------------------------------------------------------------------ export
  function updateExportHelp() {
    const folder = dataFolder(list) ?? `/path/to/${match?.root ? match.root.split("/").pop() : "bears"}`;
    const q = (s) => (/[\s'"$`\\]/.test(s) ? `'${s.replace(/'/g, "'\\''")}'` : s);
    howto.replaceChildren(
      h("p", {}, "cleaned.csv lists every photo of the data set (the list, plus photos found in the folder but not listed), " +
        "minus deletions, with your new labels, as paths relative to the data folder. From the repository root, " +
        "with the file where your browser saved it:"),
      h("pre", {}, h("code", {}, `python -m training.bears train --data ~/Downloads/cleaned.csv --csv_root ${q(folder)} --out runs/cleaned`)),
      h("p", {}, list.data
        ? `--csv_root is the data folder as training saw it (“${list.data}” in the list${/\.csv$/i.test(list.data) ? ", a CSV: its folder" : ""}); `
        + "without --csv_root, paths are read against the CSV's own folder, so a cleaned.csv moved into the data folder needs none."
        : "--csv_root is the folder that holds the label folders (this list does not say where it is); without it, paths are read " +
          "against the CSV's own folder, so a cleaned.csv moved into the data folder needs none."),
      h("p", {}, "decisions.csv holds only your marks on the list's photos (file,action,label), for the terminal cleaner, " +
        "which writes cleaned.csv next to the list:"),
      h("pre", {}, h("code", {},
        "python -m training.bears clean --top_losses runs/default/interpret_all/top_losses.json --decisions ~/Downloads/decisions.csv\n" +
        "python -m training.bears train --data runs/default/interpret_all/cleaned.csv --out runs/cleaned")),
      h("p", {}, "Neither file removes photos from disk (clean --delete_files does)."));
  }

  function coverageProblem() {
    if (list.on === "all" || extras.length || picked.length) return null;
    return `This list covers ${list.on === "valid" ? "only the validation split" : "an unknown part of the data set"}, so cleaned.csv ` +
      "would leave out every other photo. Open the photo folder first (its other photos are then added), or run " +
      "`python -m training.bears interpret --on all` and open that list.";
  }

  function download(name, text) {
    const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
    const a = h("a", { href: url, download: name, hidden: true });
    el.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  function exported(what) {
    store.clear(key);
    listSaved = false;
    unsaved = false;
    el.dataset.saved = "cleared";
    saveNote.dataset.warn = "false";
    saveNote.textContent = `Downloaded ${what}. The saved marks were removed from this browser's storage; they stay on this page ` +
      "until you leave or reload it. Marks you change now are saved again.";
  }

  exportCleaned.addEventListener("click", () => {
    error.clear();
    const problem = coverageProblem();
    if (problem) { error.show(problem); return; }
    const rows = cleanedRows(items, marks);
    download("cleaned.csv", cleanedCsv(items, marks));
    const t = tally(items, marks);
    exportNote.textContent = `cleaned.csv: ${plural(rows.length, "photo")} (${t.delete} deleted, ${t.relabel} relabelled)` +
      `${match?.missing.length ? `; ${match.missing.length} of them listed but not in the opened photos` : ""}.` +
      (list.on === "all" ? "" : ` The list covers only part of the data set (on: ${list.on ?? "?"}): the other ` +
        `${plural(extras.length, "photo")} come from the opened folder, so make sure it was the whole data folder.`);
    exported("cleaned.csv");
  });
  exportDecisions.addEventListener("click", () => {
    error.clear();
    const listed = items.filter((it) => it.listed);
    const rows = decisionRows(listed, marks);
    const left = tally(items.filter((it) => !it.listed), marks).marked;
    download("decisions.csv", decisionsCsv(listed, marks));
    exportNote.textContent = `decisions.csv: ${plural(rows.length, "decision")}` +
      `${left ? `; ${plural(left, "mark")} on photos outside the list ${left === 1 ? "is" : "are"} only in cleaned.csv` : ""}.`;
    exported("decisions.csv");
  });

  // ------------------------------------------------------------------ inputs
  jsonInput.addEventListener("change", () => {
    const f = jsonInput.files[0];
    jsonInput.value = "";
    if (f) openList(f);
  });
  folderInput.addEventListener("change", () => {
    const files = [...folderInput.files];
    folderInput.value = "";
    addPhotos(files.map((file) => ({ file, path: file.webkitRelativePath || file.name })), { replace: true, how: "folder" });
  });
  photosInput.addEventListener("change", () => {
    const files = [...photosInput.files];
    photosInput.value = "";
    if (files.length) addPhotos(files.map((file) => ({ file, path: file.name })), { replace: false, how: "selection" });
  });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("cln-over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("cln-over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("cln-over");
    filesFromDrop(e.dataTransfer)
      .then(({ entries, folders }) => addPhotos(entries, { replace: folders, how: folders ? "dropped folder" : "drop" }))
      .catch((err) => error.show(`Could not read what was dropped: ${err.message || err}`));
  });

  // Keep nothing alive once the page is left (Material swaps pages without a reload).
  const sub = window.document$?.subscribe?.(() => {
    if (el.isConnected) return;
    grid.releaseUrls();
    sub?.unsubscribe?.();
  });
  window.addEventListener("beforeunload", (e) => {
    if (el.isConnected && unsaved && list && tally(items, marks).marked) e.preventDefault();
  });

  // ------------------------------------------------------------------ restore
  if (!store.available) storageFailed(store.error);
  const last = store.last();
  const saved = last ? store.loadList(last) : null;
  if (saved) {
    try {
      const parsed = parseTopLosses(JSON.stringify(saved.list), saved.name || "top_losses.json");
      const okExtras = Array.isArray(saved.extras)
        ? saved.extras.filter((x) => x && typeof x.file === "string" && typeof x.label === "string") : [];
      restoredFromStorage = true;
      listSaved = true;
      useList(parsed, saved.name || "top_losses.json", { fromStorage: { extras: okExtras, savedAt: saved.savedAt } });
      if (store.available) el.dataset.saved = "yes";
    } catch (err) {
      status.set(`A list saved in this browser could not be read back (${err.message}); open top_losses.json again.`, "error");
    }
  }
}
