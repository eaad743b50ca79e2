// Plain statements about a run, read off its numbers, for the "what goes wrong"
// comparison: each is a fact with the numbers in it, never a guess. No DOM.

import { fmtLoss, fmtPct } from "./format.js";
import { FACTS } from "./settings.js";

/**
 * run / baseline: {summary: runList() entry, epochs: epochSeries(), batches: scheduleSeries(),
 * confusion: confusionCells() or null}
 */
export function runFacts(run, baseline) {
  const out = [];
  const fin = run.summary.final || {};
  const m = run.summary.metrics || {};

  if (Number.isFinite(fin.train_loss) && Number.isFinite(fin.valid_loss) && fin.train_loss > fin.valid_loss) {
    out.push(`At the end, training loss (${fmtLoss(fin.train_loss)}) is above validation loss (${fmtLoss(fin.valid_loss)}): the model does not even fit the data it trains on yet (underfitting).`);
  }

  const valid = run.epochs.filter((e) => e.valid_loss !== null);
  if (valid.length > 1) {
    const best = valid.reduce((a, b) => (b.valid_loss < a.valid_loss ? b : a));
    const last = valid[valid.length - 1];
    if (last.valid_loss > best.valid_loss * (1 + FACTS.riseOverBest)) {
      out.push(`Validation loss was lowest (${fmtLoss(best.valid_loss)}) after epoch ${best.n} and ended at ${fmtLoss(last.valid_loss)}, while training loss kept falling to ${fmtLoss(fin.train_loss)} (overfitting).`);
    }
  }

  const losses = run.batches ? run.batches.rows.map((r) => r.loss) : [];
  const first = losses.find((v) => v !== null);
  const max = Math.max(...losses.filter((v) => v !== null));
  if (first && max > FACTS.blowUp * first) {
    out.push(`Batch losses jump as high as ${fmtLoss(max)} (the first batch's was ${fmtLoss(first)}): the steps are too big.`);
  }
  if (run.batches && run.batches.diverged) {
    out.push(`${run.batches.diverged} batch loss${run.batches.diverged > 1 ? "es were" : " was"} not a number: training diverged (gaps in the line).`);
  }

  const base = baseline.summary.metrics || {};
  if (Number.isFinite(m.valid_loss) && Number.isFinite(base.valid_loss) && m.valid_loss > FACTS.lossRatio * base.valid_loss) {
    out.push(`Validation loss ${fmtLoss(m.valid_loss)} is ${Math.round(m.valid_loss / base.valid_loss)}× the good run's (${fmtLoss(base.valid_loss)}), with error rate ${fmtPct(m.valid_error_rate)} against ${fmtPct(base.valid_error_rate)}.`);
  }

  const cm = run.confusion;
  if (cm && cm.n && Number.isFinite(m.valid_error_rate)) {
    const commonest = cm.rows.reduce((a, b) => (b.total > a.total ? b : a));
    const guessError = 1 - commonest.total / cm.n;
    if (m.valid_error_rate > guessError / 2) {
      out.push(`Error rate ${fmtPct(m.valid_error_rate)}: always answering “${commonest.actual}”, the commonest label, would be ${fmtPct(guessError)} wrong.`);
    }
  }
  return out;
}
