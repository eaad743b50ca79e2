"""Train the bear classifier: pretrained body, new head, two one-cycle stages.

    python -m training.bears train                       # the default run -> runs/default/
    python -m training.bears train --data runs/default/interpret_all/cleaned.csv --out runs/cleaned
    python -m training.bears train --fast --out /tmp/x   # seconds: a few photos at 128 px
    python -m training.bears train --size 128 --out runs/small
    python -m training.bears train --init runs/small/model.pt --head_epochs 0 --epochs 1 --out runs/large
                                                         # progressive resizing: continue the 128 px model at 224

Stage 1, "frozen": the pretrained body's activations for every photo are computed once
(and cached under runs/cache/), then only the new head is trained on them: this is the
lesson's `learn.fit_one_cycle(4)` on a frozen model, but seconds instead of minutes on
a CPU because the body never runs again. Stage 2, "unfrozen": the whole network trains
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
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from tqdm import tqdm

from training.bears import report as rep
from training.bears.checkpoint import load_checkpoint, save_checkpoint
from training.bears.config import DEFAULT_BEARS, RUNS, opt
from training.bears.data import ImageDataset, Items, limit_per_label, load_items, oversampler, split, verify
from training.bears.images import eval_transform, train_transform
from training.bears.interpret import interpretation, predict
from training.bears.model import ARCHS, build_model, default_preprocess, layer_groups, set_body_trainable
from training.bears.schedule import discriminative_lrs


THUMBNAILS = 16  # photos in top_losses.png


@dataclass
class TrainConfig:
    data: str = opt(DEFAULT_BEARS, "folder of label folders, or a file,label CSV (e.g. cleaned.csv)")
    csv_root: str | None = opt(None, "folder that relative paths in a CSV are read against (default: the CSV's folder)")
    out: str = opt(str(RUNS / "default"), "run folder: model.pt and the report go here")
    arch: str = opt("efficientnet_lite0", f"backbone, one of {', '.join(ARCHS)}; the default's weights ship offline")
    size: int = opt(224, "image side the network sees (resize shorter side + center crop); 224 = ImageNet training size")
    valid_pct: float = opt(0.2, "share of each label held out for validation")
    seed: int = opt(42, "seed for the split, the head's init and the batch order: same seed, same run")
    per_label: int = opt(0, "use at most this many photos per label (0 = all); for quick experiments")
    train_per_label: int = opt(0, "train on at most this many per label, validate on the whole split (0 = all)")
    train_limit: str = opt("", "LABEL=N[,LABEL=N...]: train on at most N photos of LABEL, validate on the whole "
                           "split (e.g. grizzly=10 makes grizzly a rare class; '' = no limit)")
    sample_seed: int | None = opt(None, "seed for which training photos --train_per_label/--train_limit keep "
                                  "(default: --seed); another value draws another subset, the split stays the same")
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
    thumbnails: bool = opt(True, f"draw top_losses.png with the {THUMBNAILS} worst photos (local only, never published)")
    cache: str = opt(str(RUNS / "cache"), "folder for cached body activations ('' = no cache)")
    progress: bool = opt(True, "progress bars")
    threads: int = opt(0, "torch CPU threads (0 = torch's default, one per core)")
    fast: bool = opt(False, "seconds-long smoke run: 10 photos per label (unless --per_label) at 128 px, bs 8, 2+1 epochs")


def resolve(cfg: TrainConfig) -> TrainConfig:
    """Apply --fast (a complete but tiny run, for tests and for checking a setup)."""
    if not cfg.fast:
        return cfg
    return dataclasses.replace(cfg, per_label=cfg.per_label or 10, size=min(cfg.size, 128), bs=min(cfg.bs, 8),
                               head_epochs=min(cfg.head_epochs, 2), epochs=min(cfg.epochs, 1), thumbnails=False)


@contextlib.contextmanager
def timed(timings: dict, name: str):
    t = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - t, 2)


def preprocess_for(cfg: TrainConfig) -> dict:
    return {**default_preprocess(cfg.arch), "resize": cfg.size, "crop": cfg.size}


# --8<-- [start:features]
@torch.no_grad()
def body_features(body: nn.Module, items: Items, pre: dict, key: str, bs: int = 64,
                  cache_dir: Path | None = RUNS / "cache", progress: bool = True) -> torch.Tensor:
    """The body's output for every image (eval transform, no augmentation), cached on disk.

    The cache key covers the architecture, the preprocessing and every file's path,
    size and modification time, so any change recomputes.
    """
    stats = [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in items.files]
    digest = hashlib.sha1(json.dumps([key, pre, stats]).encode()).hexdigest()[:16]
    path = cache_dir / f"features-{digest}.pt" if cache_dir else None
    if path and path.exists():
        return torch.load(path, weights_only=True)
    body.eval()
    ds = ImageDataset(items, eval_transform(pre))
    feats = [body(xb.contiguous(memory_format=torch.channels_last))
             for xb, _ in tqdm(DataLoader(ds, batch_size=bs), desc="body activations", disable=not progress, leave=False)]
    feats = torch.cat(feats)
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(feats, path)
    return feats
# --8<-- [end:features]


@torch.no_grad()
def evaluate(model: nn.Module, dl: DataLoader) -> dict:
    model.eval()
    tot, wrong, n = 0.0, 0, 0
    for xb, yb in dl:
        out = model(xb)
        tot += F.cross_entropy(out, yb, reduction="sum").item()
        wrong += (out.argmax(1) != yb).sum().item()
        n += len(yb)
    err = wrong / max(n, 1)
    return {"valid_loss": tot / max(n, 1), "error_rate": err, "accuracy": 1 - err}


# --8<-- [start:fit_one_cycle]
def fit_one_cycle(model: nn.Module, groups: list[list[nn.Parameter]], max_lr: list[float], epochs: int,
                  train_dl: DataLoader, valid_dl: DataLoader, stage: str, history: dict,
                  pct_start: float = 0.25, wd: float = 0.01, progress: bool = True, freeze_bn: bool = False) -> None:
    """AdamW + OneCycleLR over `epochs`; one lr per parameter group; logs every batch and epoch.

    freeze_bn: BatchNorm layers stay in eval mode (ImageNet running statistics, not the batch's)."""
    total = epochs * len(train_dl)
    if total < 2:
        raise ValueError(f"{stage}: one cycle needs at least 2 steps, got {total} (more epochs or a smaller bs)")
    # OneCycleLR divides by the warm-up length (pct_start * total - 1): keep it positive on tiny runs.
    pct_start = max(pct_start, 1.5 / total)
    opt = torch.optim.AdamW([{"params": g} for g in groups], lr=max_lr[-1], betas=(0.9, 0.99), weight_decay=wd)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=max_lr, total_steps=total, pct_start=pct_start,
        base_momentum=0.85, max_momentum=0.95)  # cycles Adam's beta1 opposite to the lr
    for epoch in range(epochs):
        t0, losses = time.perf_counter(), []
        model.train()
        if freeze_bn:
            for mod in model.modules():
                if isinstance(mod, nn.modules.batchnorm._BatchNorm):
                    mod.eval()
        bar = tqdm(train_dl, desc=f"{stage} {epoch + 1}/{epochs}", disable=not progress, leave=False)
        for xb, yb in bar:
            lrs, mom = [g["lr"] for g in opt.param_groups], opt.param_groups[-1]["betas"][0]
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
            history["batches"].append({"stage": stage, "epoch": epoch, "lr": lrs[-1], "lrs": lrs, "mom": mom,
                                       "loss": losses[-1]})
            bar.set_postfix(loss=f"{losses[-1]:.3f}")
        row = {"stage": stage, "epoch": epoch, "train_loss": sum(losses) / len(losses), **evaluate(model, valid_dl),
               "time": round(time.perf_counter() - t0, 2)}
        history["epochs"].append(row)
        log(f"{stage:>8} epoch {epoch + 1}/{epochs}  train_loss {row['train_loss']:.4f}  "
            f"valid_loss {row['valid_loss']:.4f}  error_rate {row['error_rate']:.4f}  "
            f"accuracy {row['accuracy']:.4f}  time {row['time']:.1f}s")
