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

The head starts from the ImageNet classifier's rows for our labels (--head_init imagenet; brown
bear, American black bear, teddy bear: model.py), so before any training the network already
answers like the pretrained one; labels with no ImageNet class (an instructor's own) start from
a random head, said in the log. After training, --wise A mixes the weights: (1 - A) x the
weights training started from + A x the trained ones (WiSE-FT, Wortsman et al. 2022), which
keeps most of what the pretrained network knew about photos unlike ours.

At the end the "none of these" thresholds are read off the validation split (decision.py) and
the rule is measured: on the validation photos, on the negatives' test half (photos with no
bear) and, with --distant, on the validation photos shrunk in the frame. `--holdout GROUP`
(data.py) validates on one source the model never saw, and reads the thresholds off the
other sources' own validation split instead.

--init starts from a trained checkpoint instead of ImageNet weights and a new head
(same architecture and labels): progressive resizing, or fine-tuning on cleaned data.
Its body has moved away from ImageNet, so its activations are cached under their own key.

Writes <out>/model.pt (training/bears/checkpoint.py's format) and the report folder
<out>/ (see report.py); top_losses.json lists every validation image, worst first.
This file only composes: data.py -> model.py -> features.py -> loop.py -> report.py.
"""

from __future__ import annotations

import contextlib
import copy
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
from training.bears.data import DataConfig, ImageDataset, Items, Negatives, data_root, negatives, prepare, relative
from training.bears.decision import Decide, DecisionConfig, rates, thresholds
from training.bears.features import body_features, body_key, weights_digest
from training.bears.images import distant, eval_transform, train_transform
from training.bears.interpretation import interpretation
from training.bears.loop import ChannelsLast, FrozenBodyHead, fit_one_cycle, log, logits, loss_function, train_loader
from training.bears.model import (IMAGENET_CLASSES, BearNet, build_model, default_preprocess, imagenet_rows, layer_groups,
                                  parse_imagenet_classes, set_body_trainable)
from training.bears.schedule import discriminative_lrs
from training.options import opt
from training.paths import RUNS


@dataclass
class TrainConfig:
    """How to train (the photos and their split: DataConfig)."""

    data: DataConfig = field(default_factory=DataConfig)
    decision: DecisionConfig = field(default_factory=DecisionConfig)
    out: str = opt(str(RUNS / "default"), "run folder: model.pt and the report go here")
    init: str | None = opt(None, "start from this trained checkpoint (model.pt) instead of ImageNet weights and a new "
                           "head, e.g. a 128 px run to continue at 224 (progressive resizing) or a model to fine-tune "
                           "on cleaned data; needs the same arch and labels")
    bs: int = opt(32, "batch size: 32 fits a CPU's cache well and gives ~18 steps an epoch on 560 photos")
    head_init: str = opt("imagenet", "'imagenet': the head starts as the ImageNet classifier's rows for the labels "
                         "(--imagenet_classes), the pretrained network's own answer; 'random': a fresh head. Labels "
                         "without an ImageNet class get a random head either way (said in the log)")
    imagenet_classes: str = opt(IMAGENET_CLASSES, "LABEL=INDEX,...: the ImageNet class (its classifier row) that is "
                                "each label (294 brown bear, 295 American black bear, 850 teddy bear)")
    loss: str = opt("ce", "'ce': softmax + cross-entropy; 'bce': one sigmoid per label (Lesson 3's multi-label "
                    "loss; needed to train on negatives). Measured: the same held-out accuracy, but bce's logits "
                    "leave far more shrunken bears under the 'none' thresholds")
    label_smoothing: float = opt(0.0, "target smoothing (0.1: 0.9 for the label); measured within one photo of none")
    train_negatives: bool = opt(False, "train on the negatives' train half as 'no label' photos (needs --loss bce)")
    wise: float = opt(0.5, "WiSE-FT: the saved weights are (1 - wise) x the weights training started from + wise x "
                      "the trained ones; 1 = the trained weights. Halfway keeps the pretrained network's hold on "
                      "photos unlike ours (source-held-out and distant views: docs/assets/reports/candidates.json)")
    distant: bool = opt(False, "also judge the validation photos shrunk to 45%% in the frame (images.distant): a "
                        "proxy for photos unlike our web thumbnails")
    head_epochs: int = opt(4, "epochs of stage 1 (head only, on precomputed activations)")
    head_lr: float = opt(1e-3, "max_lr of stage 1's one cycle: the head starts as ImageNet's answer and only needs "
                         "nudging, so about a third of what lr-find suggests for a fresh random head (see the report)")
    epochs: int = opt(2, "epochs of stage 2 (everything unfrozen, augmented photos); 0 = stop after the head")
    lr_lo: float = opt(1e-5, "stage 2 max_lr of the first layer group: generic features barely move")
    lr_hi: float = opt(1e-4, "stage 2 max_lr of the head; 10x below stage 1's, as the lesson advises")
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


def initial_model(cfg: TrainConfig, classes: list[str], log=log) -> tuple[nn.Module, dict | None, bool]:
    """ImageNet body + a head from ImageNet's rows (or new), or (--init) a trained checkpoint's model;
    -> (model, init info, whether the starting weights are worth mixing back in: --wise)."""
    arch = cfg.data.arch
    if cfg.init:
        model, meta = load_checkpoint(cfg.init)
        if meta["arch"] != arch:
            raise ValueError(f"--init {cfg.init} is a {meta['arch']} model, not {arch} (pass --arch {meta['arch']})")
        if meta["labels"] != classes:
            raise ValueError(f"--init {cfg.init} has labels {meta['labels']}, the data has {classes}")
        return model, {"checkpoint": str(cfg.init), "preprocess": meta["preprocess"], "metrics": meta["metrics"],
                       "body_sha1": weights_digest(model.body), "head": "checkpoint"}, True
    if cfg.head_init not in ("imagenet", "random"):
        raise ValueError(f"--head_init must be 'imagenet' or 'random', not {cfg.head_init!r}")
    rows, missing = imagenet_rows(classes, parse_imagenet_classes(cfg.imagenet_classes))
    if cfg.head_init == "imagenet" and rows is None:
        log(f"head: random init: labels {missing} have no ImageNet class in --imagenet_classes")
    rows = rows if cfg.head_init == "imagenet" else None
    if rows is not None:
        log(f"head: ImageNet classifier rows {dict(zip(classes, rows))}")
    model = build_model(arch, len(classes), init_rows=rows)
    return model, {"head": "imagenet" if rows else "random", "imagenet_rows": rows}, rows is not None


def mix(start: dict, trained: dict, wise: float) -> dict:
    """WiSE-FT: (1 - wise) x start + wise x trained, for every float tensor (BatchNorm statistics
    included; they stay frozen in training, so they mix to themselves); the rest as trained."""
    return {k: (1 - wise) * start[k] + wise * v if v.is_floating_point() else v for k, v in trained.items()}


def train(cfg: TrainConfig) -> dict:
    """The whole run; returns the report dict (also written to <out>/report.json)."""
    cfg = resolve(cfg)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    if cfg.train_negatives and cfg.loss != "bce":
        raise ValueError("--train_negatives needs --loss bce: a softmax must give every photo one of the labels")
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    t_start = time.perf_counter()
    torch.manual_seed(cfg.data.seed)

    with timed(timings, "data"):
        items, tr_idx, va_idx, cal_idx = prepare(cfg.data, log, calibration=True)
        train_items, valid_items = items.subset(tr_idx), items.subset(va_idx)
        classes = items.classes
        y = torch.tensor([classes.index(lab) for lab in items.labels])
        neg = negatives(cfg.data, log)
    log_split(cfg, items, train_items, len(va_idx), len(cal_idx))

    pre = default_preprocess(cfg.data.arch, cfg.data.size, cfg.data.normalize)
    model, init, meaningful_start = initial_model(cfg, classes)
    start = copy.deepcopy(model.state_dict()) if cfg.wise < 1 and meaningful_start else None
    if cfg.wise < 1 and not meaningful_start:
        log(f"--wise {cfg.wise:g} not applied: the head started random, mixing it back would add noise")
    model.train()
    model.dropout = cfg.head_dropout
    model.body.to(memory_format=torch.channels_last)
    history: dict = {"batches": [], "epochs": []}
    g = torch.Generator().manual_seed(cfg.data.seed)
    loader = functools.partial(train_loader, bs=cfg.bs, generator=g, oversample=cfg.oversample, seed=cfg.data.seed)
    loss_fn = loss_function(cfg.loss, cfg.label_smoothing)
    neg_train = neg.items("train", classes) if (neg and cfg.train_negatives) else None

    feats = None
    if cfg.head_epochs:  # Stage 1: the head alone.
        feats = fit_head(cfg, model, init, items, y, tr_idx, va_idx, pre, loader, history, timings, loss_fn, neg_train)
    if cfg.epochs:  # Stage 2: everything, with discriminative learning rates.
        with timed(timings, "unfrozen"):
            fit_unfrozen(cfg, model, train_items, valid_items, pre, loader, history, loss_fn, neg_train)
    if start is not None:
        model.load_state_dict(mix(start, model.state_dict(), cfg.wise))
        log(f"WiSE-FT: weights = {1 - cfg.wise:g} x start + {cfg.wise:g} x trained")
    model.eval()

    # Final predictions -> interpretation and the decision rule.
    with timed(timings, "interpret"):
        scores, z_valid, z_cal = final_logits(cfg, model, pre, init, items, feats, va_idx, cal_idx)
        root = data_root(cfg.data.data, cfg.data.csv_root)
        files = [relative(f, root) for f in valid_items.files]
        interp = interpretation(z_valid.log_softmax(1), y[va_idx].tolist(), files, classes, cfg.top_losses)
    with timed(timings, "decision"):
        decision = judge(cfg, scores, classes, z_cal, y[cal_idx], z_valid, y[va_idx], valid_items, neg)
    timings["total"] = round(time.perf_counter() - t_start, 2)

    metrics = {"valid_error_rate": interp["error_rate"], "valid_accuracy": interp["accuracy"],
               "valid_loss": interp["loss"], "n_valid": len(va_idx), "n_train": len(tr_idx),
               "n_wrong": interp["n_wrong"], **decision_metrics(decision)}
    config = options.flat(cfg)
    rule = {k: decision[k] for k in ("thresholds", "sure", "quantile", "slack", "calibration")}
    save_checkpoint(out / "model.pt", model.eval(), {
        "arch": cfg.data.arch, "labels": classes, "preprocess": pre, "metrics": metrics, "report": str(out),
        "config": config, "decision": rule, "init": {k: v for k, v in (init or {}).items() if k != "metrics"}})
    report = {
        "kind": "train", "config": config, "labels": classes, "preprocess": pre,
        "data": data_summary(cfg.data, items, train_items, valid_items, root),
        "init": init, "metrics": metrics, "decision": decision, "timings": timings, "history": history,
        "interpretation": {k: v for k, v in interp.items() if k != "top_losses"},
        "torch": torch.__version__, "threads": torch.get_num_threads(),
    }
    rep.write_run(out, report, interp["top_losses"], {"data": cfg.data.data, "csv_root": cfg.data.csv_root},
                  root if cfg.thumbnails else None)
    log(f"valid error rate {metrics['valid_error_rate']:.4f} ({interp['n_wrong']}/{len(va_idx)} wrong), "
        f"valid loss {metrics['valid_loss']:.4f}; unlabelled: bears {metrics['valid_unlabelled']:.3f}"
        + (f", negatives {metrics['negatives_unlabelled']:.3f}" if "negatives_unlabelled" in metrics else "")
        + f"; times {timings}; -> {out / 'model.pt'}")
    return report


def log_split(cfg: TrainConfig, items: Items, train_items: Items, n_valid: int, n_cal: int) -> None:
    counts = lambda its: ", ".join(f"{k} {v}" for k, v in its.counts().items())  # noqa: E731
    log(f"{len(items)} images ({counts(items)}), {len(items.skipped)} skipped; train {len(train_items)} "
        f"({counts(train_items)}), valid {n_valid}"
        + (f" (group {cfg.data.holdout}), calibration {n_cal}" if cfg.data.holdout else ""))


def final_logits(cfg: TrainConfig, model: BearNet, pre: dict, init: dict | None, items: Items,
                 feats: torch.Tensor | None, va_idx: list[int], cal_idx: list[int]):
    """-> (scorer for other photos, validation logits, calibration logits) of the trained model: through
    the cached activations when the body never changed (no unfrozen stage), else through the network."""
    cached = cfg.epochs == 0
    key = body_key(cfg.data.arch, init and init.get("body_sha1"))
    scores = scorer(cfg, model, pre, cached, key=key)
    if not cached:
        z_valid = scores(items.subset(va_idx), desc="valid predictions")
        return scores, z_valid, z_valid if cal_idx == va_idx else scores(items.subset(cal_idx), desc="calibration")
    if feats is None:  # no training at all: the activations are still those of the cache
        feats = body_features(model.body, items, pre, key=key, cache_dir=Path(cfg.cache) if cfg.cache else None,
                              progress=cfg.progress)
    with torch.no_grad():
        z_all = model.head(feats)
    return scores, z_all[va_idx], z_all[cal_idx]


def scorer(cfg: TrainConfig, model: BearNet, pre: dict, cached: bool, key: str):
    """(items, view=None, desc) -> the model's logits for those photos: through the cached body
    activations (`cached`: the body is the one they were computed with) or through the network."""
    cache = Path(cfg.cache) if cfg.cache else None

    def scores(items: Items, view=None, desc: str = "predict") -> torch.Tensor:
        if cached:
            f = body_features(model.body, items, pre, key=key, cache_dir=cache, progress=cfg.progress, view=view)
            with torch.no_grad():
                return model.eval().head(f)
        ds = ImageDataset(items, eval_transform(pre, view))
        return logits(ChannelsLast(model), ds, cfg.bs, cfg.progress, desc)
    return scores


def judge(cfg: TrainConfig, scores, classes: list[str], z_cal, y_cal, z_valid, y_valid, valid_items: Items,
          neg: Negatives | None) -> dict:
    """The "none of these" rule: thresholds from the calibration photos, then what it does on the
    validation photos, the negatives' test half (and its nature subset) and, with --distant, on
    the validation photos shrunk in the frame."""
    d = cfg.decision
    t = thresholds(z_cal, y_cal, len(classes), d.quantile, d.slack)
    decide = Decide(t, d.sure)
    calibration = (f"the other groups' validation split ({len(y_cal)} photos)" if cfg.data.holdout
                   else f"the validation split ({len(y_cal)} photos)")
    out = {"thresholds": t, "sure": d.sure, "quantile": d.quantile, "slack": d.slack, "calibration": calibration,
           "valid": rates(decide(z_valid)[1], y_valid, len(classes))}
    if cfg.distant:
        z = scores(valid_items, view=distant, desc="distant views")
        out["distant"] = {**rates(decide(z)[1], y_valid, len(classes)),
                          "argmax_accuracy": float((z.argmax(1) == y_valid).float().mean())}
    if neg is not None:
        z = scores(neg.items("test", classes), desc="negatives (test half)")
        in_nature = set(neg.nature())
        nature = torch.tensor([f in in_nature for f in neg.test], dtype=torch.bool)
        dn = decide(z)[1]
        out["negatives"] = {"source": neg.source, **rates(dn, None, len(classes))}
        out["nature"] = rates(dn[nature], None, len(classes))
    return out


def decision_metrics(decision: dict) -> dict:
    """The rule's headline numbers, flat, beside the error rate."""
    v = decision["valid"]
    m = {"valid_unlabelled": v["unlabelled"], "valid_none": v["none"], "valid_unsure": v["unsure"],
         "valid_accuracy_labelled": v["accuracy_labelled"]}
    for part in ("negatives", "nature", "distant"):
        if part in decision and decision[part].get("n"):
            m[f"{part}_unlabelled"] = decision[part]["unlabelled"]
    if "distant" in decision:
        m["distant_accuracy"] = decision["distant"]["argmax_accuracy"]
    return m


def fit_head(cfg: TrainConfig, model: BearNet, init: dict | None, items: Items, y: torch.Tensor, tr_idx: list[int],
             va_idx: list[int], pre: dict, loader, history: dict, timings: dict, loss_fn,
             neg_train: Items | None = None) -> torch.Tensor | None:
    """Stage 1: the body frozen, the head trained on its cached activations (returned), or
    (--no-precompute) through the body on augmented photos. neg_train: photos of no label, trained on too."""
    set_body_trainable(model, False)
    feats = None
    key = body_key(cfg.data.arch, init and init.get("body_sha1"))  # a body from --init gets its own cache entry
    cache = Path(cfg.cache) if cfg.cache else None
    if cfg.precompute:
        with timed(timings, "features"):
            feats = body_features(model.body, items, pre, key=key, cache_dir=cache, progress=cfg.progress)
            xs, ys = feats[tr_idx], y[tr_idx]
            if neg_train is not None:
                nf = body_features(model.body, neg_train, pre, key=key, cache_dir=cache, progress=cfg.progress)
                xs, ys = torch.cat([xs, nf]), torch.cat([ys, torch.full((len(nf),), len(items.classes))])
        train_dl = loader(TensorDataset(xs, ys), ys.tolist())
        valid_dl = DataLoader(TensorDataset(feats[va_idx], y[va_idx]), batch_size=256)
        net = model.head
    else:
        tf = train_transform(pre) if cfg.augment else eval_transform(pre)
        ds = ImageDataset(with_negatives(items.subset(tr_idx), neg_train), tf)
        train_dl = loader(ds, ds.targets)
        valid_dl = DataLoader(ImageDataset(items.subset(va_idx), eval_transform(pre)), batch_size=cfg.bs)
        net = FrozenBodyHead(model)
    with timed(timings, "head"):
        fit_one_cycle(net, [list(model.head.parameters())], [cfg.head_lr], cfg.head_epochs, train_dl, valid_dl,
                      "frozen", history, cfg.pct_start, cfg.wd, cfg.progress, loss_fn=loss_fn)
    return feats


def with_negatives(items: Items, neg: Items | None) -> Items:
    return items if neg is None else Items(items.files + neg.files, items.labels + neg.labels, items.classes)


def fit_unfrozen(cfg: TrainConfig, model: BearNet, train_items: Items, valid_items: Items, pre: dict, loader,
                 history: dict, loss_fn, neg_train: Items | None = None) -> None:
    """Stage 2: every layer group trains, at lrs spaced from lr_lo (first layers) to lr_hi (head)."""
    set_body_trainable(model, True)
    groups = layer_groups(model)
    lrs = discriminative_lrs(cfg.lr_lo, cfg.lr_hi, len(groups))
    train_tf = train_transform(pre) if cfg.augment else eval_transform(pre)
    train_ds = ImageDataset(with_negatives(train_items, neg_train), train_tf)
    train_dl = loader(train_ds, train_ds.targets)
    valid_dl = DataLoader(ImageDataset(valid_items, eval_transform(pre)), batch_size=cfg.bs)
    fit_one_cycle(ChannelsLast(model), groups, lrs, cfg.epochs, train_dl, valid_dl,
                  "unfrozen", history, cfg.pct_start, cfg.wd, cfg.progress, cfg.freeze_bn, loss_fn=loss_fn)


def data_summary(cfg: DataConfig, items: Items, train_items: Items, valid_items: Items, root: Path) -> dict:
    """What the run was trained and judged on: counts per label in all, training and validation."""
    return {"source": str(cfg.data), "counts": items.counts(), "train": len(train_items), "valid": len(valid_items),
            "holdout": cfg.holdout or None,
            "train_counts": train_items.counts(), "valid_counts": valid_items.counts(),
            "skipped": [{**s, "file": relative(Path(s["file"]), root)} for s in items.skipped],
            **({"decisions": items.decided} if items.decided else {})}  # --decisions: what it changed
