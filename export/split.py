"""The training run's own train/validation split, rebuilt for a checkpoint.

Accuracy only means something on photos the model did not train on, and the int8
model must be judged on the very validation photos the fp32 model was judged on.
So the split is not reinvented here: the checkpoint records its run's config, and
`training.bears.train.prepare_items` (load -> optional subsample -> verify ->
stratified seeded split) rebuilds it from that config, photo for photo.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Split:
    train: list[tuple[Path, str]]  # (file, label): calibration photos come from here
    valid: list[tuple[Path, str]]  # accuracy is measured here
    root: Path
    source: str  # how the split was made, for the manifest


def split_for_checkpoint(meta: dict, data_dir: str | Path | None = None) -> Split:
    """`data_dir` replaces the run's data folder (same photos, another place)."""
    from training.bears.train import TrainConfig, prepare_items, resolve

    known = {f.name for f in dataclasses.fields(TrainConfig)}
    cfg = TrainConfig(**{k: v for k, v in (meta.get("config") or {}).items() if k in known})
    if data_dir is not None:
        cfg = dataclasses.replace(cfg, data=str(data_dir))
    elif not Path(cfg.data).is_absolute():  # manifests store it relative to the repository
        cfg = dataclasses.replace(cfg, data=str(ROOT / cfg.data))
    cfg = resolve(cfg)
    if not Path(cfg.data).exists():
        raise FileNotFoundError(f"the photos the model was trained on are not at {cfg.data}: pass --data-dir")
    items, train_idx, valid_idx = prepare_items(cfg)
    if items.classes != list(meta["labels"]):
        raise ValueError(f"labels in {cfg.data} {items.classes} differ from the checkpoint's {meta['labels']}")
    pick = lambda idx: [(items.files[i], items.labels[i]) for i in idx]  # noqa: E731
    how = (f"training.bears.train.prepare_items: valid_pct={cfg.valid_pct}, seed={cfg.seed}, "
           f"per_label={cfg.per_label or 'all'}, data={Path(cfg.data).name}")
    return Split(pick(train_idx), pick(valid_idx), Path(cfg.data), how)