# --8<-- [end:fit_one_cycle]


def log(msg: str) -> None:
    tqdm.write(msg)


class ChannelsLast(nn.Module):
    """Feed the body NHWC tensors: 2-5x faster convolutions on CPU for this network."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x.contiguous(memory_format=torch.channels_last))


class FrozenBodyHead(nn.Module):
    """Stage 1 without precomputing: the body runs (eval mode, no grad) on augmented photos."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        self.model.body.eval()
        with torch.no_grad():
            f = self.model.body(x.contiguous(memory_format=torch.channels_last))
        return self.model.head(f)


def relative(f: Path, data: str) -> str:
    """File names in reports are relative to the data folder (black/x.jpg), not absolute."""
    base = Path(data) if Path(data).is_dir() else Path(data).parent
    try:
        return str(Path(f).resolve().relative_to(base.resolve()))
    except ValueError:
        return str(f)


def parse_limits(spec: str, classes: list[str]) -> dict[str, int]:
    """'grizzly=10,black=50' -> {'grizzly': 10, 'black': 50}, checked against the labels."""
    limits = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        lab, eq, n = part.partition("=")
        if not eq or not n.strip().isdigit() or int(n) < 1:
            raise ValueError(f"--train_limit: expected LABEL=N with N >= 1, got {part!r}")
        if lab.strip() not in classes:
            raise ValueError(f"--train_limit: no label {lab.strip()!r} (labels: {', '.join(classes)})")
        limits[lab.strip()] = int(n)
    return limits


