"""Train the bear classifier: pretrained body, new head, two one-cycle stages.

    python -m training.bears train                       # the default run -> runs/default/
    python -m training.bears train --data runs/default/interpret_all/cleaned.csv --out runs/cleaned
    python -m training.bears train --fast --out /tmp/x   # seconds: a few photos at 128 px
    python -m training.bears train --size 128 --out runs/small
    python -m training.bears train --init runs/small/model.pt --head_epochs 0 --epochs 1 --out runs/large
                                                         # progressive resizing: continue the 128 px model at 224

Stage 1, "frozen": the pretrained body's activations for every photo are computed once
(and cached under runs/cache/, features.py), then only the new head is trained on them:
this is the lesson's `learn.fit_one_cycle(4)` on a frozen model, but seconds instead of
minutes on a CPU because the body never runs again. Stage 2, "unfrozen": the whole network trains
on augmented photos with discriminative learning rates, the lesson's
`learn.unfreeze(); learn.fit_one_cycle(2, max_lr=slice(lr_lo, lr_hi))`: layer groups
get lrs spaced geometrically from lr_lo (first layers) to lr_hi (head). BatchNorm layers
keep their ImageNet statistics meanwhile (--no-freeze_bn to let them follow the batches).
Both stages use torch.optim.lr_scheduler.OneCycleLR with AdamW.

--init starts from a trained checkpoint instead of ImageNet weights and a new head
(same architecture and labels): progressive resizing, or fine-tuning on cleaned data.
Its body has moved away from ImageNet, so its activations are cached under their own key.

Writes <out>/model.pt (training/bears/checkpoint.py's format) and the report folder
<out>/ (see report.py); top_losses.json lists every validation image, worst first.
This file only composes: data.py -> model.py -> features.py -> loop.py -> report.py.
"""

from __future__ import annotations

import contextlib
import functools
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from training import options
from training.bears import report as rep
from training.bears.checkpoint import load_checkpoint, save_checkpoint
from training.bears.data import DataConfig, ImageDataset, Items, data_root, prepare, relative
from training.bears.features import body_features, body_key, weights_digest
from training.bears.images import eval_transform, train_transform
from training.bears.interpretation import interpretation
from training.bears.loop import ChannelsLast, FrozenBodyHead, fit_one_cycle, log, predict, train_loader
from training.bears.model import BearNet, build_model, default_preprocess, layer_groups, set_body_trainable
from training.bears.schedule import discriminative_lrs
from training.options import opt
from training.paths import RUNS


@dataclass
class TrainConfig:
    """How to train (the photos and their split: DataConfig)."""

    data: DataConfig = field(default_factory=DataConfig)
    out: str = opt(str(RUNS / "default"), "run folder: model.pt and the report go here")
    init: str | None = opt(None, "start from this trained checkpoint (model.pt) instead of ImageNet weights and a new "
                           "head, e.g. a 128 px run to continue at 224 (progressive resizing) or a model to fine-tune "
                           "on cleaned data; needs the same arch and labels")
    bs: int = opt(32, "batch size: 32 fits a CPU's cache well and gives ~18 steps an epoch on 560 photos")
    head_epochs: int = opt(4, "epochs of stage 1 (head only, on precomputed activations)")
    head_lr: float = opt(3e-3, "max_lr of stage 1's one cycle (what lr-find suggests for the head, see the report)")
    epochs: int = opt(2, "epochs of stage 2 (everything unfrozen, augmented photos); 0 = stop after the head")
    lr_lo: float = opt(1e-5, "stage 2 max_lr of the first layer group: generic features barely move")
    lr_hi: float = opt(3e-4, "stage 2 max_lr of the head; about 10x below stage 1's, as the lesson advises")
    pct_start: float = opt(0.25, "share of each cycle spent warming up")
    wd: float = opt(0.01, "AdamW weight decay (fastai's default)")
    freeze_bn: bool = opt(True, "stage 2 keeps BatchNorm on its ImageNet statistics: with batch statistics the "
                          "trained head's loss on 64 training photos went from 0.10 to 1.7 (measured)")
    head_dropout: float = opt(0.2, "dropout before the head's Linear layer (EfficientNet-Lite0 used 0.2)")
    augment: bool = opt(True, "random crops, flips, rotations and lighting in stage 2 (off: the same pixels every epoch)")
    oversample: bool = opt(False, "draw every label equally often in training (for imbalanced data)")
    precompute: bool = opt(True, "stage 1 on cached body activations (seconds) instead of running the body")
    top_losses: int = opt(0, "rows in top_losses.json: 0 = every validation image, worst first (the site's "
                          "confusion matrix lists the photos behind each cell); N = only the N worst")
    thumbnails: bool = opt(True, f"draw top_losses.png with the {rep.THUMBNAILS} worst photos (local only, never published)")
    cache: str = opt(str(RUNS / "cache"), "folder for cached body activations ('' = no cache)")
    progress: bool = opt(True, "progress bars")
    threads: int = opt(0, "torch CPU threads (0 = torch's default, one per core)")
    fast: bool = opt(False, "seconds-long smoke run: 10 photos per label (unless --per_label) at 128 px, bs 8, 2+1 epochs")


