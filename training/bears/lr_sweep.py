"""The learning-rate finder, checked: train the head at each learning rate of a grid and record where it ended.

    nice -n 5 python -m training.bears lr-sweep                 # -> docs/assets/reports/lr_sweep/ (minutes: the unfrozen finder)
    nice -n 5 python -m training.bears lr-sweep --no-unfrozen   # the head only (seconds once activations are cached)

The finder (lr_finder.py) runs one short pass while the lr grows and reads a slope off
the loss; it never trains a model to the end. This sweep does: from the same random new
head (the lesson's setting, fastai's new head; seed fixed, so every lr starts from the
same weights, sees the same batches in the same order and the same dropout masks), it
trains the head alone on the cached body activations (features.py) with the default
head stage's one-cycle schedule (loop.py fit_one_cycle: same epochs, batch size,
pct_start, weight decay, dropout), once per max_lr of a log grid, and records each
run's per-batch training loss and per-epoch training loss, validation loss and error
rate. A loss that is not a finite number (the run diverged) is written as null and the
run's record stops there. At the default head_lr the run is the default `train` run's
stage 1, batch for batch.

It is compared with the head finder's recording the training page shows (--finder,
docs/assets/reports/default/lr_find.json, written by `reports` or `lr-find`): rerun the
sweep after `reports`, and after anything that changes the body's activations
(architecture, preprocessing, photos).

Writes into --out:
  sweep.json               the runs, the finder's two readings, the best runs (numbers and file names only)
  lr_find_unfrozen.json / .png  the whole network's finder after the head stage (lr-find
                           --stage unfrozen; minutes on a CPU; --no-unfrozen skips it and
                           keeps an existing one)
The widget site_widgets/lrsweep/ draws them on docs/training.md.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.utils.data import DataLoader, TensorDataset

from training import options
from training.bears import report as rep
from training.bears.data import DataConfig, prepare
from training.bears.experiments import LESSON_RECIPE
from training.bears.features import body_features, body_key
from training.bears.loop import fit_one_cycle, log, train_loader
from training.bears.lr_finder import LRFindConfig, run_lr_find
from training.bears.model import build_model, default_preprocess, set_body_trainable
from training.bears.train import TrainConfig
from training.options import opt
from training.paths import ROOT, RUNS, portable

REPORTS = ROOT / "docs" / "assets" / "reports"
DEST = REPORTS / "lr_sweep"
NEAR_BEST = 1.5  # "near the best run": a final validation loss at most this many times the lowest
LRS = [m * 10.0**e for e in range(-5, 1) for m in (1, 3)] + [10.0]  # 1e-5, 3e-5, ..., 3, 10: half decades


@dataclass
class LRSweepConfig:
    """The sweep (the photos and split: DataConfig); every other setting is the default head stage's."""

    # the published lesson runs' input statistics (experiments.LESSON_RECIPE), so the sweep stays comparable
    # with the default run and its finder that the training page shows
    data: DataConfig = field(default_factory=lambda: DataConfig(normalize=LESSON_RECIPE["normalize"]))
    out: str = opt(str(DEST), "where sweep.json and the finders' recordings go (the site reads this folder)")
    lrs: list[float] = opt(LRS, "max_lr of each run: half-decade steps from 'nothing moves' to 'far too high', "
                           "including the default head_lr so one run is the default run's stage 1")
    bs: int = opt(TrainConfig.bs, "batch size: train's default, so the runs are the default head stage")
    head_epochs: int = opt(TrainConfig.head_epochs, "epochs of each run: train's default head stage")
    pct_start: float = opt(TrainConfig.pct_start, "warm-up share of the cycle: train's default")
    wd: float = opt(TrainConfig.wd, "AdamW weight decay: train's default")
    head_dropout: float = opt(TrainConfig.head_dropout, "dropout before the head's Linear layer: train's default")
    finder: str = opt(str(REPORTS / "default" / "lr_find.json"), "the head finder's recording to compare with: the one "
                      "the training page shows (lr-find on the same data and batch size)")
    unfrozen: bool = opt(True, "also record the whole network's finder (lr-find --stage unfrozen, minutes on a CPU); "
                         "--no-unfrozen keeps the one already in --out")
    cache: str = opt(str(RUNS / "cache"), "folder for cached body activations ('' = no cache)")
    progress: bool = opt(True, "progress bars")


def train_config(cfg: LRSweepConfig) -> TrainConfig:
    """The `train` settings the sweep's runs and finders share (the finders write into --out): the lesson
    runs' recipe (a random head, no WiSE), whatever today's `train` defaults are."""
    recipe = {k: v for k, v in LESSON_RECIPE.items() if k != "normalize"}  # --normalize stays the reader's
    return options.replace(TrainConfig(data=cfg.data, out=cfg.out, bs=cfg.bs, head_epochs=cfg.head_epochs,
                                       pct_start=cfg.pct_start, wd=cfg.wd, head_dropout=cfg.head_dropout,
                                       cache=cfg.cache, progress=cfg.progress), **recipe)


