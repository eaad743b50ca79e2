"""The learning-rate finder (Leslie Smith's LR range test, as in fastai's lr_find).

Train for `num_it` mini-batches while the lr grows exponentially from `start_lr`
to `end_lr`; record the loss after each step, smooth it (exponential moving
average with bias correction), stop once it clearly diverges, and put the weights
back exactly as they were. The suggested lr is where the smoothed loss falls
fastest (the steepest downward slope against log(lr)), before its minimum; the
lesson's other rule of thumb, "the minimum divided by 10", is reported too.

    python -m training.bears lr-find                    # the head, on cached activations -> runs/default/lr_find.png
    python -m training.bears lr-find --stage unfrozen   # the whole net after a quick head fit (minutes)
    python -m training.bears lr-find --init runs/small/model.pt --size 224   # a trained model, at a new size

The command takes every `train` option, so the range test runs on the data, batch
size and sampling the training will use (the best lr depends on the batch size).
With --init it starts from that checkpoint's body and head instead of ImageNet's body
and a new head: the lesson's progressive resizing re-freezes the body and runs the
finder again at the larger size.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from training import options
from training.bears import report as rep
from training.bears.data import ImageDataset, prepare
from training.bears.features import body_features, body_key
from training.bears.images import train_transform
from training.bears.loop import ChannelsLast, fit_one_cycle, log, loss_function, train_loader
from training.bears.model import default_preprocess, freeze_bn as freeze_batchnorm, layer_groups
from training.bears.model import set_body_trainable
from training.bears.train import TrainConfig, initial_model, resolve
from training.options import opt


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
        freeze_batchnorm(model)
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
@dataclass
class LRFindConfig:
    """The range test (the training it prepares: TrainConfig, DataConfig)."""

    train: TrainConfig = field(default_factory=TrainConfig)
    stage: str = opt("head", "'head': the new head on cached body activations (seconds); "
                     "'unfrozen': the whole net on augmented photos after a quick head fit (minutes on a CPU)")
    start_lr: float = opt(1e-7, "first lr: small enough that nothing happens")
    end_lr: float = opt(10.0, "last lr: large enough that the loss explodes")
    num_it: int = opt(0, "mini-batches (0 = 300 for the head, 80 unfrozen)")


def run_lr_find(cfg: LRFindConfig) -> dict:
    """The range test on the head (or the unfrozen net); writes lr_find[_unfrozen].json/png into --out."""
    if cfg.stage not in ("head", "unfrozen"):
        raise ValueError(f"--stage must be 'head' or 'unfrozen', not {cfg.stage!r}")
    tcfg = resolve(cfg.train)
    d = tcfg.data
    torch.manual_seed(d.seed)
    items, tr_idx, va_idx = prepare(d, log)
    y = torch.tensor([items.classes.index(lab) for lab in items.labels])
    pre = default_preprocess(d.arch, d.size, d.normalize)
    # The head range test starts from a fresh random head, as the lesson's learner does: a head that
    # starts as ImageNet's rows (train --head_init imagenet) is already at its answer (loss near 0),
    # so growing the lr only shows noise. The unfrozen test starts where training's stage 2 does.
    start = options.replace(tcfg, head_init="random") if cfg.stage == "head" else tcfg
    model, init, _ = initial_model(start, items.classes, log)  # --init: the sweep starts from a trained model
    model.body.to(memory_format=torch.channels_last)
    set_body_trainable(model, False)
    t0 = time.perf_counter()
    feats = body_features(model.body, items, pre, key=body_key(d.arch, init.get("body_sha1")),
                          progress=tcfg.progress, cache_dir=Path(tcfg.cache) if tcfg.cache else None)
    t_features = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    g = torch.Generator().manual_seed(d.seed)
    loss_fn = loss_function(tcfg.loss, tcfg.label_smoothing)
    targets = y[tr_idx].tolist()
    head_dl = train_loader(TensorDataset(feats[tr_idx], y[tr_idx]), targets, tcfg.bs, g, tcfg.oversample, d.seed)
    if cfg.stage == "head":
        res = lr_find(model.head, head_dl, loss_fn=loss_fn, start_lr=cfg.start_lr, end_lr=cfg.end_lr,
                      num_it=cfg.num_it or 300, wd=tcfg.wd)
    else:
        valid_dl = DataLoader(TensorDataset(feats[va_idx], y[va_idx]), batch_size=256)
        fit_one_cycle(model.head, [list(model.head.parameters())], [tcfg.head_lr], tcfg.head_epochs, head_dl,
                      valid_dl, "frozen", {"batches": [], "epochs": []}, tcfg.pct_start, tcfg.wd, tcfg.progress,
                      loss_fn=loss_fn)
        set_body_trainable(model, True)
        photos = train_loader(ImageDataset(items.subset(tr_idx), train_transform(pre)), targets, tcfg.bs, g,
                              tcfg.oversample, d.seed)
        params = [p for grp in layer_groups(model) for p in grp]
        res = lr_find(ChannelsLast(model), photos, params=params, loss_fn=loss_fn, start_lr=cfg.start_lr, end_lr=cfg.end_lr,
                      num_it=cfg.num_it or 80, wd=tcfg.wd, freeze_bn=tcfg.freeze_bn)
    out = Path(tcfg.out)
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
