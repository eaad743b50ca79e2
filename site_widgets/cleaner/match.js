// Which opened file is which listed photo (no DOM).
//
// The list names photos relative to the data folder ("black/x.jpg"). What the browser
// gives depends on how the reader opened them:
//   folder picker, data folder     "bears/black/x.jpg"        (webkitRelativePath)
//   folder picker, parent folder   "data/bears/black/x.jpg"
//   folder picker, a label folder  "black/x.jpg"
//   plain file selection / drop    "x.jpg"                    (no folder at all)
// A file matches the listed photo that its longest path suffix names uniquely, unless the
// two paths go on and differ beyond that suffix (bears/black/x.jpg is not grizzly/x.jpg). A plain
// selection comes from one folder (a file dialog shows one folder at a time), so when its
// unambiguous names all sit in one label folder, the rest of that batch is read as being
// in it too: that resolves names that exist in two label folders, and labels new photos.
//
// The data folder inside the opened paths ("root": "bears/" above) is the prefix most
// matches share. Images under it, in a label folder, that the list does not name are
// "extras": training would read them (ImageFolder layout), so they belong in cleaned.csv.

import { normalisePath } from "./toplosses.js";

// As training/bears/images.py IMAGE_EXTS: what training reads as an image.
export const IMAGE_EXTS = [".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff"];

export function isImageName(path) {
  const name = path.slice(path.lastIndexOf("/") + 1).toLowerCase();
  return !name.startsWith(".") && IMAGE_EXTS.some((e) => name.endsWith(e));
}

const segs = (p) => normalisePath(p).split("/").filter((s) => s && s !== ".");

/**
 * listed: file names of the list; picked: [{path, batch}] (batch: which selection it came
 * from; plain selections have paths without folders). Returns indexes into `picked`:
 *   matched: Map(listed file -> picked index)
 *   extras: [{file, label, index}]  images in a label folder of the data folder, not listed
 *   missing: listed files not opened
 *   nonImages, ambiguous, outside (images not in a label folder under the data folder),
 *   duplicates (a second copy of a matched photo): arrays of picked indexes
 *   root: the data folder's path in the opened paths ("" = the paths start at the labels), or null
 */
export function matchFiles(listed, picked) {
  const suffixes = new Map(); // "x.jpg", "black/x.jpg", ... -> listed files ending so
  for (const file of listed) {
    const s = segs(file);
    for (let i = 0; i < s.length; i++) {
      const key = s.slice(i).join("/");
      if (!suffixes.has(key)) suffixes.set(key, []);
      suffixes.get(key).push(file);
    }
  }
  const paths = picked.map((p) => segs(p.path));
  const nonImages = [];
  const images = [];
  paths.forEach((s, i) => (isImageName(s.join("/")) ? images : nonImages).push(i));
  placePlainBatches(images, picked, paths, suffixes);

  const candidates = []; // {index, file, prefix (null if the path is shorter than the listed name)}
  const ambiguous = [];
  const unmatched = [];
  for (const i of images) {
    const s = paths[i];
    let found = false;
    for (let k = 0; k < s.length; k++) {
      const hits = suffixes.get(s.slice(k).join("/"));
      if (!hits) continue;
      // The longest shared suffix. If both paths go on beyond it, they part there
      // ("bears/black/x.jpg" is not "grizzly/x.jpg"): no match.
      const full = hits.length === 1 && segs(hits[0]).length === s.length - k;
      if (!full && k > 0) break;
      if (hits.length > 1) ambiguous.push(i);
      else candidates.push({ index: i, file: hits[0], prefix: full ? s.slice(0, k).join("/") : null });
      found = true;
      break;
    }
    if (!found) unmatched.push(i);
  }

  const root = commonest(candidates.map((c) => c.prefix).filter((p) => p !== null));
  const matched = new Map();
  const duplicates = [];
  // A photo opened twice (two copies under a parent folder): the copy in the data folder wins.
  const ranked = [...candidates].sort((a, b) => (b.prefix === root) - (a.prefix === root));
  for (const c of ranked) {
    if (matched.has(c.file)) duplicates.push(c.index);
    else matched.set(c.file, c.index);
  }

  const extras = [];
  const outside = [];
  const rootSegs = root === null ? null : segs(root);
  const taken = new Set(listed);
  for (const i of unmatched) {
    const s = paths[i];
    const under = rootSegs !== null && rootSegs.every((x, j) => s[j] === x);
    const rel = under ? s.slice(rootSegs.length) : null;
    if (rel && rel.length === 2 && !taken.has(rel.join("/"))) {
      taken.add(rel.join("/"));
      extras.push({ file: rel.join("/"), label: rel[0], index: i });
    } else if (rel && rel.length === 2) duplicates.push(i);
    else outside.push(i);
  }
  extras.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const missing = listed.filter((f) => !matched.has(f));
  return { matched, extras, missing, nonImages, ambiguous, outside, duplicates, root };
}

/** Give each plain selection (paths without a folder) the one label folder its unambiguous
 *  names point to, by rewriting `paths` in place ("x.jpg" -> "black/x.jpg"). */
function placePlainBatches(images, picked, paths, suffixes) {
  const batches = new Map();
  for (const i of images) {
    if (paths[i].length !== 1) continue;
    const b = picked[i].batch ?? "plain";
    if (!batches.has(b)) batches.set(b, []);
    batches.get(b).push(i);
  }
  for (const members of batches.values()) {
    const folders = new Set();
    for (const i of members) {
      const hits = suffixes.get(paths[i][0]);
      if (hits && hits.length === 1) {
        const s = segs(hits[0]);
        folders.add(s.slice(0, -1).join("/"));
      }
    }
    if (folders.size !== 1) continue;
    const [folder] = folders;
    if (!folder) continue;
    for (const i of members) paths[i] = [...segs(folder), paths[i][0]];
  }
}

function commonest(values) {
  if (!values.length) return null;
  const count = new Map();
  for (const v of values) count.set(v, (count.get(v) || 0) + 1);
  // most matches first; on a tie the shorter prefix (closer to the labels)
  return [...count].sort((a, b) => b[1] - a[1] || a[0].length - b[0].length)[0][0];
}
