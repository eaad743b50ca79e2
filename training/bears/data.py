"""From photos on disk to training and validation datasets.

    items, train_idx, valid_idx = prepare(DataConfig(data="../shared/data/bears"))

`DataConfig` says which photos and how they are split (embedded in every command's
config, recorded in every checkpoint; `DataConfig.from_checkpoint(meta)` rebuilds a
run's split, photo for photo, from that record). Two ways to say which image has which label:
- a folder of label folders (torchvision's ImageFolder layout): bears/grizzly/*.jpg, ...
- a CSV with a header and columns `file,label` (what `clean` writes; extra columns are
  ignored, so ../shared/data/bears/manifest.csv works too). Relative paths are read
  against the CSV's own folder.

Every image is decoded once up front; the ones that fail are reported and left out,
so one broken download never crashes a run. The split is stratified (each label keeps
its share in both sets) and seeded (the same seed gives the same split on any machine).
"""

from __future__ import annotations

import csv
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.utils.data import Dataset, WeightedRandomSampler

from training import options
from training.bears.images import IMAGE_EXTS, ImageError, open_image
from training.bears.model import ARCHS
from training.options import opt
from training.paths import BEARS, in_repo


@dataclass
class DataConfig:
    """Which photos, seen at which size, split how (shared by every command that reads photos)."""

    data: str = opt(BEARS, "folder of label folders, or a file,label CSV (e.g. cleaned.csv)")
    csv_root: str | None = opt(None, "folder that relative paths in a CSV are read against (default: the CSV's folder)")
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

    @classmethod
    def from_checkpoint(cls, meta: dict, data: str | Path | None = None) -> "DataConfig":
        """The data config a checkpoint (or a report, or a manifest) recorded, so its split can be rebuilt.

        `data` replaces the photos' location (same photos, another place; its csv_root is
        then its own). A relative path in the record is read against the repository,
        which is how published files name it."""
        cfg = options.build(cls, meta.get("config") or {})
        if data is not None:
            return options.replace(cfg, data=str(data), csv_root=None)
        return options.replace(cfg, data=str(in_repo(cfg.data)),
                               csv_root=str(in_repo(cfg.csv_root)) if cfg.csv_root else None)


def data_root(data: str | Path, csv_root: str | Path | None = None) -> Path:
    """The folder file names are relative to: the data folder itself, or the one a CSV's paths are read against."""
    data = Path(data)
    if data.suffix.lower() == ".csv":
        return Path(csv_root) if csv_root else data.parent
    return data


def relative(f: str | Path, root: Path) -> str:
    """How reports name a photo: relative to the data root (black/x.jpg); a file outside it keeps its path."""
    try:
        return str(Path(f).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(f)


@dataclass
class Items:
    """(file, label) pairs, the label names in output order, and the files left out (and why)."""

    files: list[Path]
    labels: list[str]
    classes: list[str]
    skipped: list[dict] = field(default_factory=list)

    def __len__(self):
        return len(self.files)

    def counts(self) -> dict[str, int]:
        c = Counter(self.labels)
        return {k: c.get(k, 0) for k in self.classes}

    def subset(self, idx: list[int]) -> "Items":
        return Items([self.files[i] for i in idx], [self.labels[i] for i in idx], self.classes, [])


def items_from_folder(root: str | Path) -> Items:
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"no folder at {root}")
    files, labels = [], []
    for d in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for f in sorted(d.iterdir()):
            if f.is_file() and f.suffix.lower() in IMAGE_EXTS:
                files.append(f)
                labels.append(d.name)
    if not files:
        raise ValueError(f"no images found in label folders under {root} (expected {root}/<label>/*.jpg)")
    return Items(files, labels, sorted(set(labels)))


# Spreadsheets evaluate a cell starting with = + - @ (or tab, CR) as a formula. The cleaners
# (browser and `clean`) write such a cell, and one that has apostrophes before those
# characters, with one more apostrophe in front; readers drop exactly that one.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_GUARDED = re.compile(r"'+[=+\-@\t\r]")


