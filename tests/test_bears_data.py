"""Data: label folders and CSVs, the stratified seeded split, broken images skipped."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
import torch

from tests.support import copy_photos
from training.bears.data import (ImageDataset, Items, items_from_csv, items_from_folder, load_items, oversampler,
                                 split, verify)
from training.bears.images import train_transform
from training.bears.model import default_preprocess


def test_folder_and_manifest_csv_agree(bears_dir):
    a = items_from_folder(bears_dir)
    b = load_items(bears_dir / "manifest.csv")
    assert len(a) == len(b) == 699 and a.classes == b.classes == ["black", "grizzly", "teddy"]
    assert sorted(zip(map(str, a.files), a.labels)) == sorted(zip(map(str, b.files), b.labels))
    assert a.counts() == {"black": 228, "grizzly": 198, "teddy": 273}


def test_split_is_stratified_seeded_disjoint_and_order_free(bears_dir):
    items = items_from_folder(bears_dir)
    tr, va = split(items, 0.2, seed=42)
    assert not set(tr) & set(va) and sorted(tr + va) == list(range(len(items)))
    assert not {items.files[i] for i in tr} & {items.files[i] for i in va}
    counts = items.counts()
    va_counts = Counter(items.labels[i] for i in va)
    for lab, n in counts.items():
        assert va_counts[lab] == round(0.2 * n)  # each label keeps its share
    assert split(items, 0.2, seed=42) == (tr, va)  # same seed, same split
    assert split(items, 0.2, seed=7)[1] != va  # another seed, another split
    # the split depends on the files, not on the order they were listed in
    order = list(range(len(items)))
    random.Random(0).shuffle(order)
    shuffled = items.subset(order)
    s_tr, s_va = split(shuffled, 0.2, seed=42)
    assert {shuffled.files[i] for i in s_va} == {items.files[i] for i in va}


def test_split_keeps_a_training_image_for_tiny_labels():
    items = Items([Path(f"{c}{i}.jpg") for c in "ab" for i in range(2)] + [Path("c0.jpg")],
                  ["a", "a", "b", "b", "c"], ["a", "b", "c"])
    tr, va = split(items, 0.5, seed=0)
    assert Counter(items.labels[i] for i in tr) == {"a": 1, "b": 1, "c": 1}


def make_messy_folder(bears_dir: Path, root: Path, n: int = 4) -> Path:
    """A few real photos per label copied into tmp, plus the junk the web serves."""
    copy_photos(bears_dir, root, n)
    (root / "black" / "zero.jpg").write_bytes(b"")
    (root / "grizzly" / "page.jpg").write_bytes(b"<html><body>403 Forbidden</body></html>")
    good = sorted((bears_dir / "teddy").glob("*.jpg"))[0].read_bytes()
    (root / "teddy" / "half.jpg").write_bytes(good[: len(good) // 3])
    (root / "teddy" / "notes.txt").write_text("not an image, not even named like one")
    return root


def test_broken_images_are_reported_and_skipped(bears_dir, tmp_path):
    root = make_messy_folder(bears_dir, tmp_path / "messy")
    items = items_from_folder(root)
    assert len(items) == 15  # notes.txt is not listed at all
    ok = verify(items)
    assert len(ok) == 12
    reasons = {Path(s["file"]).name: s["reason"] for s in ok.skipped}
    assert set(reasons) == {"zero.jpg", "page.jpg", "half.jpg"}
    assert "empty" in reasons["zero.jpg"] and "not a decodable image" in reasons["page.jpg"]
    assert "truncated" in reasons["half.jpg"]


def test_csv_errors_and_relative_paths(tmp_path, bears_dir):
    f = sorted((bears_dir / "black").glob("*.jpg"))[0]
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.csv").write_text(f"file,label\n{f},grizzly\n")
    items = items_from_csv(tmp_path / "sub" / "a.csv")
    assert items.files == [f] and items.labels == ["grizzly"]
    (tmp_path / "b.csv").write_text("path,class\nx.jpg,a\n")
    with pytest.raises(ValueError, match="file,label"):
        items_from_csv(tmp_path / "b.csv")
    with pytest.raises(FileNotFoundError):
        load_items(tmp_path / "nowhere")


def test_oversampler_balances_labels():
    targets = [0] * 90 + [1] * 10
    s = oversampler(targets, seed=0)
    drawn = Counter(targets[i] for _ in range(5) for i in s)
    assert abs(drawn[0] - drawn[1]) < 0.15 * sum(drawn.values())


def test_augmentation_is_random_but_sized_like_eval(bears_dir):
    items = items_from_folder(bears_dir).subset([0, 1])
    ds = ImageDataset(items, train_transform(default_preprocess("efficientnet_lite0")))
    a, b = ds[0][0], ds[0][0]
    assert a.shape == b.shape == (3, 224, 224) and not torch.equal(a, b)
