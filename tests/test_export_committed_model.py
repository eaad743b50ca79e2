"""The model the site ships (docs/assets/models): files match the manifest, size fits
a page, it is the candidate the table chose, its answer rule is inside, and the recorded
validation accuracy is reproduced here on the same split."""

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


def test_comes_from_a_candidate_the_table_measured(manifest):
    """The shipped model is one of the candidates of docs/assets/reports/candidates.json (chosen on
    source-held-out folds, distant views and photos with no bear), and the table says which."""
    table = json.loads((ROOT / "docs" / "assets" / "reports" / "candidates.json").read_text())
    assert manifest["labels"] == ["black", "grizzly", "teddy"]
    run = manifest["report"].replace("\\", "/").rstrip("/")
    assert run.startswith("runs/candidates/"), run
    name = run.rsplit("/", 1)[-1]
    assert table["shipped"]["name"] == name and name in table["candidates"]
    assert table["candidates"][name]["holdout"]["mean"] == manifest["holdout"]["mean"]
    assert manifest["metrics"]["valid_accuracy"] >= 0.9


def test_validation_accuracy_is_reproduced(manifest, bears_dir):
    split = split_for_checkpoint({"labels": manifest["labels"], "config": manifest["config"]}, bears_dir)
    assert len(split.valid) == manifest["split"]["valid"]
    px = load_pixels([p for p, _ in split.valid], manifest["preprocess"])
    y = np.array([manifest["labels"].index(lab) for _, lab in split.valid])
    for name, v in manifest["variants"].items():
        got = accuracy(MODELS / v["model"], px, y, config=v.get("session_config"))
        assert got["correct"] == v["valid_correct"], f"{name}: {got['correct']} correct here, {v['valid_correct']} recorded"
    # ...and the int8 file scores what PyTorch scored in training: its weights are rounded, so a
    # photo sitting on a decision boundary may flip, but not more than one
    one_photo = 1 / len(split.valid)
    v = manifest["variants"][manifest["default"]]
    assert abs(v["valid_accuracy"] - manifest["metrics"]["valid_accuracy"]) <= one_photo + 1e-9


def test_the_answer_rule_is_in_the_file_and_the_manifest(manifest):
    """The page shows the graph's 'decision' output; the manifest says what its codes mean."""
    import onnx

    v = manifest["variants"][manifest["default"]]
    outputs = [o.name for o in onnx.load(str(MODELS / v["model"]), load_external_data=False).graph.output]
    d = manifest["decision"]
    assert d["output"] in outputs and manifest["output"]["name"] in outputs
    assert set(d["codes"]) == {*manifest["labels"], "none", "unsure"}
    assert set(d["thresholds"]) == set(manifest["labels"]) and d["meaning"]["none"] and d["meaning"]["unsure"]
    n_photos = manifest["split"]["train"] + manifest["split"]["valid"]
    assert manifest["holdout"]["mean"]["n_valid"] == n_photos, "every photo is judged once by a fold that never saw it"
