"""The committed reports under docs/assets/reports/ (and docs/assets/augment/) are whole and
add up: every run in index.json has its files, its top_losses.json lists every validation
photo and agrees with its confusion matrix, and the sweeps and figures say what made them."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.support import ROOT
from training.bears.augment_figure import describe
from training.bears.data import DataConfig
from training import options
from training.bears.experiments import EXPERIMENTS, NAMES, NOT_INDEXED, RARE, RARE_N
from training.bears.experiments import describe as describe_run
from training.bears.images import train_transform
from training.bears.model import default_preprocess
from training.bears.report import clean_json
from training.bears.train import TrainConfig

REPORTS = ROOT / "docs" / "assets" / "reports"
AUGMENT = ROOT / "docs" / "assets" / "augment"
INDEX = json.loads((REPORTS / "index.json").read_text())
FIELDS = {"file", "label", "pred", "prob_pred", "prob_label", "loss"}


def load(path):
    return json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"{path} has {c}"))


def test_index_lists_every_run_and_only_runs():
    assert list(INDEX) == [n for n in NAMES if n not in NOT_INDEXED]


@pytest.mark.parametrize("name", list(INDEX))
def test_each_run_has_its_files_and_they_add_up(name):
    d = REPORTS / name
    files = {p.name for p in d.iterdir()}
    assert {"report.json", "top_losses.json", "confusion.png", "losses.png", "schedule.png"} <= files
    assert not {"top_losses.png", "model.pt"} & files  # no photos, no weights
    rep, top = load(d / "report.json"), load(d / "top_losses.json")["top_losses"]
    assert rep["history"]["epochs"] and rep["history"]["batches"]
    it, m = rep["interpretation"], rep["metrics"]
    assert len(top) == it["n"] == m["n_valid"] == sum(map(sum, it["confusion"]))
    assert len({t["file"] for t in top}) == len(top)
    assert all(FIELDS <= set(t) for t in top)
    assert [t["loss"] for t in top] == sorted((t["loss"] for t in top), reverse=True)
    cells = Counter((t["label"], t["pred"]) for t in top)
    assert [[cells[(a, p)] for p in it["classes"]] for a in it["classes"]] == it["confusion"]
    assert m["n_wrong"] == it["n_wrong"] == sum(t["label"] != t["pred"] for t in top)
    assert sum(pc["correct"] for pc in it["per_class"].values()) == it["n"] - it["n_wrong"]
    assert INDEX[name]["metrics"] == m and INDEX[name]["what"] == rep["experiment"]["what"]
    text = (d / "report.json").read_text() + (d / "top_losses.json").read_text()
    assert str(ROOT) not in text  # no machine-specific paths


def test_every_run_is_judged_on_the_same_validation_photos():
    """(A run on cleaned photos validates on these minus its deletions: tests/test_bears_suspects.py.)"""
    raw = [n for n in INDEX if not load(REPORTS / n / "report.json")["config"].get("decisions")]
    valid = {n: sorted(t["file"] for t in load(REPORTS / n / "top_losses.json")["top_losses"]) for n in raw}
    assert all(v == valid["default"] for v in valid.values())


def test_unbalanced_runs_make_one_label_rare_in_training_only():
    default = load(REPORTS / "default" / "report.json")["data"]
    for name in ("unbalanced", "unbalanced_oversampled"):
        data = load(REPORTS / name / "report.json")["data"]
        assert data["train_counts"] == {**default["train_counts"], RARE: RARE_N}
        assert data["valid_counts"] == default["valid_counts"]
    assert load(REPORTS / "unbalanced_oversampled" / "report.json")["config"]["oversample"] is True


def test_progressive_resizing_is_compared_with_the_default_run():
    rep = load(REPORTS / "progressive_resizing" / "report.json")
    assert [s["size"] for s in rep["stages"]] == [128, 224] and rep["preprocess"]["crop"] == 224
    cmp = INDEX["progressive_resizing"]["compare"]
    assert cmp["default"]["valid_error_rate"] == INDEX["default"]["metrics"]["valid_error_rate"]
    assert cmp["progressive_resizing"]["valid_error_rate"] == rep["metrics"]["valid_error_rate"]


def test_data_size_sweep_is_published_with_a_fixed_validation_set():
    res = load(REPORTS / "data_size" / "data_size.json")
    assert res["kind"] == "data_size" and (REPORTS / "data_size" / "data_size.png").stat().st_size > 0
    assert res["valid"]["n"] == INDEX["default"]["metrics"]["n_valid"]
    ns = [r["n_train"] for r in res["sizes"]]
    assert ns == sorted(ns) and ns[-1] == INDEX["default"]["metrics"]["n_train"]
    for r in res["sizes"]:
        assert {"n_train", "error_rate", "valid_loss"} <= set(r)
        assert all(d["valid_files_sha1"] == res["valid"]["files_sha1"] for d in r["draws"])


def test_augmentation_figure_matches_the_training_transform_in_the_code():
    res = load(AUGMENT / "augment.json")
    d = DataConfig()
    assert res["steps"] == clean_json(describe(train_transform(default_preprocess(d.arch, d.size))))
    for f in res["files"].values():
        assert (AUGMENT / f).stat().st_size > 10_000


@pytest.mark.parametrize("name", list(INDEX))
def test_what_each_run_shows_is_the_experiment_table_formatted_with_its_config(name):
    """Published descriptions come from experiments.py's templates and the run's own config."""
    default = options.build(TrainConfig, load(REPORTS / "default" / "report.json")["config"])
    run = options.build(TrainConfig, load(REPORTS / name / "report.json")["config"])
    e = EXPERIMENTS[name]
    if e["kind"] == "progressive":
        small, large = (options.replace(default, **e["overrides"][k]) for k in ("small", "large"))
        want = describe_run(name, default, default, small=small, large=large)
        assert (large.data.size, large.epochs) == (run.data.size, run.epochs)
    else:
        want = describe_run(name, run, default, finder=load(REPORTS / "default" / "lr_find.json"))
    assert INDEX[name]["what"].startswith(want)