def guard_cell(value: str) -> str:
    """A value as a CSV cell that a spreadsheet shows as text; unguard_cell gives it back."""
    return "'" + value if _FORMULA.match(value) else value


def unguard_cell(cell: str) -> str:
    """A CSV cell as its writer meant it: drop the apostrophe guard_cell added (if any)."""
    return cell[1:] if _GUARDED.match(cell) else cell


def items_from_csv(path: str | Path, root: str | Path | None = None) -> Items:
    path = Path(path)
    base = data_root(path, root)
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"file", "label"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: expected a header with columns file,label (got {reader.fieldnames})")
        rows = [(unguard_cell(r["file"].strip()), unguard_cell(r["label"].strip())) for r in reader if r.get("file", "").strip()]
    if not rows:
        raise ValueError(f"{path}: no rows")
    files = [Path(f) if Path(f).is_absolute() else base / f for f, _ in rows]
    labels = [lab for _, lab in rows]
    return Items(files, labels, sorted(set(labels)))


def load_items(source: str | Path, root: str | Path | None = None) -> Items:
    """A folder of label folders, or a file,label CSV."""
    source = Path(source)
    if source.suffix.lower() == ".csv":
        return items_from_csv(source, root)
    return items_from_folder(source)


def verify(items: Items) -> Items:
    """Decode every image; drop (and record) the ones that fail or are missing."""
    keep, skipped = [], list(items.skipped)
    for i, f in enumerate(items.files):
        try:
            open_image(f)
            keep.append(i)
        except (ImageError, FileNotFoundError) as e:
            skipped.append({"file": str(f), "label": items.labels[i], "reason": str(e)})
    out = items.subset(keep)
    out.skipped = skipped
    return out


def limit_per_label(items: Items, n: int, seed: int = 0) -> Items:
    """At most `n` images per label, chosen at random (for fast runs and tests)."""
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for i, lab in enumerate(items.labels):
        by_label.setdefault(lab, []).append(i)
    idx = sorted(i for lab in items.classes for i in rng.sample(by_label[lab], min(n, len(by_label[lab]))))
    out = items.subset(idx)
    out.skipped = items.skipped
    return out


# --8<-- [start:split]
def split(items: Items, valid_pct: float = 0.2, seed: int = 42) -> tuple[list[int], list[int]]:
    """Stratified, seeded train/valid split -> (train indices, valid indices).

    Each label is shuffled on its own (files sorted first, so the order on disk does
    not matter) and round(valid_pct * n) of its images go to validation.
    """
    rng = random.Random(seed)
    train, valid = [], []
    for lab in items.classes:
        idx = sorted((i for i, l in enumerate(items.labels) if l == lab), key=lambda i: str(items.files[i]))
        rng.shuffle(idx)
        n_valid = round(valid_pct * len(idx))
        if len(idx) > 1:  # keep at least one training image per label
            n_valid = min(max(n_valid, 1 if valid_pct > 0 else 0), len(idx) - 1)
        valid += idx[:n_valid]
        train += idx[n_valid:]
    return sorted(train), sorted(valid)
# --8<-- [end:split]


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


def prepare(cfg: DataConfig, log=print) -> tuple[Items, list[int], list[int]]:
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


# --8<-- [start:dataset]
class ImageDataset(Dataset):
    """(transform(image), label index) for a list of files."""

    def __init__(self, items: Items, transform):
        self.items = items
        self.transform = transform
        self.targets = [items.classes.index(lab) for lab in items.labels]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.transform(open_image(self.items.files[i])), self.targets[i]
# --8<-- [end:dataset]


def oversampler(targets: list[int], seed: int = 0) -> WeightedRandomSampler:
    """Draw every label equally often (weights 1/count), for imbalanced data sets."""
    counts = Counter(targets)
    weights = torch.tensor([1.0 / counts[t] for t in targets], dtype=torch.double)
    g = torch.Generator().manual_seed(seed)
    return WeightedRandomSampler(weights, num_samples=len(targets), replacement=True, generator=g)
