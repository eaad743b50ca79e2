"""Regenerate every report committed under docs/assets/reports/ (the one command):

    nice -n 5 python -m training.bears reports                 # all runs, ~10 minutes on 2 CPU cores
    python -m training.bears reports --only lr_too_high        # one of them
    python -m training.bears reports --reuse_default           # keep runs/default as it is
    python -m training.bears reports --publish_only            # redraw + copy the existing runs, train nothing

Every report is one entry of EXPERIMENTS below: its kind (how it runs), the options it
changes from the defaults, and what it shows, a sentence formatted from the resolved
config (so it cannot drift from the numbers). To add one: add an entry, run
`python -m training.bears reports --only NAME`, and point a page at it (README.md).

Runs (each a real training run with its own folder under runs/reports/, then its
publishable files copied to docs/assets/reports/<name>/, plus an index.json):

- default: the default pipeline: `lr-find` (head), `train` with default settings, and
  `interpret --on all` (kept in runs/default/interpret_all/ for `clean`). Writes
  runs/default/model.pt, the checkpoint the ONNX export uses.
- lr_too_high / lr_too_low / too_few_epochs: the lesson's "what can go wrong" runs, made
  cheap by training only the head on the cached body activations (so each takes seconds);
  the numbers are what that head really did.
- lr_min_div10: the head at the finder's other reading, "minimum / 10", for training.md's
  question of which reading to trust (head only, seconds).
- too_many_epochs: overfitting needs a model that can memorise, so this one fine-tunes the
  whole network, on purpose in the setting where that happens fastest: 10 photos per label,
  no augmentation, no dropout or weight decay, 20 epochs. The validation set is the full one.
- unbalanced / unbalanced_oversampled / unbalanced_moderate: grizzly made rare in the training
  split only (RARE_N photos; RARE_MODERATE_N in the moderate one; the other labels and the
  validation set untouched), the head alone on cached activations, without and with oversampling. Per-class recall is in every report's
  interpretation.per_class and in index.json.
- progressive_resizing: 128 px first, then the same model continued at 224 px (progressive.py);
  its index entry compares error rate and training time with the default run's.
- cleaned: the default recipe on the photos with the reviewed decisions applied
  (training/bears/decisions/bears.csv, `train --decisions`); its validation set is the default
  run's minus the deleted photos, with corrected labels, and its index entry compares the two
  runs on the photos both validate on (suspects.before_after).

Not runs, so not in index.json (whose entries are single runs with report.json and history):
- data_size: error rate against training photos per label, validation set fixed (data_size.py)
  -> docs/assets/reports/data_size/data_size.json (+ .png), "kind": "data_size".
- augment: the training transform on drawn pictures (augment_figure.py) -> docs/assets/augment/.
- suspects: every photo ranked for cleaning (suspects.py) -> docs/assets/reports/default/suspects.json,
  the list the cleaner page opens.

Every validation prediction is published: each run's top_losses.json lists all its
validation photos (file, label, pred, prob_pred, prob_label, loss, probs), worst first.

Every run is also judged source-held-out (holdout.py): the same settings trained once per photo
source, validated on the source left out. Its folds and their photo-weighted mean go into the
run's report.json ("holdout") and index.json, beside the random split; settings are chosen by
them. Head-only runs' folds take seconds, unfrozen ones minutes each (--no-folds skips them).
Every report also records the "none of these" rule's thresholds and what it did (decision.py):
bears left unlabelled, and photos with no bear (../shared/data/not_bears, test half: rates
only, never a file name) left unlabelled.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from training import options
from training.bears import report as rep
from training.bears.augment_figure import AugmentConfig, augment_figure
from training.bears.data import DataConfig, read_decisions
from training.bears.data_size import plot_data_size, run_data_size
from training.bears.holdout import run_holdout
from training.bears.interpret import InterpretConfig, run_interpret
from training.bears.lr_finder import LRFindConfig, run_lr_find
from training.bears.progressive import LARGE, SMALL, compare, run_progressive
from training.bears.suspects import SuspectsConfig, before_after, found, suspects
from training.bears.train import TrainConfig, train
from training.options import opt
from training.paths import ROOT, RUNS

DEST = ROOT / "docs" / "assets" / "reports"
DEST_AUGMENT = ROOT / "docs" / "assets" / "augment"
RARE, RARE_N = "grizzly", 10
RARE_MODERATE_N = 40  # about 1:5 against black (182) and teddy (218)
HEAD_ONLY = dict(head_epochs=4, epochs=0)  # the head alone on cached activations: seconds a run
DECISIONS = ROOT / "training" / "bears" / "decisions" / "bears.csv"  # the reviewed cleaning of the lesson's photos

# name -> kind (how it runs), overrides (options changed from the defaults), what (formatted
# with the resolved config's options; {default.X}: the default run's; {finder.X}: the default
# run's lr_find.json). Published in this order.
EXPERIMENTS = {
    "default": {"kind": "pipeline", "overrides": {},
                "what": "The default pipeline: lr-find on the head, {head_epochs} epochs of the head on cached "
                        "activations (max_lr={head_lr:g}), then {epochs} epochs unfrozen with "
                        "lr=slice({lr_lo:g}, {lr_hi:g})."},
    "lr_too_high": {"kind": "train", "overrides": dict(head_lr=10.0, **HEAD_ONLY),
                    "what": "Learning rate far too high: the head alone, max_lr={head_lr:g} (the default run's "
                            "finder has its steepest point at {finder.suggested_lr:.2g}, and the default run trains the "
                            "head at {default.head_lr:g}). The loss jumps around and the validation loss ends far above "
                            "a good run's."},
    "lr_too_low": {"kind": "train", "overrides": dict(head_lr=1e-6, **HEAD_ONLY),
                   "what": "Learning rate far too low: the head alone, max_lr={head_lr:g}. {head_epochs} epochs later "
                           "the error rate has hardly moved from guessing."},
    # the finder's other reading, "minimum / 10" (about 5e-2 on the default curve): does it train as well?
    "lr_min_div10": {"kind": "train", "overrides": dict(head_lr=5e-2, **HEAD_ONLY),
                     "what": "The learning-rate finder's other reading: the head alone, max_lr={head_lr:g}, about "
                             "the finder's minimum divided by 10; the default run trains the head at "
                             "{default.head_lr:g}, near the finder's steepest point."},
    "too_few_epochs": {"kind": "train", "overrides": dict(head_lr=1e-3, head_epochs=1, epochs=0),
                       "what": "Too few epochs: the head alone, max_lr={head_lr:g}, epochs={head_epochs}. Training "
                               "loss is still above validation loss: the model is underfitting."},
    "too_many_epochs": {"kind": "train",
                        "overrides": dict(train_per_label=10, augment=False, bs=8, head_epochs=4, epochs=20,
                                          lr_lo=1e-4, lr_hi=1e-3, head_dropout=0.0, wd=0.0),
                        "what": "Too many epochs: everything unfrozen for {epochs} epochs on {train_per_label} photos "
                                "per label, without augmentation, dropout or weight decay (augment={augment}, "
                                "head_dropout={head_dropout:g}, wd={wd:g}). Training loss goes to almost zero while "
                                "validation loss and error rise above their best epoch's: overfitting."},
    "unbalanced": {"kind": "train", "overrides": dict(train_limit=f"{RARE}={RARE_N}", **HEAD_ONLY),
                   "what": "Unbalanced training data: training photos limited to {train_limit}, the other labels and "
                           "the validation set unchanged; the head alone on cached activations ({head_epochs} epochs, "
                           "max_lr={head_lr:g}), nothing done about the imbalance."},
    "unbalanced_oversampled": {"kind": "train",
                               "overrides": dict(train_limit=f"{RARE}={RARE_N}", oversample=True, **HEAD_ONLY),
                               "what": "The same unbalanced training data ({train_limit}), oversampled: every label "
                                       "drawn equally often in each epoch (the rare photos repeat); the head alone on "
                                       "cached activations ({head_epochs} epochs, max_lr={head_lr:g})."},
    # the lesson's own example ratio (200 of one label, 50 of another): about 1 to 5
    "unbalanced_moderate": {"kind": "train", "overrides": dict(train_limit=f"{RARE}={RARE_MODERATE_N}", **HEAD_ONLY),
                            "what": "Moderately unbalanced training data: training photos limited to {train_limit} "
                                    "(about a fifth of the others, like the lesson's 200 grizzlies and 50 teddies), "
                                    "nothing done about it; the head alone on cached activations ({head_epochs} "
                                    "epochs, max_lr={head_lr:g})."},
    "progressive_resizing": {"kind": "progressive", "overrides": {"small": SMALL, "large": LARGE},
                             "what": "Progressive resizing: the default schedule at {small.size} px ({small.head_epochs} "
                                     "head epochs on cached {small.size} px activations, then {small.epochs} "
                                     "unfrozen), then the same model continued at {large.size} px (train --init, no "
                                     "new head, epochs={large.epochs}), and judged at {large.size} px like the "
                                     "default run."},
    "cleaned": {"kind": "cleaned", "overrides": dict(decisions=str(DECISIONS)),
                "what": "The default recipe ({head_epochs} head epochs at max_lr={head_lr:g}, then {epochs} unfrozen) "
                        "on the cleaned photos: the reviewed decisions of training/bears/decisions/bears.csv applied "
                        "after the split, so it validates on the default run's photos minus the deleted ones, with "
                        "corrected labels."},
    # not runs, so not in index.json: the sweep and the figures describe themselves
    "data_size": {"kind": "data_size", "overrides": {}},
    "augment": {"kind": "augment", "overrides": {}},
    "suspects": {"kind": "suspects", "overrides": {}},
}
NAMES = list(EXPERIMENTS)
NOT_INDEXED = tuple(n for n, e in EXPERIMENTS.items() if e["kind"] in ("data_size", "augment", "suspects"))


@dataclass
class ReportsConfig:
    """Which reports, on which photos (DataConfig: every run's data and split), published where."""

    only: list[str] = opt([], f"run only these ({', '.join(NAMES)})")
    data: DataConfig = field(default_factory=DataConfig)
    dest: str = opt(str(DEST), "where the publishable copies go")
    augment_dest: str = opt(str(DEST_AUGMENT), "where the augmentation figure goes")
    runs: str = opt(str(RUNS), "work folder: runs go to <runs>/default and <runs>/reports/<name>, the cache to <runs>/cache")
    reuse_default: bool = opt(False, "do not retrain the default run: publish runs/default as it is")
    folds: bool = opt(True, "also train every run's source-held-out folds (holdout.py): seconds for head-only "
                        "runs, minutes for each fold of an unfrozen one")
    publish_only: bool = opt(False, "retrain nothing: redraw the figures of the existing run folders and publish them")
    progress: bool = opt(True, "progress bars")


# The recipe every published lesson run was recorded with, before the shipped model's fixes: ImageNet's
# mean/std (the lesson's ResNet statistics; EfficientNet-Lite's weights expect (x-0.5)/0.5), a random new
# head as fastai's learner makes, its max_lr 3e-3 from the finder, no weight-space ensembling. The pages'
# prose is about these runs, so `reports` reproduces them; the shipped model is export/candidates.py's.
LESSON_RECIPE = dict(normalize="imagenet", head_init="random", head_lr=3e-3, wise=1.0)


def base_config(cfg: ReportsConfig, run_dir: Path) -> TrainConfig:
    """The lesson runs' settings (LESSON_RECIPE) on the reports' photos, writing into run_dir."""
    base = TrainConfig(data=cfg.data, out=str(run_dir), progress=cfg.progress, cache=str(Path(cfg.runs) / "cache"))
    return options.replace(base, **LESSON_RECIPE)


def describe(name: str, cfg: TrainConfig, default: TrainConfig, finder: dict | None = None, **more: TrainConfig) -> str:
    """The entry's `what` with its {option} fields filled from the resolved config `cfg`
    ({default.option}: the default run's; {finder.suggested_lr}...: the default run's lr_find.json,
    `finder`; {small.size}...: the configs in `more`)."""
    configs = {"default": default, **more}
    if finder is None and "{finder." in EXPERIMENTS[name]["what"]:
        raise ValueError(f"{name}'s description quotes the default run's lr_find.json, and there is none (neither in "
                         "runs/default/ nor published): run `reports --only default` first")
    return EXPERIMENTS[name]["what"].format(**options.flat(cfg), finder=SimpleNamespace(**(finder or {})),
                                           **{k: SimpleNamespace(**options.flat(c)) for k, c in configs.items()})


def default_json(cfg: ReportsConfig, name: str) -> dict | None:
    """The default run's file `name` (report.json, lr_find.json, ...): the fresh run's, else the
    published one; None when neither exists."""
    for path in (Path(cfg.runs) / "default" / name, Path(cfg.dest) / "default" / name):
        if path.exists():
            return json.loads(path.read_text())
    return None


def annotate(run_dir: Path, name: str, what: str, overrides: dict, **extra) -> dict:
    path = run_dir / "report.json"
    r = json.loads(path.read_text())
    if "train_limit" in overrides:  # say what the limited training set ended up as
        tc, vc = r["data"]["train_counts"], r["data"]["valid_counts"]
        what += (f" Training photos: {', '.join(f'{k} {v}' for k, v in tc.items())}; validation: "
                 f"{', '.join(f'{k} {v}' for k, v in vc.items())}.")
    if "decisions" in overrides:  # say what the decisions changed
        d = r["data"]["decisions"]
        what += (f" {d['reviewed']} photos reviewed: {d['n_deleted']} deleted, {d['n_relabelled']} relabelled "
                 f"({', '.join(f'{k} {v}' for k, v in d['changes'].items())}).")
    r["experiment"] = {"name": name, "what": what, "overrides": overrides, **extra}
    rep.write_json(path, r)
    return r


def run_pipeline(cfg: ReportsConfig, name: str, run_dir: Path) -> dict:
    """lr-find, train, interpret --on all: the default pipeline, timed as a whole. The model it
    trains is the one the site ships, so it is also judged on distant views (train --distant)."""
    base = options.replace(base_config(cfg, run_dir), distant=True)
    if not (cfg.reuse_default or cfg.publish_only):
        lr = run_lr_find(LRFindConfig(train=base))
        train(base)
        t = time.perf_counter()
        run_interpret(InterpretConfig(checkpoint=str(run_dir / "model.pt"), on="all", progress=cfg.progress))
        t_all = round(time.perf_counter() - t, 2)
        r = json.loads((run_dir / "report.json").read_text())
        # lr-find ran first, so it paid for the body activations; train found them cached
        r["timings"] = {"lr_find_features": lr["timings"]["features"], "lr_find": lr["timings"]["lr_find"],
                        **r["timings"], "interpret_all": t_all}
        r["timings"]["pipeline_total"] = round(lr["timings"]["features"] + lr["timings"]["lr_find"]
                                               + r["timings"]["total"] + t_all, 2)
        rep.write_json(run_dir / "report.json", r)
        if cfg.folds:
            run_holdout(base)
    return annotate(run_dir, name, describe(name, base, base), {})


def run_train(cfg: ReportsConfig, name: str, run_dir: Path) -> dict:
    """One train() with the entry's overrides (no thumbnails: nothing with photos is published)."""
    overrides = EXPERIMENTS[name]["overrides"]
    base = base_config(cfg, run_dir)
    run_cfg = options.replace(base, thumbnails=False, **overrides)
    if not cfg.publish_only:
        train(run_cfg)
        if cfg.folds:
            run_holdout(run_cfg)
    return annotate(run_dir, name, describe(name, run_cfg, base, finder=default_json(cfg, "lr_find.json")), overrides)


def run_progressive_resizing(cfg: ReportsConfig, name: str, run_dir: Path) -> dict:
    overrides = EXPERIMENTS[name]["overrides"]
    base = options.replace(base_config(cfg, run_dir), thumbnails=False)
    if not cfg.publish_only:
        run_progressive(base, overrides["small"], overrides["large"])
        if cfg.folds:
            run_holdout(base, runner=lambda c: run_progressive(c, overrides["small"], overrides["large"]))
    default = default_json(cfg, "report.json")
    r = json.loads((run_dir / "report.json").read_text())
    what = describe(name, base, base, small=options.replace(base, **overrides["small"]),
                    large=options.replace(base, **overrides["large"]))
    return annotate(run_dir, name, what, overrides, compare=compare(r, default))


def run_cleaned(cfg: ReportsConfig, name: str, run_dir: Path) -> dict:
    """A train() on the decisions-applied photos, compared with the default run on the photos both validate on."""
    overrides = EXPERIMENTS[name]["overrides"]
    base = base_config(cfg, run_dir)
    run_cfg = options.replace(base, thumbnails=False, **overrides)
    if not cfg.publish_only:
        train(run_cfg)
    raw = default_json(cfg, "top_losses.json")
    cleaned = json.loads((run_dir / "top_losses.json").read_text())
    extra = {"compare": before_after(raw, cleaned)} if raw else {}
    ranked = Path(cfg.dest) / "default" / "suspects.json"
    if ranked.exists():  # how many of the changed photos the ranking put in its top 20, and top losses would have
        extra["found"] = found(json.loads(ranked.read_text())["ranking"], read_decisions(overrides["decisions"]))
    return annotate(run_dir, name, describe(name, run_cfg, base), overrides, **extra)


def run_suspects(cfg: ReportsConfig, name: str, run_dir: Path) -> None:
    """The ranking the cleaner page opens, straight into the default run's published folder."""
    if not cfg.publish_only:
        suspects(SuspectsConfig(data=cfg.data, out=str(Path(cfg.dest) / "default" / "suspects.json"),
                                cache=str(Path(cfg.runs) / "cache"), progress=cfg.progress))


def run_data_size_sweep(cfg: ReportsConfig, name: str, run_dir: Path) -> None:
    if cfg.publish_only:
        plot_data_size(json.loads((run_dir / "data_size.json").read_text()), run_dir / "data_size.png")
    else:
        run_data_size(options.replace(base_config(cfg, run_dir), progress=False))


def run_augment(cfg: ReportsConfig, name: str, run_dir: Path) -> None:
    augment_figure(AugmentConfig(out=cfg.augment_dest))


RUNNERS = {"pipeline": run_pipeline, "train": run_train, "progressive": run_progressive_resizing,
           "cleaned": run_cleaned, "data_size": run_data_size_sweep, "augment": run_augment, "suspects": run_suspects}


def holdout_entry(h: dict | None) -> dict | None:
    """The source-held-out folds as index.json lists them: the mean and each fold's headline numbers."""
    if not h:
        return None
    keep = ("n_valid", "valid_accuracy", "valid_unlabelled", "valid_accuracy_labelled")
    return {"note": h["note"], "mean": h.get("mean"),
            "folds": {g: {k: f[k] for k in keep if k in f} for g, f in h["folds"].items()}}


def index_entry(r: dict) -> dict:
    return {"what": r["experiment"]["what"], "metrics": r["metrics"], "holdout": holdout_entry(r.get("holdout")),
            "timings": r["timings"], "final_epoch": r["history"]["epochs"][-1] if r["history"]["epochs"] else None,
            "per_class": r["interpretation"]["per_class"], "train_counts": r["data"]["train_counts"],
            **({"compare": r["experiment"]["compare"]} if "compare" in r["experiment"] else {})}


def run_reports(cfg: ReportsConfig) -> dict:
    names = cfg.only or NAMES
    unknown = sorted(set(names) - set(NAMES))
    if unknown:
        raise ValueError(f"unknown report(s) {unknown}; choose from {NAMES}")
    index_path = Path(cfg.dest) / "index.json"
    index = json.loads(index_path.read_text()) if index_path.exists() else {}
    for name in names:
        print(f"== {name}")
        kind = EXPERIMENTS[name]["kind"]
        run_dir = Path(cfg.runs) / ("default" if kind == "pipeline" else f"reports/{name}")
        r = RUNNERS[kind](cfg, name, run_dir)
        if kind in ("augment", "suspects"):  # written where they are published
            continue
        if cfg.publish_only and name not in NOT_INDEXED:
            rep.replot(run_dir)
        rep.publish(run_dir, Path(cfg.dest) / name)
        if name not in NOT_INDEXED:
            index[name] = index_entry(r)
    rep.write_json(index_path, {k: index[k] for k in NAMES if k in index and k not in NOT_INDEXED})
    print(f"-> {cfg.dest}")
    return index
