// Every setting of the SGD widget in one place: defaults, choices, limits, and the
// URL parameter that keeps a reader's choice (sgd/?lr=1.5&batch=10&mom=0.9 opens with those).
// Defaults match the run recorded by `python -m training.sgd_linear --site docs/assets/sgd`
// (fit.json, momentum.json), so the widget can play that recording while Python loads.

export const SETTINGS = {
  lr: { label: "Learning rate", param: "lr", default: 0.1, choices: [0.001, 0.003, 0.01, 0.03, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0, 1.1, 1.5, 2] },
  batch_size: { label: "Batch size", param: "batch", default: 0, choices: [1, 2, 5, 10, 20, 50, 0], format: (v) => (v === 0 ? "all" : String(v)) },
  steps: { label: "Steps", param: "steps", default: 100, choices: [10, 20, 50, 100, 200, 500, 1000] },
  // Shown only where the page asks for it (data-momentum): the schedules page's update() has its own.
  momentum: { label: "Momentum", param: "mom", default: 0, choices: [0, 0.5, 0.8, 0.9, 0.95], optional: true },
};

/** The settings a widget shows: every one, but momentum only where the page asks for it. */
export const settingKeys = ({ momentum = false } = {}) =>
  Object.keys(SETTINGS).filter((key) => !SETTINGS[key].optional || (key === "momentum" && momentum));

export const PLAYBACK = {
  stepsPerSecond: 30, // animation speed: 100 steps in just over 3 s
  runTimeoutMs: 3000, // a run of the reader's code longer than this is stopped (endless loop)...
  slowMachineFactor: 6, // ...unless this machine needs more: this many times what the lesson's
  //                       update() takes here for the same settings (measured when Python starts)
  divergedLoss: 1e6, // above this the readout warns that the loss is exploding
  maxText: 20000, // characters of an error or of printed output shown (Python caps them too)
  approachMargin: "100% 0px", // Python starts loading when the widget is within a screen's height of the view
  maxUrlCode: 1200, // edited code up to this many characters is kept in the address (?code=)
};

export const DEFAULTS = Object.fromEntries(Object.entries(SETTINGS).map(([k, s]) => [k, s.default]));
export const SEED = 42; // the recording's seed: the same mini-batches as the PyTorch run
export const CODE = "assets/widgets/linfit/update.py"; // the editor's code when the page names none
export const WORKER = "linfit/worker.js"; // site_widgets/ path of the Python worker
