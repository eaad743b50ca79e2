// One yes/no per label: the arithmetic behind the "none of these" answer, with no DOM.
//
// The classifier's head gives one score (logit) per label. Softmax turns the three into
// shares of 1, so it always names a label, even for a photo of a kitchen. Reading each
// logit on its own, against its own threshold, lets every label say "no" (the multi-label
// idea: sigmoid(logit) >= sigmoid(threshold) is the same test as logit >= threshold).
// `decide` is the rule the shipped model runs inside its ONNX graph
// (training/bears/decision.py, class Decide); tests check the two agree photo by photo.
//
// Data (docs/assets/reports/shipped/logits.json, written by training/bears/logits.py):
//   {classes: [...], thresholds: [...], sure, sets: {NAME: {what, targets?: [...], logits: [[...], ...]}}}
// A set without `targets` is photos of none of the labels.

export const sigmoid = (z) => 1 / (1 + Math.exp(-z));

/** Softmax of one row of logits (shifted by its maximum, so large logits do not overflow). */
export function softmax(z) {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

const argmax = (xs) => xs.reduce((best, v, i) => (v > xs[best] ? i : best), 0);

/**
 * The answer for one photo: a label index, K ("none of these") or K + 1 ("not sure").
 * 1. label k is present when z[k] >= thresholds[k]; 2. none present -> K; 3. else the present
 * label with the highest logit, unless softmax gives it less than `sure` -> K + 1.
 */
export function decide(z, thresholds, sure) {
  const k = z.length;
  let top = -1;
  for (let i = 0; i < k; i++) if (z[i] >= thresholds[i] && (top < 0 || z[i] > z[top])) top = i;
  if (top < 0) return k;
  return softmax(z)[top] >= sure ? top : k + 1;
}

/** What the plain softmax head answers: always its top label. */
export const softmaxAnswer = (z) => argmax(z);

const share = (count, n) => (n ? count / n : null);

/**
 * Answers on one set of photos. Bears (targets given): right, wrong, none, unsure (shares of
 * all its photos) and right among those named. Photos of no label: none, unsure, and named
 * (share given any label), with namedAs per label. `answer(z)` is decide's or softmax's.
 */
export function answers(set, answer, nLabels) {
  const codes = set.logits.map(answer);
  const n = codes.length;
  const count = (pred) => codes.filter(pred).length;
  const out = { n, none: share(count((c) => c === nLabels), n), unsure: share(count((c) => c === nLabels + 1), n) };
  out.unlabelled = share(count((c) => c >= nLabels), n);
  if (set.targets) {
    const right = count((c, i) => c === set.targets[i]);
    const named = count((c) => c < nLabels);
    out.right = share(right, n);
    out.wrong = share(named - right, n);
    out.rightAmongNamed = share(right, named);
  } else {
    out.named = share(count((c) => c < nLabels), n);
    out.namedAs = Array.from({ length: nLabels }, (_, k) => share(count((c) => c === k), n));
  }
  return out;
}

/** F-beta from precision and recall: beta > 1 weighs recall more (Kaggle's planet data used F2). */
export function fbeta(precision, recall, beta) {
  if (precision === null || recall === null) return null;
  const b2 = beta * beta;
  const denom = b2 * precision + recall;
  return denom > 0 ? ((1 + b2) * precision * recall) / denom : 0;
}

/**
 * Label k as its own yes/no question over every photo of every set: "yes" when z[k] >= t.
 * A photo's truth is yes when its target is k (photos of no label are all "no").
 * Gives the counts, precision, recall, F-beta, and the accuracy of the yes/no answers.
 */
export function labelQuestion(sets, k, t, beta = 1) {
  let tp = 0, fp = 0, fn = 0, tn = 0;
  for (const set of sets) {
    set.logits.forEach((z, i) => {
      const truth = set.targets ? set.targets[i] === k : false;
      const yes = z[k] >= t;
      if (yes && truth) tp++;
      else if (yes) fp++;
      else if (truth) fn++;
      else tn++;
    });
  }
  const precision = share(tp, tp + fp);
  const recall = share(tp, tp + fn);
  return { tp, fp, fn, tn, precision, recall, f: fbeta(precision, recall, beta), accuracy: share(tp + tn, tp + fp + fn + tn) };
}

/**
 * Accuracy with a threshold (fastai's accuracy_multi): the share of (photo, label) yes/no
 * answers that are right, every label read against its own threshold.
 */
export function accuracyMulti(sets, thresholds) {
  let right = 0, total = 0;
  for (const set of sets) {
    set.logits.forEach((z, i) => {
      z.forEach((v, k) => {
        const truth = set.targets ? set.targets[i] === k : false;
        if ((v >= thresholds[k]) === truth) right++;
        total++;
      });
    });
  }
  return share(right, total);
}

/** Everything the view shows for one choice of thresholds, sure and beta. */
export function explore(data, { thresholds, sure, beta }) {
  const K = data.classes.length;
  const sets = Object.values(data.sets);
  const bySet = {};
  for (const [name, set] of Object.entries(data.sets)) {
    bySet[name] = {
      rule: answers(set, (z) => decide(z, thresholds, sure), K),
      softmax: answers(set, softmaxAnswer, K),
    };
  }
  const labels = data.classes.map((_, k) => labelQuestion(sets, k, thresholds[k], beta));
  return { sets: bySet, labels, accuracyMulti: accuracyMulti(sets, thresholds) };
}

/** The range a label's threshold slider covers: every logit of that label, with a margin. */
export function logitRange(data, k) {
  const vs = Object.values(data.sets).flatMap((set) => set.logits.map((z) => z[k]));
  const lo = Math.min(...vs), hi = Math.max(...vs);
  const pad = 0.05 * (hi - lo || 1);
  return [Math.floor((lo - pad) * 10) / 10, Math.ceil((hi + pad) * 10) / 10];
}

/** Check a logits file: clear messages naming what is wrong, never a half-drawn widget. */
export function checkData(data, file = "logits.json") {
  const fail = (msg) => { throw new Error(`${file}: ${msg}`); };
  if (!data || !Array.isArray(data.classes) || data.classes.length < 2) fail("`classes` must list at least 2 labels");
  const K = data.classes.length;
  const numbers = (xs) => Array.isArray(xs) && xs.length === K && xs.every((v) => typeof v === "number" && Number.isFinite(v));
  if (!numbers(data.thresholds)) fail(`\`thresholds\` must be ${K} finite numbers`);
  if (!(data.sure > 0 && data.sure <= 1)) fail("`sure` must be a probability");
  if (!data.sets || !Object.keys(data.sets).length) fail("`sets` is empty");
  for (const [name, set] of Object.entries(data.sets)) {
    if (!Array.isArray(set.logits) || !set.logits.length) fail(`set ${name}: no logits`);
    const bad = set.logits.findIndex((z) => !numbers(z));
    if (bad >= 0) fail(`set ${name}, photo ${bad}: expected ${K} finite logits`);
    if (set.targets && (set.targets.length !== set.logits.length || !set.targets.every((t) => Number.isInteger(t) && t >= 0 && t < K))) {
      fail(`set ${name}: targets must be one label index (0..${K - 1}) per photo`);
    }
  }
  return data;
}