def prepare_items(cfg: TrainConfig) -> tuple[Items, list[int], list[int]]:
    """Load, (optionally) subsample, verify (broken images reported and dropped), split.

    --train_per_label and --train_limit shrink the training split only: the validation
    split is the one the full data set gives, so runs on less data are comparable."""
    items = load_items(cfg.data, cfg.csv_root)
    if cfg.per_label:
        items = limit_per_label(items, cfg.per_label, cfg.seed)
    items = verify(items)
    for s in items.skipped:
        log(f"skipped {s['file']}: {s['reason']}")
    tr_idx, va_idx = split(items, cfg.valid_pct, cfg.seed)
    seed = cfg.seed if cfg.sample_seed is None else cfg.sample_seed
    if cfg.train_per_label:  # a smaller training set, the same validation set
        tr_items = limit_per_label(items.subset(tr_idx), cfg.train_per_label, seed)
        keep = set(map(str, tr_items.files))
        tr_idx = [i for i in tr_idx if str(items.files[i]) in keep]
    limits = parse_limits(cfg.train_limit, items.classes)
    if limits:  # fewer training photos of some labels (e.g. one rare class), the same validation set
        rng, keep = random.Random(seed), []
        for lab in items.classes:
            idx = [i for i in tr_idx if items.labels[i] == lab]
            keep += rng.sample(idx, limits[lab]) if limits.get(lab, len(idx)) < len(idx) else idx
        tr_idx = sorted(keep)
    return items, tr_idx, va_idx