def resolve(cfg: TrainConfig) -> TrainConfig:
    """Apply --fast (a complete but tiny run, for tests and for checking a setup)."""
    if not cfg.fast:
        return cfg
    return options.replace(cfg, per_label=cfg.data.per_label or 10, size=min(cfg.data.size, 128), bs=min(cfg.bs, 8),
                           head_epochs=min(cfg.head_epochs, 2), epochs=min(cfg.epochs, 1), thumbnails=False)


@contextlib.contextmanager
def timed(timings: dict, name: str):
    t = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - t, 2)


def initial_model(cfg: TrainConfig, classes: list[str]) -> tuple[nn.Module, dict | None]:
    """ImageNet body + new head, or (--init) a trained checkpoint's model; -> (model, init info)."""
    arch = cfg.data.arch
    if not cfg.init:
        return build_model(arch, len(classes)), None
    model, meta = load_checkpoint(cfg.init)
    if meta["arch"] != arch:
        raise ValueError(f"--init {cfg.init} is a {meta['arch']} model, not {arch} (pass --arch {meta['arch']})")
    if meta["labels"] != classes:
        raise ValueError(f"--init {cfg.init} has labels {meta['labels']}, the data has {classes}")
    return model, {"checkpoint": str(cfg.init), "preprocess": meta["preprocess"], "metrics": meta["metrics"],
                   "body_sha1": weights_digest(model.body)}


def train(cfg: TrainConfig) -> dict:
    """The whole run; returns the report dict (also written to <out>/report.json)."""
    cfg = resolve(cfg)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    t_start = time.perf_counter()
    torch.manual_seed(cfg.data.seed)

    with timed(timings, "data"):
        items, tr_idx, va_idx = prepare(cfg.data, log)
        train_items, valid_items = items.subset(tr_idx), items.subset(va_idx)
        classes = items.classes
        y = torch.tensor([classes.index(lab) for lab in items.labels])
    log(f"{len(items)} images ({', '.join(f'{k} {v}' for k, v in items.counts().items())}), "
        f"{len(items.skipped)} skipped; train {len(tr_idx)} ({', '.join(f'{k} {v}' for k, v in train_items.counts().items())}), "
        f"valid {len(va_idx)}")

    pre = default_preprocess(cfg.data.arch, cfg.data.size)
    model, init = initial_model(cfg, classes)
    model.train()
    model.dropout = cfg.head_dropout
    model.body.to(memory_format=torch.channels_last)
    history: dict = {"batches": [], "epochs": []}
    g = torch.Generator().manual_seed(cfg.data.seed)
    loader = functools.partial(train_loader, bs=cfg.bs, generator=g, oversample=cfg.oversample, seed=cfg.data.seed)

    feats = None
    if cfg.head_epochs:  # Stage 1: the head alone.
        feats = fit_head(cfg, model, init, items, y, tr_idx, va_idx, pre, loader, history, timings)
    if cfg.epochs:  # Stage 2: everything, with discriminative learning rates.
        with timed(timings, "unfrozen"):
            fit_unfrozen(cfg, model, train_items, valid_items, pre, loader, history)

    # Final validation predictions -> interpretation.
    with timed(timings, "interpret"):
        if cfg.epochs == 0 and feats is not None:  # the body is unchanged: reuse its activations
            with torch.no_grad():
                model.eval()
                logp = model.head(feats[va_idx]).log_softmax(1)
        else:
            logp = predict(ChannelsLast(model), ImageDataset(valid_items, eval_transform(pre)), cfg.bs,
                           cfg.progress, "valid predictions")
        root = data_root(cfg.data.data, cfg.data.csv_root)
        files = [relative(f, root) for f in valid_items.files]
        interp = interpretation(logp, y[va_idx].tolist(), files, classes, cfg.top_losses)
    timings["total"] = round(time.perf_counter() - t_start, 2)

    metrics = {"valid_error_rate": interp["error_rate"], "valid_accuracy": interp["accuracy"],
               "valid_loss": interp["loss"], "n_valid": len(va_idx), "n_train": len(tr_idx),
               "n_wrong": interp["n_wrong"]}
    config = options.flat(cfg)
    save_checkpoint(out / "model.pt", model.eval(), {
        "arch": cfg.data.arch, "labels": classes, "preprocess": pre, "metrics": metrics, "report": str(out),
        "config": config})
    report = {
        "kind": "train", "config": config, "labels": classes, "preprocess": pre,
        "data": data_summary(cfg.data, items, train_items, valid_items, root),
        "init": init, "metrics": metrics, "timings": timings, "history": history,
        "interpretation": {k: v for k, v in interp.items() if k != "top_losses"},
        "torch": torch.__version__, "threads": torch.get_num_threads(),
    }
    rep.write_run(out, report, interp["top_losses"], {"data": cfg.data.data, "csv_root": cfg.data.csv_root},
                  root if cfg.thumbnails else None)
    log(f"valid error rate {metrics['valid_error_rate']:.4f} ({interp['n_wrong']}/{len(va_idx)} wrong), "
        f"valid loss {metrics['valid_loss']:.4f}; times {timings}; -> {out / 'model.pt'}")
    return report


