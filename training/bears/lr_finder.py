"""The learning-rate finder (Leslie Smith's LR range test, as in fastai's lr_find).

Train for `num_it` mini-batches while the lr grows exponentially from `start_lr`
to `end_lr`; record the loss after each step, smooth it (exponential moving
average with bias correction), stop once it clearly diverges, and put the weights
back exactly as they were. The suggested lr is where the smoothed loss falls
fastest (the steepest downward slope against log(lr)), before its minimum; the
lesson's other rule of thumb, "the minimum divided by 10", is reported too.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Iterable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


# --8<-- [start:lr_find]
def lr_find(model: nn.Module, batches: Iterable, params=None, loss_fn=F.cross_entropy,
            start_lr: float = 1e-7, end_lr: float = 10.0, num_it: int = 200, beta: float = 0.98,
            stop_div: bool = True, div_factor: float = 4.0, wd: float = 0.01, freeze_bn: bool = False) -> dict:
    """Run the range test on `model` with mini-batches from `batches` (cycled as needed)."""
    saved = copy.deepcopy(model.state_dict())
    was_training = model.training
    params = [p for p in (params if params is not None else model.parameters()) if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=start_lr, betas=(0.9, 0.99), weight_decay=wd)
    mult = (end_lr / start_lr) ** (1 / max(num_it - 1, 1))
    lrs, losses, smoothed = [], [], []
    avg, best, stopped = 0.0, math.inf, "reached end_lr"
    it = iter(batches)
    model.train()
    if freeze_bn:  # as in training: BatchNorm keeps its ImageNet statistics
        for mod in model.modules():
            if isinstance(mod, nn.modules.batchnorm._BatchNorm):
                mod.eval()
    try:
        for i in range(num_it):
            lr = start_lr * mult**i
            for g in opt.param_groups:
                g["lr"] = lr
            try:
                xb, yb = next(it)
            except StopIteration:  # an epoch ended: start another one
                it = iter(batches)
                xb, yb = next(it)
            loss = loss_fn(model(xb), yb)
            if not torch.isfinite(loss):
                stopped = f"loss became {loss.item()} at lr={lr:.2e}"
                break
            opt.zero_grad()
            loss.backward()
            opt.step()
            avg = beta * avg + (1 - beta) * loss.item()
            smooth = avg / (1 - beta ** (i + 1))  # bias correction: early values are not pulled to 0
            lrs.append(lr)
            losses.append(loss.item())
            smoothed.append(smooth)
            best = min(best, smooth)
            if stop_div and i > 10 and smooth > div_factor * best:
                stopped = f"smoothed loss passed {div_factor:g}x its minimum at lr={lr:.2e}"
                break
    finally:
        model.load_state_dict(saved)  # the range test must not change the model
        model.train(was_training)
    return {"lrs": lrs, "losses": losses, "smoothed": smoothed, "stopped": stopped,
            **suggest(lrs, smoothed)}
# --8<-- [end:lr_find]


# --8<-- [start:suggest]
def suggest(lrs: list[float], smoothed: list[float], skip_start: int = 10) -> dict:
    """Steepest descent of the smoothed loss (before its minimum), and minimum / 10."""
    if len(lrs) < skip_start + 3:
        return {"suggested_lr": None, "min_lr_div10": None}
    s = np.array(smoothed)
    i_min = int(np.argmin(s))
    lo = min(skip_start, max(i_min - 2, 0))
    hi = max(i_min, lo + 2)
    grad = np.gradient(s[lo:hi + 1], np.log10(np.array(lrs[lo:hi + 1])))
    i_steep = lo + int(np.argmin(grad))
    return {"suggested_lr": float(lrs[i_steep]), "suggested_index": i_steep,
            "min_lr_div10": float(lrs[i_min] / 10), "min_index": i_min}
# --8<-- [end:suggest]


# ---------------------------------------------------------------- the command
from dataclasses import dataclass, replace  # noqa: E402
from pathlib import Path  # noqa: E402

from training.bears.config import DEFAULT_BEARS, RUNS, opt  # noqa: E402


@dataclass
class LRFindConfig:
    data: str = opt(DEFAULT_BEARS, "folder of label folders, or a file,label CSV")
    csv_root: str | None = opt(None, "folder that relative paths in a CSV are read against")
    out: str = opt(str(RUNS / "default"), "run folder: lr_find.json and lr_find.png go here")
    stage: str = opt("head", "'head': the new head on cached body activations (seconds); "
                     "'unfrozen': the whole net on augmented photos after a quick head fit (minutes on a CPU)")
    arch: str = opt("efficientnet_lite0", "backbone")
    size: int = opt(224, "image side")
    valid_pct: float = opt(0.2, "held out (not used by the finder, but kept out of it like in training)")
    seed: int = opt(42, "split and batch-order seed")
    per_label: int = opt(0, "at most this many photos per label (0 = all)")
    bs: int = opt(32, "batch size (use the one you will train with: the best lr depends on it)")
    start_lr: float = opt(1e-7, "first lr: small enough that nothing happens")
    end_lr: float = opt(10.0, "last lr: large enough that the loss explodes")
    num_it: int = opt(0, "mini-batches (0 = 300 for the head, 80 unfrozen)")
    cache: str = opt(str(RUNS / "cache"), "folder for cached body activations ('' = no cache)")
    progress: bool = opt(True, "progress bars")
    fast: bool = opt(False, "tiny run for tests: 10 photos per label at 128 px")


def run_lr_find(cfg: LRFindConfig) -> dict:
    from torch.utils.data import DataLoader, TensorDataset

    from training.bears import report as rep
    from training.bears.data import ImageDataset
    from training.bears.images import train_transform
    from training.bears.model import build_model, layer_groups, set_body_trainable
    from training.bears.train import (ChannelsLast, TrainConfig, body_features, fit_one_cycle, prepare_items,
                                      preprocess_for, resolve)

    if cfg.stage not in ("head", "unfrozen"):
        raise ValueError(f"--stage must be 'head' or 'unfrozen', not {cfg.stage!r}")
    tcfg = resolve(TrainConfig(data=cfg.data, csv_root=cfg.csv_root, arch=cfg.arch, size=cfg.size,
                               valid_pct=cfg.valid_pct, seed=cfg.seed, per_label=cfg.per_label, bs=cfg.bs,
                               fast=cfg.fast, progress=cfg.progress, cache=cfg.cache))
    torch.manual_seed(cfg.seed)
    items, tr_idx, va_idx = prepare_items(tcfg)
    y = torch.tensor([items.classes.index(lab) for lab in items.labels])
    pre = preprocess_for(tcfg)
    model = build_model(cfg.arch, len(items.classes))
    model.body.to(memory_format=torch.channels_last)
    set_body_trainable(model, False)
    t0 = time.perf_counter()
    feats = body_features(model.body, items, pre, key=cfg.arch, cache_dir=Path(tcfg.cache) if tcfg.cache else None,
                          progress=cfg.progress)
    t_features = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    g = torch.Generator().manual_seed(cfg.seed)
    head_dl = DataLoader(TensorDataset(feats[tr_idx], y[tr_idx]), batch_size=tcfg.bs, shuffle=True, generator=g)
    if cfg.stage == "head":
        res = lr_find(model.head, head_dl, start_lr=cfg.start_lr, end_lr=cfg.end_lr, num_it=cfg.num_it or 300)
    else:
        valid_dl = DataLoader(TensorDataset(feats[va_idx], y[va_idx]), batch_size=256)
        fit_one_cycle(model.head, [list(model.head.parameters())], [tcfg.head_lr], tcfg.head_epochs, head_dl,
                      valid_dl, "frozen", {"batches": [], "epochs": []}, tcfg.pct_start, tcfg.wd, cfg.progress)
        set_body_trainable(model, True)
        photos = DataLoader(ImageDataset(items.subset(tr_idx), train_transform(pre)), batch_size=tcfg.bs,
                            shuffle=True, generator=g)
        params = [p for grp in layer_groups(model) for p in grp]
        res = lr_find(ChannelsLast(model), photos, params=params, start_lr=cfg.start_lr, end_lr=cfg.end_lr,
                      num_it=cfg.num_it or 80, freeze_bn=tcfg.freeze_bn)
    out = Path(cfg.out)
    suffix = "" if cfg.stage == "head" else "_unfrozen"
    res = {"stage": cfg.stage, "bs": tcfg.bs, "n_train": len(tr_idx),
           "timings": {"features": t_features, "lr_find": round(time.perf_counter() - t0, 2)}, **res}
    rep.write_json(out / f"lr_find{suffix}.json", res)
    rep.plot_lr_find(res, out / f"lr_find{suffix}.png")
    sug = res["suggested_lr"]
    print(f"lr-find ({cfg.stage}): {len(res['lrs'])} steps, {res['stopped']}; "
          f"steepest descent at lr={sug:.2e}, minimum/10 = {res['min_lr_div10']:.2e}; -> {out}/lr_find{suffix}.png"
          if sug else f"lr-find: too few steps to suggest an lr ({res['stopped']})")
    return res