def cut_at_divergence(history: dict) -> bool:
    """Keep the record up to the first non-finite loss (written as null); True if there was one."""
    batches, epochs = history["batches"], history["epochs"]
    bad = next((i for i, b in enumerate(batches) if not math.isfinite(b["loss"])), None)
    if bad is None:
        bad_epoch = next((e["epoch"] for e in epochs if not all(math.isfinite(e[k]) for k in
                                                                ("train_loss", "valid_loss"))), None)
        if bad_epoch is None:
            return False
        history["epochs"] = [e for e in epochs if e["epoch"] <= bad_epoch]
        return True
    history["batches"] = batches[:bad + 1]
    history["epochs"] = [e for e in epochs if e["epoch"] < batches[bad]["epoch"]]
    return True


def one_run(cfg: LRSweepConfig, head, start: dict, rng: torch.Tensor, feats, y, tr_idx, va_idx, lr: float) -> dict:
    """The head from `start` (weights) and `rng` (dropout), trained at max_lr=lr; its record."""
    head.load_state_dict(start)
    torch.set_rng_state(rng)
    g = torch.Generator().manual_seed(cfg.data.seed)  # train() seeds its batch order the same way
    train_dl = train_loader(TensorDataset(feats[tr_idx], y[tr_idx]), y[tr_idx].tolist(), cfg.bs, g)
    valid_dl = DataLoader(TensorDataset(feats[va_idx], y[va_idx]), batch_size=256)
    history: dict = {"batches": [], "epochs": []}
    t0 = time.perf_counter()
    fit_one_cycle(head, [list(head.parameters())], [lr], cfg.head_epochs, train_dl, valid_dl, "frozen", history,
                  cfg.pct_start, cfg.wd, progress=False)
    seconds = round(time.perf_counter() - t0, 3)
    diverged = cut_at_divergence(history)
    last = history["epochs"][-1] if history["epochs"] else None
    return {"lr": lr, "diverged": diverged, "seconds": seconds,
            "batch_loss": [b["loss"] for b in history["batches"]],
            "epochs": [{k: e[k] for k in ("epoch", "train_loss", "valid_loss", "error_rate")} for e in history["epochs"]],
            "final": None if diverged or last is None else
            {"train_loss": last["train_loss"], "valid_loss": last["valid_loss"], "error_rate": last["error_rate"],
             "n_wrong": round(last["error_rate"] * len(va_idx))}}


def best_run(runs: list[dict], key: str) -> dict | None:
    """The run with the lowest final `key` (ties: the lower lr, the gentler choice)."""
    done = [r for r in runs if r["final"] is not None]
    return min(done, key=lambda r: (r["final"][key], r["lr"])) if done else None


def near_best(runs: list[dict], best_loss: float, factor: float = NEAR_BEST) -> dict:
    lrs = [r["lr"] for r in runs if r["final"] and r["final"]["valid_loss"] <= factor * best_loss]
    return {"factor": factor, "lo": min(lrs), "hi": max(lrs), "n": len(lrs)}


def load_finder(cfg: LRSweepConfig, n_train: int) -> tuple[dict, str]:
    """The head finder's recording the sweep is compared with, and its name relative to the
    published reports (a finder from elsewhere is copied beside sweep.json and named there)."""
    path = Path(cfg.finder)
    if not path.is_file():
        raise FileNotFoundError(f"--finder {path}: no such file; run `python -m training.bears lr-find` "
                                f"(or `reports`) on the same data first, or pass its lr_find.json")
    f = json.loads(path.read_text())
    if (f.get("stage"), f.get("bs"), f.get("n_train")) != ("head", cfg.bs, n_train):
        raise ValueError(f"--finder {path} was recorded on the {f.get('stage')} with bs {f.get('bs')} and "
                         f"{f.get('n_train')} training photos; the sweep trains the head with bs {cfg.bs} on "
                         f"{n_train}: run lr-find on the same data and batch size")
    try:
        return f, path.resolve().relative_to(REPORTS.resolve()).as_posix()
    except ValueError:  # not a published report: publish a copy beside the sweep
        rep.write_json(Path(cfg.out) / "lr_find.json", f)
        return f, f"{Path(cfg.out).name}/lr_find.json"