def fit_head(cfg: TrainConfig, model: BearNet, init: dict | None, items: Items, y: torch.Tensor, tr_idx: list[int],
             va_idx: list[int], pre: dict, loader, history: dict, timings: dict) -> torch.Tensor | None:
    """Stage 1: the body frozen, the head trained on its cached activations (returned), or
    (--no-precompute) through the body on augmented photos."""
    set_body_trainable(model, False)
    feats = None
    if cfg.precompute:
        with timed(timings, "features"):
            # a body from --init is not ImageNet's: its activations get their own cache entry
            feats = body_features(model.body, items, pre, key=body_key(cfg.data.arch, init and init["body_sha1"]),
                                  cache_dir=Path(cfg.cache) if cfg.cache else None, progress=cfg.progress)
        train_dl = loader(TensorDataset(feats[tr_idx], y[tr_idx]), y[tr_idx].tolist())
        valid_dl = DataLoader(TensorDataset(feats[va_idx], y[va_idx]), batch_size=256)
        net = model.head
    else:
        tf = train_transform(pre) if cfg.augment else eval_transform(pre)
        train_dl = loader(ImageDataset(items.subset(tr_idx), tf), y[tr_idx].tolist())
        valid_dl = DataLoader(ImageDataset(items.subset(va_idx), eval_transform(pre)), batch_size=cfg.bs)
        net = FrozenBodyHead(model)
    with timed(timings, "head"):
        fit_one_cycle(net, [list(model.head.parameters())], [cfg.head_lr], cfg.head_epochs, train_dl, valid_dl,
                      "frozen", history, cfg.pct_start, cfg.wd, cfg.progress)
    return feats


def fit_unfrozen(cfg: TrainConfig, model: BearNet, train_items: Items, valid_items: Items, pre: dict, loader,
                 history: dict) -> None:
    """Stage 2: every layer group trains, at lrs spaced from lr_lo (first layers) to lr_hi (head)."""
    set_body_trainable(model, True)
    groups = layer_groups(model)
    lrs = discriminative_lrs(cfg.lr_lo, cfg.lr_hi, len(groups))
    train_tf = train_transform(pre) if cfg.augment else eval_transform(pre)
    train_ds = ImageDataset(train_items, train_tf)
    train_dl = loader(train_ds, train_ds.targets)
    valid_dl = DataLoader(ImageDataset(valid_items, eval_transform(pre)), batch_size=cfg.bs)
    fit_one_cycle(ChannelsLast(model), groups, lrs, cfg.epochs, train_dl, valid_dl,
                  "unfrozen", history, cfg.pct_start, cfg.wd, cfg.progress, cfg.freeze_bn)


def data_summary(cfg: DataConfig, items: Items, train_items: Items, valid_items: Items, root: Path) -> dict:
    """What the run was trained and judged on: counts per label in all, training and validation."""
    return {"source": str(cfg.data), "counts": items.counts(), "train": len(train_items), "valid": len(valid_items),
            "train_counts": train_items.counts(), "valid_counts": valid_items.counts(),
            "skipped": [{**s, "file": relative(Path(s["file"]), root)} for s in items.skipped]}
