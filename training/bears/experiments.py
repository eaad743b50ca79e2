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
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from training.bears import report as rep
from training.bears.config import DEFAULT_BEARS, ROOT, RUNS, opt
from training.bears.train import TrainConfig, train

DEST = ROOT / "docs" / "assets" / "reports"

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
NAMES = ["default", *RUNS_WRONG]


@dataclass
class ReportsConfig:
    only: list[str] = field(default_factory=list, metadata={"help": f"run only these ({', '.join(NAMES)})"})
    data: str = opt(DEFAULT_BEARS, "the photos")
    dest: str = opt(str(DEST), "where the publishable copies go")
    runs: str = opt(str(RUNS), "work folder: runs go to <runs>/default and <runs>/reports/<name>, the cache to <runs>/cache")
    reuse_default: bool = opt(False, "do not retrain the default run: publish runs/default as it is")
    publish_only: bool = opt(False, "retrain nothing: redraw the figures of the existing run folders and publish them")
    progress: bool = opt(True, "progress bars")


def annotate(run_dir: Path, name: str, what: str, overrides: dict) -> dict:
    path = run_dir / "report.json"
    r = json.loads(path.read_text())
    r["experiment"] = {"name": name, "what": what, "overrides": overrides}
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


def run_reports(cfg: ReportsConfig) -> dict:
    names = cfg.only or NAMES
    unknown = sorted(set(names) - set(NAMES))
    if unknown:
        raise ValueError(f"unknown report(s) {unknown}; choose from {NAMES}")
    index_path = Path(cfg.dest) / "index.json"
    index = json.loads(index_path.read_text()) if index_path.exists() else {}
    for name in names:
        print(f"== {name}")
        if name == "default":
            r, run_dir = run_default(cfg), Path(cfg.runs) / "default"
        elif cfg.publish_only:
            run_dir = Path(cfg.runs) / "reports" / name
            r = annotate(run_dir, name, *RUNS_WRONG[name])
        else:
            what, overrides = RUNS_WRONG[name]
            run_dir = Path(cfg.runs) / "reports" / name
            train(dataclasses.replace(TrainConfig(data=cfg.data, out=str(run_dir), progress=cfg.progress,
                                                  cache=str(Path(cfg.runs) / "cache"), thumbnails=False),
                                      **overrides))
            r = annotate(run_dir, name, what, overrides)
        if cfg.publish_only:
            rep.replot(run_dir)
        rep.publish(run_dir, Path(cfg.dest) / name)
        index[name] = {"what": r["experiment"]["what"], "metrics": r["metrics"], "timings": r["timings"],
                       "final_epoch": r["history"]["epochs"][-1] if r["history"]["epochs"] else None}
    rep.write_json(index_path, {k: index[k] for k in NAMES if k in index})
    print(f"-> {cfg.dest}")
    return index