def run_lr_sweep(cfg: LRSweepConfig) -> dict:
    """The sweep beside the head finder's recording, and (--unfrozen) the whole network's finder; writes <out>/sweep.json."""
    lrs = sorted(set(cfg.lrs))
    if not lrs or lrs[0] <= 0:
        raise ValueError(f"--lrs must be positive learning rates, got {cfg.lrs}")
    out = Path(cfg.out)
    tcfg = train_config(cfg)
    t_start = time.perf_counter()
    d = cfg.data
    torch.manual_seed(d.seed)  # as train() and lr-find: the same random new head
    items, tr_idx, va_idx = prepare(d, log)
    finder, finder_name = load_finder(cfg, len(tr_idx))
    y = torch.tensor([items.classes.index(lab) for lab in items.labels])
    pre = default_preprocess(d.arch, d.size)
    model = build_model(d.arch, len(items.classes))
    model.dropout = cfg.head_dropout
    rng = torch.get_rng_state()  # train() draws its dropout masks from here on
    model.body.to(memory_format=torch.channels_last)
    set_body_trainable(model, False)
    feats = body_features(model.body, items, pre, key=body_key(d.arch), progress=cfg.progress,
                          cache_dir=Path(cfg.cache) if cfg.cache else None)
    start = {k: v.clone() for k, v in model.head.state_dict().items()}
    runs, threads = [], torch.get_num_threads()
    torch.set_num_threads(1)  # a 1280 x 3 head: threads only add overhead (and wait on a busy machine)
    try:
        for lr in lrs:
            runs.append(one_run(cfg, model.head, start, rng, feats, y, tr_idx, va_idx, lr))
            f = runs[-1]["final"]
            log(f"lr {lr:.0e}: " + (f"valid loss {f['valid_loss']:.4f}, error rate {f['error_rate']:.4f}" if f
                                   else "diverged"))
    finally:
        torch.set_num_threads(threads)
    seconds = round(time.perf_counter() - t_start, 2)
    if cfg.unfrozen:
        run_lr_find(LRFindConfig(train=options.replace(tcfg, progress=False), stage="unfrozen"))
    res = sweep_record(cfg, finder, finder_name, runs, len(tr_idx), items.subset(va_idx).counts(), seconds)
    rep.write_json(out / "sweep.json", res)
    log(f"best valid loss at lr {res['best']['valid_loss']['lr']:g}, best error rate at "
        f"lr {res['best']['error_rate']['lr']:g}; finder: steepest {finder['suggested_lr']:.2e}, "
        f"minimum/10 {finder['min_lr_div10']:.2e} -> {out}/sweep.json")
    return res


def sweep_record(cfg: LRSweepConfig, finder: dict, finder_name: str, runs: list[dict], n_train: int,
                 valid_counts: dict, seconds: float) -> dict:
    """sweep.json: what was run, the runs, and the finder's two readings beside the sweep's best."""
    steps = math.ceil(n_train / cfg.bs)
    best = {}
    for key in ("valid_loss", "error_rate"):
        r = best_run(runs, key)
        best[key] = {"lr": r["lr"], **r["final"]} if r else None
    sug, div10, b = finder["suggested_lr"], finder["min_lr_div10"], best["valid_loss"]
    unfrozen = Path(cfg.out) / "lr_find_unfrozen.json"
    return {
        "kind": "lr_sweep",
        "what": f"The head alone, trained from the same random new head (fastai's new head, seed {cfg.data.seed}) on "
                f"the cached body activations, once per max_lr of {len(runs)} values from {runs[0]['lr']:g} to "
                f"{runs[-1]['lr']:g}: {cfg.head_epochs} epochs of one cycle each ({steps} batches of {cfg.bs} an "
                f"epoch), as the default head stage; validated on the same {sum(valid_counts.values())} photos.",
        "config": {**options.flat(cfg), "out": portable(cfg.out), "data": portable(cfg.data.data),
                   "csv_root": portable(cfg.data.csv_root), "cache": portable(cfg.cache) if cfg.cache else "",
                   "finder": portable(cfg.finder)},
        "n_train": n_train, "valid_counts": valid_counts, "steps_per_epoch": steps, "seconds": seconds,
        # files named as the site fetches them: relative to docs/assets/reports/
        "finder": {"file": finder_name, "suggested_lr": sug, "min_lr_div10": div10},
        "unfrozen_finder": f"{unfrozen.parent.name}/{unfrozen.name}" if unfrozen.exists() else None,
        "best": best,
        # the lrs whose run ended within NEAR_BEST x the lowest validation loss: how wide "a good lr" is
        "near_best": near_best(runs, b["valid_loss"]) if b else None,
        # how far the finder's two readings sit from the lr whose run ended with the lowest validation loss
        "ratios": {"best_over_steepest": b["lr"] / sug, "min_div10_over_best": div10 / b["lr"]}
        if b and sug and div10 else None,
        "runs": runs,
    }