def weights_digest(module: nn.Module) -> str:
    """A short hash of a module's weights (names, shapes, values)."""
    h = hashlib.sha1()
    for k, v in module.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def initial_model(cfg: TrainConfig, classes: list[str]) -> tuple[nn.Module, dict | None]:
    """ImageNet body + new head, or (--init) a trained checkpoint's model; -> (model, init info)."""
    if not cfg.init:
        return build_model(cfg.arch, len(classes)), None
    model, meta = load_checkpoint(cfg.init)
    if meta["arch"] != cfg.arch:
        raise ValueError(f"--init {cfg.init} is a {meta['arch']} model, not {cfg.arch} (pass --arch {meta['arch']})")
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
    torch.manual_seed(cfg.seed)

    with timed(timings, "data"):
        items, tr_idx, va_idx = prepare_items(cfg)
        train_items, valid_items = items.subset(tr_idx), items.subset(va_idx)
        classes = items.classes
        y = torch.tensor([classes.index(lab) for lab in items.labels])
    log(f"{len(items)} images ({', '.join(f'{k} {v}' for k, v in items.counts().items())}), "
        f"{len(items.skipped)} skipped; train {len(tr_idx)} ({', '.join(f'{k} {v}' for k, v in train_items.counts().items())}), "
        f"valid {len(va_idx)}")

    pre = preprocess_for(cfg)
    model, init = initial_model(cfg, classes)
    model.train()
    model.head[0].p = cfg.head_dropout
    model.body.to(memory_format=torch.channels_last)
    history: dict = {"batches": [], "epochs": []}
    g = torch.Generator().manual_seed(cfg.seed)

    def loader(ds, targets, shuffle=True):
        if shuffle and cfg.oversample:
            return DataLoader(ds, batch_size=cfg.bs, sampler=oversampler(targets, cfg.seed))
        return DataLoader(ds, batch_size=cfg.bs, shuffle=shuffle, generator=g if shuffle else None)

    # Stage 1: the head alone.
    feats = None
    if cfg.head_epochs:
        set_body_trainable(model, False)
        if cfg.precompute:
            with timed(timings, "features"):
                # a body from --init is not ImageNet's: its activations get their own cache entry
                key = cfg.arch if init is None else f"{cfg.arch}:{init['body_sha1']}"
                feats = body_features(model.body, items, pre, key=key, cache_dir=Path(cfg.cache) if cfg.cache else None,
                                      progress=cfg.progress)
            train_dl = loader(TensorDataset(feats[tr_idx], y[tr_idx]), y[tr_idx].tolist())
            valid_dl = DataLoader(TensorDataset(feats[va_idx], y[va_idx]), batch_size=256)
            net = model.head
        else:
            tf = train_transform(pre) if cfg.augment else eval_transform(pre)
            train_dl = loader(ImageDataset(train_items, tf), y[tr_idx].tolist())
            valid_dl = DataLoader(ImageDataset(valid_items, eval_transform(pre)), batch_size=cfg.bs)
            net = FrozenBodyHead(model)
        with timed(timings, "head"):
            fit_one_cycle(net, [list(model.head.parameters())], [cfg.head_lr], cfg.head_epochs, train_dl, valid_dl,
                          "frozen", history, cfg.pct_start, cfg.wd, cfg.progress)

    # Stage 2: everything, with discriminative learning rates.
    if cfg.epochs:
        set_body_trainable(model, True)
        groups = layer_groups(model)
        lrs = discriminative_lrs(cfg.lr_lo, cfg.lr_hi, len(groups))
        train_tf = train_transform(pre) if cfg.augment else eval_transform(pre)
        train_dl = loader(ImageDataset(train_items, train_tf), y[tr_idx].tolist())
        valid_dl = DataLoader(ImageDataset(valid_items, eval_transform(pre)), batch_size=cfg.bs)
        with timed(timings, "unfrozen"):
            fit_one_cycle(ChannelsLast(model), groups, lrs, cfg.epochs, train_dl, valid_dl,
                          "unfrozen", history, cfg.pct_start, cfg.wd, cfg.progress, cfg.freeze_bn)

    # Final validation predictions -> interpretation.
    with timed(timings, "interpret"):
        if cfg.epochs == 0 and feats is not None:  # the body is unchanged: reuse its activations
            with torch.no_grad():
                model.eval()
                logp = model.head(feats[va_idx]).log_softmax(1)
        else:
            logp = predict(ChannelsLast(model), ImageDataset(valid_items, eval_transform(pre)), cfg.bs,
                            cfg.progress, "valid predictions")
        files = [relative(f, cfg.data) for f in valid_items.files]
        interp = interpretation(logp, y[va_idx].tolist(), files, classes, cfg.top_losses)
    timings["total"] = round(time.perf_counter() - t_start, 2)

    metrics = {"valid_error_rate": interp["error_rate"], "valid_accuracy": interp["accuracy"],
               "valid_loss": interp["loss"], "n_valid": len(va_idx), "n_train": len(tr_idx),
               "n_wrong": interp["n_wrong"]}
    config = dataclasses.asdict(cfg)
    save_checkpoint(out / "model.pt", model.eval(), {
        "arch": cfg.arch, "labels": classes, "preprocess": pre, "metrics": metrics, "report": str(out),
        "config": config})
    report = {
        "kind": "train", "config": config, "labels": classes, "preprocess": pre,
        "data": {"source": str(cfg.data), "counts": items.counts(), "train": len(tr_idx), "valid": len(va_idx),
                 "train_counts": train_items.counts(), "valid_counts": valid_items.counts(),
                 "skipped": [{**s, "file": relative(Path(s["file"]), cfg.data)} for s in items.skipped]},
        "init": init, "metrics": metrics, "timings": timings, "history": history,
        "interpretation": {k: v for k, v in interp.items() if k != "top_losses"},
        "torch": torch.__version__, "threads": torch.get_num_threads(),
    }
    write_report(out, report, interp["top_losses"], valid_items, cfg)
    log(f"valid error rate {metrics['valid_error_rate']:.4f} ({interp['n_wrong']}/{len(va_idx)} wrong), "
        f"valid loss {metrics['valid_loss']:.4f}; times {timings}; -> {out / 'model.pt'}")
    return report


def write_report(out: Path, report: dict, top: list[dict], valid_items: Items, cfg: TrainConfig) -> None:
    rep.write_json(out / "report.json", report)
    # same shape as `interpret`'s, so `clean` can also walk the validation set's list
    rep.write_json(out / "top_losses.json", {"on": "valid", "data": cfg.data, "csv_root": cfg.csv_root,
                                             "classes": report["labels"], "top_losses": top})
    h = report["history"]
    if h["batches"]:
        rep.plot_schedule(h["batches"], out / "schedule.png")
        rep.plot_losses(h["batches"], h["epochs"], out / "losses.png")
    it = report["interpretation"]
    rep.plot_confusion(it["confusion"], it["classes"], out / "confusion.png",
                       f"valid: {it['n_wrong']}/{it['n']} wrong")
    if cfg.thumbnails and top:
        base = Path(cfg.data) if Path(cfg.data).is_dir() else Path(cfg.data).parent
        rep.plot_top_losses([{**t, "file": str(base / t["file"])} for t in top[:THUMBNAILS]], out / "top_losses.png",
                            n=THUMBNAILS)
