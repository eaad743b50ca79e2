"""The model the site ships (docs/assets/models): files match the manifest, size fits
a page, and the recorded validation accuracy is reproduced here on the same split."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from export.measure import accuracy
from export.pixels import load_pixels
from export.split import split_for_checkpoint
from tests.support import ROOT

MODELS = ROOT / "docs" / "assets" / "models"
PAGE_BUDGET = 5_000_000  # bytes: what the widget loads by default


@pytest.fixture(scope="module")
def manifest():
    return json.loads((MODELS / "bears.json").read_text())


def test_files_match_the_manifest(manifest):
    assert (MODELS / manifest["model"]).is_file()
    for name, v in manifest["variants"].items():
        data = (MODELS / v["model"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == v["sha256"], f"{name}: sha256 differs from the manifest"
        assert len(data) == v["bytes"]
    on_disk = {p.name for p in MODELS.glob("*.onnx")}
    assert on_disk == {v["model"] for v in manifest["variants"].values()}, "stale model files"


def test_default_variant_fits_a_web_page(manifest):
    v = manifest["variants"][manifest["default"]]
    assert v["bytes"] <= PAGE_BUDGET, f"{v['model']} is {v['bytes'] / 1e6:.1f} MB"


def test_comes_from_the_default_training_run(manifest):
    assert manifest["labels"] == ["black", "grizzly", "teddy"]
    assert manifest["report"].replace("\\", "/").rstrip("/").endswith("runs/default"), manifest["report"]
    assert manifest["metrics"]["valid_accuracy"] >= 0.9


def test_validation_accuracy_is_reproduced(manifest, bears_dir):
    split = split_for_checkpoint({"labels": manifest["labels"], "config": manifest["config"]}, bears_dir)
    assert len(split.valid) == manifest["split"]["valid"]
    px = load_pixels([p for p, _ in split.valid], manifest["preprocess"])
    y = np.array([manifest["labels"].index(lab) for _, lab in split.valid])
    for name, v in manifest["variants"].items():
        got = accuracy(MODELS / v["model"], px, y, config=v.get("session_config"))
        assert got["correct"] == v["valid_correct"], f"{name}: {got['correct']} correct here, {v['valid_correct']} recorded"
    # ...and the fp32 ONNX model scores what PyTorch scored in training (parity is ~1e-7, so at
    # most a photo sitting exactly on a decision boundary could flip).
    one_photo = 1 / len(split.valid)
    assert abs(manifest["variants"]["fp32"]["valid_accuracy"] - manifest["metrics"]["valid_accuracy"]) <= one_photo + 1e-9
