"""The training run's own train/validation split, rebuilt for a checkpoint.

Accuracy only means something on photos the model did not train on, and the int8
model must be judged on the very validation photos the fp32 model was judged on.
So the split is not reinvented here: the checkpoint records its run's config, and
`DataConfig.from_checkpoint` + `prepare` (training/bears/data.py: load -> optional
subsample -> verify -> stratified seeded split) rebuild it from that record, photo for photo.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from training.bears.data import DataConfig, Negatives, negatives, prepare


@dataclass
class Split:
    train: list[tuple[Path, str]]  # (file, label)
    valid: list[tuple[Path, str]]  # accuracy and the decision's rates are measured here
    root: Path
    source: str  # how the split was made, for the manifest
    negatives: Negatives | None = None  # photos of no label; their test half measures "none of these"


def split_for_checkpoint(meta: dict, data_dir: str | Path | None = None, log=print) -> Split:
    """`data_dir` replaces the run's data folder (same photos, another place)."""
    cfg = DataConfig.from_checkpoint(meta, data_dir)
    if not Path(cfg.data).exists():
        raise FileNotFoundError(f"the photos the model was trained on are not at {cfg.data}: pass --data-dir")
    items, train_idx, valid_idx = prepare(cfg)
    if items.classes != list(meta["labels"]):
        raise ValueError(f"labels in {cfg.data} {items.classes} differ from the checkpoint's {meta['labels']}")
    pick = lambda idx: [(items.files[i], items.labels[i]) for i in idx]  # noqa: E731
    how = (f"training.bears.data.prepare: valid_pct={cfg.valid_pct}, seed={cfg.seed}, "
           f"per_label={cfg.per_label or 'all'}, data={Path(cfg.data).name}")
    return Split(pick(train_idx), pick(valid_idx), Path(cfg.data), how, negatives(cfg, log))
