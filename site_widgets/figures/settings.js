// Every setting of the four training figures in one place: where the recorded
// reports live, which run is the good one, the URL parameter that remembers a
// choice, and the thresholds the drawings and the factual notes use.

export const REPORTS = "assets/reports/"; // relative to the site root
export const INDEX = "index.json"; // {runName: {what, metrics, timings, final_epoch}}

export const BASELINE = "default"; // the good run every other run is compared with

export const URL_PARAM = {
  wrongruns: "run", // /wrong/?run=lr_too_high opens that comparison
};

export const SCALES = {
  logWhenSpanOver: 30, // a loss axis turns logarithmic when max/min exceeds this
  lossFloor: 1e-4, // on a log axis, losses at or below this (exactly 0 happens) sit on the bottom edge
  lrFindHeadroom: 1.25, // lr-find y axis: up to this times the highest smoothed loss
};

export const CHART = {
  lrfind: { height: 280 },
  onecycle: { panelHeight: 150, axisHeight: 34 },
  wrongruns: { height: 190 },
  margin: { top: 14, right: 12, bottom: 34, left: 50 },
  pageStep: 10, // PageUp/PageDown move the cursor by this many points
};

export const LIST_FIRST = 10; // a confusion cell lists this many images, then "Show all"

export const FACTS = {
  riseOverBest: 0.2, // "validation loss rose": final more than 20% above its best epoch
  blowUp: 5, // "the loss blew up": a batch loss more than 5x the first batch's
  lossRatio: 3, // "validation loss is N x the good run's" when at least this
};
