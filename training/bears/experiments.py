"""Regenerate every report committed under docs/assets/reports/ (the one command):

    nice -n 5 python -m training.bears reports                 # all runs, ~10 minutes on 2 CPU cores
    python -m training.bears reports --only lr_too_high        # one of them
    python -m training.bears reports --reuse_default           # keep runs/default as it is
    python -m training.bears reports --publish_only            # redraw + copy the existing runs, train nothing

Runs (each a real training run with its own folder under runs/reports/, then its
publishable files copied to docs/assets/reports/<name>/, plus an index.json):

- default: the default pipeline: `lr-find` (head), `train` with default settings, and
  `interpret --on all` (kept in runs/default/interpret_all/ for `clean`). Writes
  runs/default/model.pt, the checkpoint the ONNX export uses.
- lr_too_high / lr_too_low / too_few_epochs: the lesson's "what can go wrong" runs, made
  cheap by training only the head on the cached body activations (so each takes seconds);
  the numbers are what that head really did.
- too_many_epochs: overfitting needs a model that can memorise, so this one fine-tunes the
  whole network, on purpose in the setting where that happens fastest: 10 photos per label,
  no augmentation, no dropout or weight decay, 20 epochs. The validation set is the full one.
- unbalanced / unbalanced_oversampled: grizzly made rare in the training split only
  (RARE_N photos; the other labels and the validation set untouched), the head alone on
  cached activations, without and with oversampling. Per-class recall is in every report's
  interpretation.per_class and in index.json.
- progressive_resizing: 128 px first, then the same model continued at 224 px (progressive.py);
  its index entry compares error rate and training time with the default run's.

Not runs, so not in index.json (whose entries are single runs with report.json and history):
- data_size: error rate against training photos per label, validation set fixed (data_size.py)
  -> docs/assets/reports/data_size/data_size.json (+ .png), "kind": "data_size".
- augment: the training transform on drawn pictures (augment_figure.py) -> docs/assets/augment/.

Every validation prediction is published: each run's top_losses.json lists all its
validation photos (file, label, pred, prob_pred, prob_label, loss, probs), worst first.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from training.bears import report as rep
from training.bears.augment_figure import AugmentConfig, augment_figure
from training.bears.config import DEFAULT_BEARS, ROOT, RUNS, opt
from training.bears.data_size import plot_data_size, run_data_size
from training.bears.progressive import LARGE, SMALL, compare, load_report, run_progressive
from training.bears.train import TrainConfig, train

DEST = ROOT / "docs" / "assets" / "reports"
DEST_AUGMENT = ROOT / "docs" / "assets" / "augment"
RARE, RARE_N = "grizzly", 10
RARE_MODERATE_N = 40  # about 1:5 against black (182) and teddy (218)

# name -> (what the run shows, TrainConfig overrides)
RUNS_WRONG = {
    "lr_too_high": ("Learning rate far too high: the head alone, max_lr=10 (the finder suggests ~3e-3). "
                    "The loss jumps around and the validation loss ends far above a good run's.",
                    dict(head_lr=10.0, head_epochs=4, epochs=0)),
    "lr_too_low": ("Learning rate far too low: the head alone, max_lr=1e-6. Four epochs later the "
                   "error rate has hardly moved from guessing.",
                   dict(head_lr=1e-6, head_epochs=4, epochs=0)),
    "too_few_epochs": ("Too few epochs: the head alone, one epoch at max_lr=1e-3. Training loss is "
                       "still above validation loss: the model is underfitting.",
                       dict(head_lr=1e-3, head_epochs=1, epochs=0)),
    "too_many_epochs": ("Too many epochs: everything unfrozen for 20 epochs on 10 photos per label, "
                        "without augmentation, dropout or weight decay. Training loss goes to almost "
                        "zero while validation loss and error rise above their best epoch's: overfitting.",
                        dict(train_per_label=10, augment=False, bs=8, head_epochs=4, epochs=20,
                             lr_lo=1e-4, lr_hi=1e-3, head_dropout=0.0, wd=0.0)),
}
RUNS_DATA = {
    "unbalanced": (f"Unbalanced training data: {RARE} limited to {RARE_N} training photos, the other labels and the "
                   "validation set unchanged; the head alone on cached activations (4 epochs, max_lr=0.003), "
                   "nothing done about the imbalance.",
                   dict(train_limit=f"{RARE}={RARE_N}", head_epochs=4, epochs=0)),
    "unbalanced_oversampled": (f"The same unbalanced training data ({RARE} limited to {RARE_N} training photos), "
                               "oversampled: every label drawn equally often in each epoch (the rare photos repeat); "
                               "the head alone on cached activations (4 epochs, max_lr=0.003).",
                               dict(train_limit=f"{RARE}={RARE_N}", oversample=True, head_epochs=4, epochs=0)),
    # the lesson's own example ratio (200 of one label, 50 of another): about 1 to 5
    "unbalanced_moderate": (f"Moderately unbalanced training data: {RARE} limited to {RARE_MODERATE_N} training photos "
                            "(about a fifth of the others, like the lesson's 200 grizzlies and 50 teddies), nothing "
                            "done about it; the head alone on cached activations (4 epochs, max_lr=0.003).",
                            dict(train_limit=f"{RARE}={RARE_MODERATE_N}", head_epochs=4, epochs=0)),
}
SINGLE = {**RUNS_WRONG, **RUNS_DATA}  # one train() each
PROGRESSIVE = (f"Progressive resizing: the default schedule at {SMALL['size']} px (4 head epochs on cached "
               f"{SMALL['size']} px activations, then 2 unfrozen), then the same model continued at "
               f"{LARGE['size']} px for {LARGE['epochs']} unfrozen epoch (train --init, no new head), and judged at "
               f"{LARGE['size']} px like the default run.")
NAMES = ["default", *SINGLE, "progressive_resizing", "data_size", "augment"]
NOT_INDEXED = ("data_size", "augment")


@dataclass
class ReportsConfig:
    only: list[str] = field(default_factory=list, metadata={"help": f"run only these ({', '.join(NAMES)})"})
    data: str = opt(DEFAULT_BEARS, "the photos")
    dest: str = opt(str(DEST), "where the publishable copies go")
    augment_dest: str = opt(str(DEST_AUGMENT), "where the augmentation figure goes")
    runs: str = opt(str(RUNS), "work folder: runs go to <runs>/default and <runs>/reports/<name>, the cache to <runs>/cache")
    reuse_default: bool = opt(False, "do not retrain the default run: publish runs/default as it is")
    publish_only: bool = opt(False, "retrain nothing: redraw the figures of the existing run folders and publish them")
    progress: bool = opt(True, "progress bars")


def annotate(run_dir: Path, name: str, what: str, overrides: dict, **extra) -> dict:
    path = run_dir / "report.json"
    r = json.loads(path.read_text())
    if "train_limit" in overrides:  # say what the limited training set ended up as
        tc, vc = r["data"]["train_counts"], r["data"]["valid_counts"]
        what += (f" Training photos: {', '.join(f'{k} {v}' for k, v in tc.items())}; validation: "
                 f"{', '.join(f'{k} {v}' for k, v in vc.items())}.")
    r["experiment"] = {"name": name, "what": what, "overrides": overrides, **extra}
    rep.write_json(path, r)
    return r


def run_default(cfg: ReportsConfig) -> dict:
    from training.bears.interpret import InterpretConfig, run_interpret
    from training.bears.lr_finder import LRFindConfig, run_lr_find

    out = Path(cfg.runs) / "default"
    cache = str(Path(cfg.runs) / "cache")
    if not (cfg.reuse_default or cfg.publish_only):
        lr = run_lr_find(LRFindConfig(data=cfg.data, out=str(out), progress=cfg.progress, cache=cache))
        train(TrainConfig(data=cfg.data, out=str(out), progress=cfg.progress, cache=cache))
        t = time.perf_counter()
        run_interpret(InterpretConfig(checkpoint=str(out / "model.pt"), on="all", progress=cfg.progress))
        t_all = round(time.perf_counter() - t, 2)
        r = json.loads((out / "report.json").read_text())
        # lr-find ran first, so it paid for the body activations; train found them cached
        r["timings"] = {"lr_find_features": lr["timings"]["features"], "lr_find": lr["timings"]["lr_find"],
                        **r["timings"], "interpret_all": t_all}
        r["timings"]["pipeline_total"] = round(lr["timings"]["features"] + lr["timings"]["lr_find"]
                                               + r["timings"]["total"] + t_all, 2)
        rep.write_json(out / "report.json", r)
    d = TrainConfig()
    return annotate(out, "default", f"The default pipeline: lr-find on the head, {d.head_epochs} epochs of the head "
                    f"on cached activations (max_lr={d.head_lr:g}), then {d.epochs} epochs unfrozen with "
                    f"lr=slice({d.lr_lo:g}, {d.lr_hi:g}).", {})


def run_progressive_resizing(cfg: ReportsConfig, run_dir: Path) -> dict:
    if not cfg.publish_only:
        run_progressive(TrainConfig(data=cfg.data, out=str(run_dir), progress=cfg.progress,
                                    cache=str(Path(cfg.runs) / "cache"), thumbnails=False))
    default = load_report(Path(cfg.runs) / "default" / "report.json") or load_report(Path(cfg.dest) / "default" / "report.json")
    r = json.loads((run_dir / "report.json").read_text())
    return annotate(run_dir, "progressive_resizing", PROGRESSIVE, {"small": SMALL, "large": LARGE},
                    compare=compare(r, default))


def run_data_size_sweep(cfg: ReportsConfig, run_dir: Path) -> None:
    if cfg.publish_only:
        plot_data_size(json.loads((run_dir / "data_size.json").read_text()), run_dir / "data_size.png")
    else:
        run_data_size(TrainConfig(data=cfg.data, out=str(run_dir), progress=False,
                                  cache=str(Path(cfg.runs) / "cache")))


def index_entry(r: dict) -> dict:
    return {"what": r["experiment"]["what"], "metrics": r["metrics"], "timings": r["timings"],
            "final_epoch": r["history"]["epochs"][-1] if r["history"]["epochs"] else None,
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
        run_dir = Path(cfg.runs) / ("default" if name == "default" else f"reports/{name}")
        if name == "augment":
            augment_figure(AugmentConfig(out=cfg.augment_dest))
            continue
        if name == "data_size":
            run_data_size_sweep(cfg, run_dir)
            rep.publish(run_dir, Path(cfg.dest) / name)
            continue
        if name == "default":
            r = run_default(cfg)
        elif name == "progressive_resizing":
            r = run_progressive_resizing(cfg, run_dir)
        elif cfg.publish_only:
            r = annotate(run_dir, name, *SINGLE[name])
        else:
            what, overrides = SINGLE[name]
            train(dataclasses.replace(TrainConfig(data=cfg.data, out=str(run_dir), progress=cfg.progress,
                                                  cache=str(Path(cfg.runs) / "cache"), thumbnails=False),
                                      **overrides))
            r = annotate(run_dir, name, what, overrides)
        if cfg.publish_only:
            rep.replot(run_dir)
        rep.publish(run_dir, Path(cfg.dest) / name)
        index[name] = index_entry(r)
    rep.write_json(index_path, {k: index[k] for k in NAMES if k in index and k not in NOT_INDEXED})
    print(f"-> {cfg.dest}")
    return index
