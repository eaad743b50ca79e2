"""Interpret a trained model: confusion matrix, most confused pairs, top losses (interpretation.py).

    python -m training.bears interpret --on all     # every photo the run read -> runs/default/interpret_all/
    python -m training.bears interpret --on valid   # the run's validation split again: the run's own numbers

The photos and the split come from the checkpoint (DataConfig.from_checkpoint), so
`--on valid` judges exactly the photos training judged. `--on all` writes the
top-losses list over every photo, which `clean` walks through.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from training.bears import report as rep
from training.bears.checkpoint import load_checkpoint
from training.bears.data import DataConfig, ImageDataset, data_root, prepare, relative
from training.bears.images import eval_transform
from training.bears.interpretation import interpretation
from training.bears.loop import ChannelsLast, predict
from training.options import opt
from training.paths import RUNS


@dataclass
class InterpretConfig:
    """What to look at, with which model."""

    checkpoint: str = opt(str(RUNS / "default" / "model.pt"), "trained model (from `train`)")
    on: str = opt("all", "'valid': the run's validation split again; 'all': every image (the list `clean` reviews)")
    data: str | None = opt(None, "photos to look at (default: the data the checkpoint was trained on)")
    out: str | None = opt(None, "folder for the results (default: <checkpoint's folder>/interpret_<on>)")
    k: int = opt(0, "keep only the k worst in top_losses.json (0 = all, so clean can go as far as you like)")
    bs: int = opt(32, "batch size for predictions")
    thumbnails: bool = opt(True, f"draw top_losses.png with the {rep.THUMBNAILS} worst photos (local only)")
    progress: bool = opt(True, "progress bar")


def run_interpret(cfg: InterpretConfig) -> dict:
    if cfg.on not in ("valid", "all"):
        raise ValueError(f"--on must be 'valid' or 'all', not {cfg.on!r}")
    model, meta = load_checkpoint(cfg.checkpoint)
    d = DataConfig.from_checkpoint(meta, cfg.data)
    items, _, va_idx = prepare(d)
    labels = meta["labels"]
    unknown = sorted(set(items.labels) - set(labels))
    if unknown:
        raise ValueError(f"labels {unknown} in {d.data} are not among the model's {labels}")
    sub = items.subset(va_idx if cfg.on == "valid" else list(range(len(items))))
    sub.classes = labels
    logp = predict(ChannelsLast(model.to(memory_format=torch.channels_last)),
                   ImageDataset(sub, eval_transform(meta["preprocess"])), cfg.bs, cfg.progress, f"predict ({cfg.on})")
    root = data_root(d.data, d.csv_root)
    res = interpretation(logp, [labels.index(x) for x in sub.labels], [relative(f, root) for f in sub.files], labels,
                         cfg.k or None)
    out = Path(cfg.out) if cfg.out else Path(cfg.checkpoint).parent / f"interpret_{cfg.on}"
    res = {"on": cfg.on, "data": str(d.data), "csv_root": d.csv_root, "checkpoint": str(cfg.checkpoint),
           "skipped": items.skipped, **res}
    rep.write_json(out / "interpretation.json", {k: v for k, v in res.items() if k != "top_losses"})
    rep.write_json(out / "top_losses.json", {k: res[k] for k in ("on", "data", "csv_root", "classes", "top_losses")})
    rep.plot_confusion(res["confusion"], labels, out / "confusion.png",
                       f"{cfg.on}: {res['n_wrong']}/{res['n']} wrong")
    if cfg.thumbnails:
        rep.plot_top_losses(res["top_losses"], root, out / "top_losses.png")
    print(f"{cfg.on}: {res['n_wrong']}/{res['n']} wrong (error rate {res['error_rate']:.4f}); "
          f"most confused: {res['most_confused'][:3]}; -> {out}")
    return res
