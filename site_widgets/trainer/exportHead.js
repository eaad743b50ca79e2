// What the reader takes away (no DOM): the trained head as JSON the Python pipeline can
// load, and cleaned.csv.
//
// head.json ("lesson2-head/1"): labels; n_features; weight (one row of n_features per
// label) and bias, the float32 values of the browser's head, so in PyTorch
//   lin = nn.Linear(n_features, len(labels)); lin.weight = weight; lin.bias = bias
//   probabilities = softmax(lin(activations))
// gives the page's numbers; `body` says which activations those are (the body model's
// file and SHA-256, arch, preprocessing, input and feature output, from its manifest);
// `training` and `metrics` say how it was trained and how it did.
//
// cleaned.csv: file,label, the format training/bears/data.py's items_from_csv reads
// (python -m training.bears train --data cleaned.csv --csv_root <the folder you opened>).

import { toCsv } from "../common/csv.js";
import { pyCompare } from "./pystr.js";

export const HEAD_FORMAT = "lesson2-head/1";
const BODY_FIELDS = ["model", "sha256", "arch", "preprocess", "input", "features"];

/** The head as a JSON-ready object. body: the body model's manifest. */
export function headJson({ head, labels, body, training = {}, metrics = {} }) {
  if (labels.length !== head.nLabels) throw new Error(`${labels.length} labels for a head with ${head.nLabels} outputs`);
  for (const f of ["sha256", "preprocess"]) {
    if (body?.[f] == null) throw new Error(`the body's manifest has no ${f}: the head could not be matched to its activations`);
  }
  const F = head.nFeatures;
  return {
    format: HEAD_FORMAT,
    labels: [...labels],
    n_features: F,
    weight: labels.map((_, c) => Array.from(head.weight.subarray(c * F, (c + 1) * F))),
    bias: Array.from(head.bias),
    body: Object.fromEntries(BODY_FIELDS.filter((f) => body[f] !== undefined).map((f) => [f, body[f]])),
    training,
    metrics,
  };
}

/** A head back from head.json (the page's "use my model" after a reload). */
export function headFromJson(json) {
  if (json?.format !== HEAD_FORMAT) throw new Error(`not a ${HEAD_FORMAT} file (format: ${json?.format})`);
  const { labels, n_features: F, weight, bias } = json;
  if (weight.length !== labels.length || bias.length !== labels.length || weight.some((r) => r.length !== F)) {
    throw new Error(`head.json: weight must be ${labels.length} rows of ${F} and bias ${labels.length} values`);
  }
  return { nFeatures: F, nLabels: labels.length, weight: Float32Array.from(weight.flat()), bias: Float32Array.from(bias) };
}

/** cleaned.csv from [{file, label}] (deleted photos already out), sorted by file as Python sorts. */
export function cleanedCsv(rows) {
  const sorted = [...rows].sort((a, b) => pyCompare(a.file, b.file));
  return toCsv(["file", "label"], sorted.map((r) => [r.file, r.label]));
}
