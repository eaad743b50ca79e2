// Reading the model's output, with no DOM: rank the labels and decide whether the
// prediction is clear enough to state. The one place the rule lives: the view shows what
// decide() returns, and the rule's parameters come from the model's manifest.
//
// The rule for "uncertain": the top label must get at least two thirds of the
// probability, i.e. it must be at least twice as likely as all the other
// labels together. Softmax always sums to 1, so a photo of something that is
// not a bear still gets a winner; when it is not a clear winner we say so.
// (It is a weak signal: a network can be confidently wrong about things it has
// never seen. The lesson page explains this.)
//
// A manifest may set the threshold: {"decision": {"clear_win": 0.75}}. A later model with a
// "none of these" answer adds its parameters there and its branch here, nowhere else.

// --8<-- [start:rule]
export const CLEAR_WIN = 2 / 3;
// --8<-- [end:rule]

/** The rule's parameters from a manifest (defaults where it says nothing). */
export function ruleFrom(manifest) {
  const d = (manifest && manifest.decision) || {};
  const clearWin = Number.isFinite(d.clear_win) ? d.clear_win : CLEAR_WIN;
  return { clearWin };
}

/** labels + probabilities -> [{label, p, index}] sorted by p, highest first. */
export function rank(labels, probs) {
  if (labels.length !== probs.length) throw new Error(`${probs.length} outputs for ${labels.length} labels`);
  return labels.map((label, index) => ({ label, p: Number(probs[index]), index })).sort((a, b) => b.p - a.p);
}

/** True when no label clearly wins (top probability below the threshold). */
export function isUncertain(probs, threshold = CLEAR_WIN) {
  return Math.max(...Array.from(probs, Number)) < threshold;
}

export const pct = (p) => `${(100 * p).toFixed(1)}%`;

/**
 * probabilities + manifest -> {ranked, top, uncertain, verdict}: what to say about them.
 * `verdict` is the sentence the page shows.
 */
export function decide(probs, manifest) {
  const { clearWin } = ruleFrom(manifest);
  const ranked = rank(manifest.labels, probs);
  const top = ranked[0];
  const uncertain = top.p < clearWin;
  const verdict = uncertain
    ? `Uncertain: no label clearly wins (the best, ${top.label}, has ${pct(top.p)}; a clear winner needs ` +
      `${Math.round(100 * clearWin)}%). This is what photos of none of its labels ` +
      `(${manifest.labels.join(", ")}) tend to give.`
    : `${top.label} (${pct(top.p)})`;
  return { ranked, top, uncertain, verdict, clearWin };
}

