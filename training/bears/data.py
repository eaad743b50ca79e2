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

A random split measures the photos' own distribution twice: ours are web-search thumbnails
from three scrapes, so a model can score 97% on it and do worse than where it started on
photos from elsewhere. So photos also have *groups*, where they came from: by default the
file name up to its first "_" (yarjun_00000012.jpg -> yarjun). `--holdout yarjun` trains on
every other group and validates on that one (a source-held-out fold; the training groups'
own random split gives the calibration photos the "none of these" thresholds are read from).
Data without such prefixes has no groups, and the reports say so instead of showing folds.

Negatives (photos of none of the labels, e.g. ../shared/data/not_bears) are split in two
seeded halves: the "test" half only ever measures how often the model says "none of these";
the "train" half may join training as all-zero targets (`train --train_negatives`, bce only).

`--decisions FILE` applies a reviewed list of `file,action[,label]` rows (what `clean
--decisions` and the browser cleaner's decisions.csv hold) while loading: deleted photos
are dropped, relabelled ones get their new label. It is applied after the split, so every
photo stays on its side: the validation set is the raw data's minus the deletions, with
the corrected labels, and a cleaned run can be compared photo for photo with a raw one.
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
from training.paths import BEARS, NOT_BEARS, in_repo


@dataclass
class DataConfig:
    """Which photos, seen at which size, split how (shared by every command that reads photos)."""

    data: str = opt(BEARS, "folder of label folders, or a file,label CSV (e.g. cleaned.csv)")
    csv_root: str | None = opt(None, "folder that relative paths in a CSV are read against (default: the CSV's folder)")
    arch: str = opt("efficientnet_lite0", f"backbone, one of {', '.join(ARCHS)}; the default's weights ship offline")
    size: int = opt(224, "image side the network sees (resize shorter side + center crop); 224 = ImageNet training size")
    normalize: str = opt("arch", "input statistics: 'arch' = what the body was pretrained with (0.5/0.5 for "
                         "EfficientNet-Lite); 'imagenet' = ImageNet's mean/std, which this project used before "
                         "(for comparison only)")
    valid_pct: float = opt(0.2, "share of each label held out for validation")
    seed: int = opt(42, "seed for the split, the head's init and the batch order: same seed, same run")
    per_label: int = opt(0, "use at most this many photos per label (0 = all); for quick experiments")
    train_per_label: int = opt(0, "train on at most this many per label, validate on the whole split (0 = all)")
    train_limit: str = opt("", "LABEL=N[,LABEL=N...]: train on at most N photos of LABEL, validate on the whole "
                           "split (e.g. grizzly=10 makes grizzly a rare class; '' = no limit)")
    sample_seed: int | None = opt(None, "seed for which training photos --train_per_label/--train_limit keep "
                                  "(default: --seed); another value draws another subset, the split stays the same")
    groups: str = opt("prefix", "where each photo came from, for source-held-out validation: 'prefix' = its file "
                      "name up to the first '_' (yarjun_0001.jpg -> yarjun), 'none' = no groups")
    holdout: str = opt("", "train on every group but this one and validate on it (a source-held-out fold); "
                       "'' = the random split")
    negatives: str = opt(NOT_BEARS, "folder of photos that show none of the labels: half of them (seeded) measure "
                         "how often the model says 'none of these'; '' or a missing folder: not measured")
    decisions: str | None = opt(None, "a reviewed file,action[,label] CSV (keep | delete | relabel; e.g. "
                                "training/bears/decisions/bears.csv) applied after the split: deletions dropped, "
                                "relabels applied, both counted in the report (default: the photos as they are)")

    @classmethod
    def from_checkpoint(cls, meta: dict, data: str | Path | None = None) -> "DataConfig":
        """The data config a checkpoint (or a report, or a manifest) recorded, so its split can be rebuilt.

        `data` replaces the photos' location (same photos, another place; its csv_root is
        then its own). A relative path in the record is read against the repository,
        which is how published files name it."""
        cfg = options.build(cls, meta.get("config") or {})
        if cfg.decisions:  # the reviewed list names photos relative to the data root, wherever it is
            cfg = options.replace(cfg, decisions=str(in_repo(cfg.decisions)))
        negs = str(in_repo(cfg.negatives)) if cfg.negatives else ""
        if data is not None:
            return options.replace(cfg, data=str(data), csv_root=None, negatives=negs)
        return options.replace(cfg, data=str(in_repo(cfg.data)), negatives=negs,
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


NEGATIVE = ""  # the label of a photo that shows none of the labels (its target: every label "no")


@dataclass
class Items:
    """(file, label) pairs, the label names in output order, and the files left out (and why)."""

    files: list[Path]
    labels: list[str]
    classes: list[str]
    skipped: list[dict] = field(default_factory=list)
    decided: dict | None = None  # what --decisions changed (decisions_summary), None without one

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


ACTIONS = ("keep", "delete", "relabel")


def read_decisions(path: str | Path, classes: list[str] | None = None) -> dict[str, tuple[str, str | None]]:
    """A reviewed list -> {file: (action, new label or None)}. Rows: file,action[,label]; a
    header row (file,...) and rows starting with # are skipped; the last row of a file wins.
    (`classes` is accepted for old callers; a relabel may introduce a label.)"""
    out = {}
    with open(path, newline="") as f:
        for i, row in enumerate(csv.reader(f), 1):
            if not row or row[0].strip().startswith("#") or (i == 1 and row[0].strip() == "file"):
                continue
            file, action = unguard_cell(row[0].strip()), (row[1].strip().lower() if len(row) > 1 else "")
            label = unguard_cell(row[2].strip()) if len(row) > 2 and row[2].strip() else None
            if action not in ACTIONS:
                raise ValueError(f"{path}:{i}: action must be one of {ACTIONS}, got {action!r}")
            if action == "relabel" and not label:
                raise ValueError(f"{path}:{i}: relabel needs a label (file,relabel,LABEL)")
            out[file] = (action, label)
    return out


def check_decisions(decisions: dict, items: Items, root: Path, path: str | Path) -> None:
    """Every file a decisions list names must be a photo of the data set: a typo, or a list
    made for other photos, would otherwise change nothing without a word."""
    known = {relative(f, root) for f in items.files}
    unknown = sorted(set(decisions) - known)
    if unknown:
        raise ValueError(f"--decisions {path}: {len(unknown)} file(s) are not photos of {root}: "
                         f"{', '.join(unknown[:5])}{' ...' if len(unknown) > 5 else ''} (names are relative to "
                         f"the data folder, as in black/x.jpg)")


def apply_decisions(items: Items, tr_idx: list[int], va_idx: list[int], decisions: dict, root: Path,
                    path: str | Path) -> tuple[Items, list[int], list[int]]:
    """Drop the deleted photos and relabel the relabelled ones, each staying on its side of
    the split; the returned items carry what changed in `decided` (decisions_summary)."""
    keep, labels, deleted, relabelled = [], [], [], []
    for i, (f, lab) in enumerate(zip(items.files, items.labels)):
        key = relative(f, root)
        action, new = decisions.get(key, ("keep", None))
        if action == "delete":
            deleted.append({"file": key, "label": lab})
            continue
        if action == "relabel" and new != lab:
            relabelled.append({"file": key, "from": lab, "to": new})
            lab = new
        keep.append(i)
        labels.append(lab)
    where = {old: new for new, old in enumerate(keep)}
    out = Items([items.files[i] for i in keep], labels, sorted(set(labels)), items.skipped)
    out.decided = decisions_summary(path, decisions, deleted, relabelled)
    return out, [where[i] for i in tr_idx if i in where], [where[i] for i in va_idx if i in where]


def decisions_summary(path, decisions: dict, deleted: list[dict], relabelled: list[dict]) -> dict:
    """What a run's report says about the decisions it applied: counts, then the photos."""
    changes = Counter([f"{d['label']} -> deleted" for d in deleted] + [f"{r['from']} -> {r['to']}" for r in relabelled])
    return {"file": str(path), "reviewed": len(decisions), "n_deleted": len(deleted), "n_relabelled": len(relabelled),
            "changes": dict(sorted(changes.items())), "deleted": deleted, "relabelled": relabelled}


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


def group_of(file: str | Path) -> str | None:
    """The group a file name names: its part before the first '_' (None if it has none)."""
    name = Path(file).name
    return name.split("_", 1)[0] if "_" in name and not name.startswith("_") else None


def groups_of(items: Items, how: str = "prefix") -> tuple[list[str] | None, str]:
    """-> (every item's group, or None; a note saying why there are no groups)."""
    if how == "none":
        return None, "no groups: --groups none"
    if how != "prefix":
        raise ValueError(f"--groups must be 'prefix' or 'none', not {how!r}")
    groups = [group_of(f) for f in items.files]
    unnamed = [str(f) for f, g in zip(items.files, groups) if g is None]
    if unnamed:
        return None, (f"no groups: {len(unnamed)} file names have no '<source>_' prefix (e.g. {Path(unnamed[0]).name}); "
                      f"name files <source>_<anything> to get source-held-out folds")
    if len(set(groups)) < 2:
        return None, f"no groups: every file name starts with {groups[0]}_ (one source)"
    return groups, f"{len(set(groups))} groups by file-name prefix"


def prepare(cfg: DataConfig, log=print, calibration: bool = False):
    """Load, (optionally) subsample, verify (broken images reported and dropped), split.
    -> (items, train indices, valid indices) [+ calibration indices when `calibration`].

    --train_per_label and --train_limit shrink the training split only: the validation
    split is the one the full data set gives, so runs on less data are comparable.
    --holdout G: validation = group G, and the other groups' random split gives the
    training photos and the calibration photos (the random split: calibration = validation)."""
    items = load_items(cfg.data, cfg.csv_root)
    root = data_root(cfg.data, cfg.csv_root)
    decisions = read_decisions(cfg.decisions) if cfg.decisions else None
    if decisions is not None:
        check_decisions(decisions, items, root, cfg.decisions)
    if cfg.per_label:
        items = limit_per_label(items, cfg.per_label, cfg.seed)
    items = verify(items)
    for s in items.skipped:
        log(f"skipped {s['file']}: {s['reason']}")
    tr_idx, va_idx = split(items, cfg.valid_pct, cfg.seed)
    cal_idx = None  # the calibration photos: the validation split, unless a source is held out
    if cfg.holdout:
        groups, note = groups_of(items, cfg.groups)
        if groups is None:
            raise ValueError(f"--holdout {cfg.holdout}: {note}")
        if cfg.holdout not in groups:
            raise ValueError(f"--holdout {cfg.holdout}: no such group (groups: {', '.join(sorted(set(groups)))})")
        rest = [i for i, g in enumerate(groups) if g != cfg.holdout]
        r_tr, r_cal = split(items.subset(rest), cfg.valid_pct, cfg.seed)
        tr_idx, cal_idx = [rest[i] for i in r_tr], [rest[i] for i in r_cal]
        va_idx = [i for i, g in enumerate(groups) if g == cfg.holdout]
    if decisions is not None:  # after the split: each photo stays on its side
        if cal_idx is not None:
            cal_idx = apply_decisions(items, cal_idx, [], decisions, root, cfg.decisions)[1]
        items, tr_idx, va_idx = apply_decisions(items, tr_idx, va_idx, decisions, root, cfg.decisions)
        d = items.decided
        log(f"decisions {cfg.decisions}: {d['reviewed']} reviewed, {d['n_deleted']} deleted, "
            f"{d['n_relabelled']} relabelled ({', '.join(f'{k}: {v}' for k, v in d['changes'].items()) or 'no change'})")
    cal_idx = va_idx if cal_idx is None else cal_idx
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
    return (items, tr_idx, va_idx, cal_idx) if calibration else (items, tr_idx, va_idx)


# "Nature" ImageNet classes among the not_bears photos (their files are <wnid>_<class>.jpg):
# landscapes, fungi, plants, rocks and fences, the closest ImageNet has to a trail photo with no bear.
NATURE_CLASSES = (
    "alp", "cliff", "valley", "volcano", "lakeside", "seashore", "sandbar", "promontory", "geyser", "coral_reef",
    "mushroom", "agaric", "gyromitra", "stinkhorn", "earthstar", "hen-of-the-woods", "bolete", "coral_fungus",
    "hay", "acorn", "buckeye", "hip", "corn", "ear", "rapeseed", "daisy", "yellow_lady's_slipper",
    "stone_wall", "worm_fence", "megalith")


def is_nature(file: str | Path) -> bool:
    return Path(file).stem.split("_", 1)[-1] in NATURE_CLASSES


@dataclass
class Negatives:
    """Photos of none of the labels, in two seeded halves: `train` may be trained on, `test` only measures."""

    train: list[Path]
    test: list[Path]
    source: str

    def nature(self) -> list[Path]:
        return [f for f in self.test if is_nature(f)]

    def items(self, part: str, classes: list[str]) -> Items:
        """One half as Items labelled NEGATIVE (target: no label), beside data of `classes`."""
        files = self.train if part == "train" else self.test
        return Items(list(files), [NEGATIVE] * len(files), classes)


def negatives(cfg: DataConfig, log=print) -> Negatives | None:
    """cfg.negatives split in two halves (seed 0: the same halves whatever the run's seed), or None
    (with a note in the log) when there is no such folder. --per_label N keeps N of each half."""
    if not cfg.negatives:
        return None
    root = Path(cfg.negatives)
    if not root.is_dir():
        log(f"no negatives at {root}: the 'none of these' rate on photos without a bear is not measured")
        return None
    files = sorted(f for f in root.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_EXTS)
    order = list(range(len(files)))
    random.Random(0).shuffle(order)
    half = len(files) // 2
    keep = (lambda idx: idx[:cfg.per_label]) if cfg.per_label else (lambda idx: idx)  # noqa: E731
    return Negatives([files[i] for i in sorted(keep(order[:half]))], [files[i] for i in sorted(keep(order[half:]))],
                     str(root))


# --8<-- [start:dataset]
class ImageDataset(Dataset):
    """(transform(image), label index) for a list of files; the label NEGATIVE (a photo of none
    of the labels) gets index len(classes)."""

    def __init__(self, items: Items, transform):
        self.items = items
        self.transform = transform
        self.targets = [len(items.classes) if lab == NEGATIVE else items.classes.index(lab) for lab in items.labels]

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
