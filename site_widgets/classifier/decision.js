// Reading the model's output, with no DOM: rank the labels and say what the model answers.
// The view shows what decide() returns.
//
// A model exported with the "none of these" rule (export/graph.py, training/bears/decision.py)
// gives its answer itself, as a code in its "decision" output: a label's index, "none" (no
// label's score reached its threshold: none of these) or "unsure" (two labels nearly as
// likely). The manifest's `decision` says which code is which and what they mean; the page
// shows that answer and computes nothing, so it cannot disagree with Python
// (`python -m export.predict` reads the same output).
//
// Older models without that output fall back to the softmax rule: the top label must get at
// least `clear_win` (default two thirds) of the probability, else "uncertain". Softmax always
// sums to 1, so that rule cannot say "none of these"; a photo with no bear still gets a winner.

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

/** A decision code -> "none", "unsure" or a label, from the manifest's `decision.codes`. */
export function answerOf(code, manifest) {
  const codes = (manifest.decision && manifest.decision.codes) || {};
  const hit = Object.entries(codes).find(([, c]) => c === code);
  if (!hit) throw new Error(`the model answered code ${code}, which its manifest does not name`);
  return hit[0];
}

/**
 * probabilities + manifest (+ the graph's decision code, if the model has one) ->
 * {ranked, top, answer, uncertain, verdict, short, meaning}. `answer` is a label, "none" or "unsure";
 * `uncertain` is true when no bear is named; `verdict` is the sentence the page shows and
 * `short` its form for a list of photos, `meaning` what a "none"/"unsure" answer means (from the manifest).
 */
export function decide(probs, manifest, code = null) {
  const ranked = rank(manifest.labels, probs);
  const top = ranked[0];
  if (Number.isInteger(code) && manifest.decision && manifest.decision.codes) {
    const answer = answerOf(code, manifest);
    const meaning = (manifest.decision.meaning || {})[answer] || "";
    const named = manifest.labels.includes(answer);
    const p = named ? ranked.find((r) => r.label === answer).p : top.p;
    const short = named ? `${answer} (${pct(p)})`
      : answer === "none" ? "none of these" : `not sure (${ranked[0].label} or ${ranked[1].label}?)`;
    const verdict = named ? short : answer === "none" ? "None of these" : `Not sure: ${ranked[0].label} or ${ranked[1].label}?`;
    return { ranked, top, answer, uncertain: !named, verdict, short, meaning };
  }
  const { clearWin } = ruleFrom(manifest);
  const uncertain = top.p < clearWin;
  const verdict = uncertain
    ? `Uncertain: no label clearly wins (the best, ${top.label}, has ${pct(top.p)}; a clear winner needs ` +
      `${Math.round(100 * clearWin)}%). This is what photos of none of its labels ` +
      `(${manifest.labels.join(", ")}) tend to give.`
    : `${top.label} (${pct(top.p)})`;
  const short = uncertain ? `uncertain (${top.label}?)` : verdict;
  return { ranked, top, answer: uncertain ? "unsure" : top.label, uncertain, verdict, short, meaning: "", clearWin };
}
