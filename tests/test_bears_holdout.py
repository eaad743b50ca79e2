"""Source-held-out validation and the negatives: the real photos' groups, every fold's split,
the "no groups" note for data without prefixes, the `holdout` command on a tiny --fast run,
and the two halves of the no-bear photos."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.support import copy_photos
from training import options
from training.bears.cli import main
from training.bears.data import DataConfig, groups_of, load_items, negatives, prepare
from training.bears.holdout import mean_of


def test_the_photos_come_in_three_groups_by_file_name_prefix(bears_dir):
    items = load_items(bears_dir)
    groups, note = groups_of(items)
    assert Counter(groups) == {"yarjun": 414, "poziki": 177, "leoyoung": 108} and "3 groups" in note
    assert groups_of(items, "none") == (None, "no groups: --groups none")


@pytest.mark.parametrize("group", ["yarjun", "leoyoung", "poziki"])
def test_a_fold_validates_on_one_source_and_trains_and_calibrates_on_the_others(bears_dir, group):
    items, tr, va, cal = prepare(DataConfig(data=str(bears_dir), holdout=group), calibration=True)
    groups, _ = groups_of(items)
    assert {groups[i] for i in va} == {group} and len(va) == groups.count(group)
    assert group not in {groups[i] for i in tr + cal}
    assert not set(tr) & set(cal) and len(tr) + len(cal) + len(va) == len(items)
    rest = Counter(items.labels[i] for i in tr + cal)
    assert all(abs(Counter(items.labels[i] for i in cal)[lab] - round(0.2 * n)) <= 1 for lab, n in rest.items())
    # the random split is what it always was, and its calibration photos are its validation photos
    _, tr0, va0, cal0 = prepare(DataConfig(data=str(bears_dir)), calibration=True)
    assert cal0 == va0 and len(va0) == 141 and prepare(DataConfig(data=str(bears_dir)))[1:] == (tr0, va0)


def test_data_without_prefixes_has_no_groups_and_says_why(bears_dir, tmp_path, capsys):
    root = copy_photos(bears_dir, tmp_path / "photos", 4)
    for f in root.glob("*/*.jpg"):
        f.rename(f.with_name(f.name.replace("_", "-")))
    groups, note = groups_of(load_items(root))
    assert groups is None and "no groups" in note and "<source>_" in note
    with pytest.raises(ValueError, match="no groups"):
        prepare(DataConfig(data=str(root), holdout="yarjun"))
    assert main(["holdout", "--fast", "--epochs", "0", "--data", str(root), "--negatives", "", "--out",
                 str(tmp_path / "run"), "--cache", str(tmp_path / "cache"), "--no-progress"]) == 0
    res = json.loads((tmp_path / "run" / "holdout.json").read_text())
    assert res["folds"] == {} and res["note"].startswith("no groups")


def test_holdout_command_runs_every_fold_and_attaches_them_to_the_run(bears_dir, bears_cache, tmp_path):
    out = tmp_path / "run"
    common = ["--fast", "--per_label", "12", "--epochs", "0", "--negatives", "", "--data", str(bears_dir),
              "--out", str(out), "--cache", str(bears_cache), "--no-progress"]
    assert main(["train", *common]) == 0
    assert main(["holdout", *common]) == 0
    report = json.loads((out / "report.json").read_text())
    h = report["holdout"]
    assert set(h["folds"]) == {"yarjun", "leoyoung", "poziki"}
    for g, f in h["folds"].items():
        fold = json.loads((out / "holdout" / g / "report.json").read_text())
        assert fold["data"]["holdout"] == g and f["n_valid"] == fold["metrics"]["n_valid"]
        assert f["valid_accuracy"] == fold["metrics"]["valid_accuracy"] and len(f["thresholds"]) == 3
        assert "the other groups' validation split" in fold["decision"]["calibration"]
    assert h["mean"]["n_valid"] == sum(f["n_valid"] for f in h["folds"].values()) == 36
    correct = sum(round(f["valid_accuracy"] * f["n_valid"]) for f in h["folds"].values())
    assert h["mean"]["valid_accuracy"] == pytest.approx(correct / 36, abs=1e-5)  # every photo counts once
    assert report["metrics"]["n_valid"] == 6  # the run's own random split (20% of 12 per label) is untouched


def test_fold_means_weight_photos():
    folds = {"a": {"n_valid": 100, "valid_accuracy": 1.0, "valid_unlabelled": 0.0},
             "b": {"n_valid": 300, "valid_accuracy": 0.5, "valid_unlabelled": 0.1}}
    m = mean_of(folds)
    assert m["valid_accuracy"] == pytest.approx(0.625) and m["valid_unlabelled"] == pytest.approx(0.075)
    assert "distant_accuracy" not in m


def test_negatives_come_in_two_fixed_halves(not_bears_dir, tmp_path):
    cfg = DataConfig(negatives=str(not_bears_dir))
    n = negatives(cfg)
    files = sorted(p for p in Path(not_bears_dir).glob("*.jpg"))
    assert len(files) == 995 and sorted(n.train + n.test) == files and not set(n.train) & set(n.test)
    assert len(n.test) == 498 and 10 <= len(n.nature()) <= 20
    assert negatives(options.replace(cfg, seed=7)).test == n.test  # the same halves whatever the run's seed
    small = negatives(options.replace(cfg, per_label=5))
    assert len(small.train) == len(small.test) == 5 and set(small.test) <= set(n.test)
    logged = []
    assert negatives(DataConfig(negatives=str(tmp_path / "none")), logged.append) is None and "no negatives" in logged[0]
    assert negatives(DataConfig(negatives="")) is None
