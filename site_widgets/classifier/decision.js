// Reading the model's output, with no DOM: rank the labels and decide whether
// the prediction is clear enough to state.
//
// The rule for "uncertain": the top label must get at least two thirds of the
// probability, i.e. it must be at least twice as likely as all the other
// labels together. Softmax always sums to 1, so a photo of something that is
// not a bear still gets a winner; when it is not a clear winner we say so.
// (It is a weak signal: a network can be confidently wrong about things it has
// never seen. The lesson page explains this.)

// --8<-- [start:rule]
export const CLEAR_WIN = 2 / 3;
// --8<-- [end:rule]

/** labels + probabilities -> [{label, p, index}] sorted by p, highest first. */
export function rank(labels, probs) {
  if (labels.length !== probs.length) throw new Error(`${probs.length} outputs for ${labels.length} labels`);
  return labels.map((label, index) => ({ label, p: Number(probs[index]), index })).sort((a, b) => b.p - a.p);
}

/** True when no label clearly wins (top probability below CLEAR_WIN). */
export function isUncertain(probs, threshold = CLEAR_WIN) {
  return Math.max(...Array.from(probs, Number)) < threshold;
}

/** Nearest-rank percentile of a list of numbers (q in 0..100). */
export function percentile(xs, q) {
  const s = Array.from(xs).sort((a, b) => a - b);
  const k = Math.max(0, Math.min(s.length - 1, Math.ceil((q / 100) * s.length) - 1));
  return s[k];
}
