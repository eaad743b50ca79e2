"""The training pipeline's own train/validation split, rebuilt for a checkpoint.

Accuracy only means something on photos the model did not train on, and the int8
model must be judged on the very validation photos the fp32 model was judged on.
So the split is not reinvented here: it is training/bears/data.py's `split`,
called with the data source, validation share and seed recorded in the
checkpoint's config (defaults: the photos in ../shared/data/bears, 20%, seed 42).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from training.bears import data

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "bears"


@dataclass
class Split:
    train: list[tuple[Path, str]]  # (file, label): calibration photos come from here
    valid: list[tuple[Path, str]]  # accuracy is measured here
    root: Path
    source: str  # how the split was made, for the manifest


def split_for_checkpoint(meta: dict, data_dir: str | Path | None = None) -> Split:
    cfg = meta.get("config") or {}
    source = Path(data_dir or cfg.get("data") or cfg.get("source") or DEFAULT_DATA)
    if not source.exists():
        raise FileNotFoundError(f"the photos the model was trained on are not at {source}: pass --data-dir")
    valid_pct = float(cfg.get("valid_pct", 0.2))
    seed = int(cfg.get("seed", 42))
    items = data.verify(data.load_items(source))
    per_label = cfg.get("limit_per_label") or cfg.get("per_label")
    if per_label:
        items = data.limit_per_label(items, int(per_label), seed)
    if items.classes != list(meta["labels"]):
        raise ValueError(f"labels in {source} {items.classes} differ from the checkpoint's {meta['labels']}")
    train_idx, valid_idx = data.split(items, valid_pct, seed)
    pick = lambda idx: [(items.files[i], items.labels[i]) for i in idx]  # noqa: E731
    return Split(pick(train_idx), pick(valid_idx), source,
                 f"training.bears.data.split(valid_pct={valid_pct}, seed={seed}) on {source.name}")
