"""The options and experiments behind the published reports, on a few real photos at 128 px:
every validation prediction in top_losses.json, rare labels and oversampling, --init
(progressive resizing), the data-size sweep's fixed validation set, the augmentation figure."""

from __future__ import annotations

import inspect
import json
from collections import Counter
from pathlib import Path

import pytest
import torch
from torchvision import transforms as T

from tests.support import copy_photos
from training import options
from training.bears.augment_figure import describe
from training.bears.checkpoint import load_checkpoint
from training.bears.cli import main
from training.bears.data import DataConfig, oversampler, parse_limits, prepare
from training.bears.data_size import run_data_size
from training.bears.features import weights_digest
from training.bears.images import train_transform
from training.bears.model import default_preprocess
from training.bears.progressive import run_progressive
from training.bears.report import clean_json
from training.bears.train import TrainConfig


def strict_json(path: Path):
    return json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"{path} has {c}"))


@pytest.fixture(scope="module")
def cache(bears_cache):
    return bears_cache


def train_config(**kw) -> TrainConfig:
    """A TrainConfig from option names, wherever they live (data, per_label: DataConfig)."""
    return options.replace(TrainConfig(), **kw)


def fast(bears_dir, out, cache, **kw) -> TrainConfig:
    return train_config(data=str(bears_dir), out=str(out), cache=str(cache), progress=False, fast=True, per_label=15,
                        **kw)


def test_top_losses_lists_every_validation_image_and_adds_up_to_the_confusion_matrix(fast_run, bears_dir):
    rep = strict_json(fast_run / "report.json")
    it = rep["interpretation"]
    top = strict_json(fast_run / "top_losses.json")["top_losses"]
    items, _, va = prepare(DataConfig.from_checkpoint(rep))
    assert len(top) == it["n"] == rep["metrics"]["n_valid"] == len(va) == 9
    assert sorted(t["file"] for t in top) == sorted(str(items.files[i].relative_to(bears_dir)) for i in va)
    assert [t["loss"] for t in top] == sorted((t["loss"] for t in top), reverse=True)
    classes = it["classes"]
    cells = Counter((t["label"], t["pred"]) for t in top)
    assert [[cells[(a, p)] for p in classes] for a in classes] == it["confusion"]
    for t in top:
        assert {"file", "label", "pred", "prob_pred", "prob_label", "loss", "probs"} <= set(t)
        assert sum(t["probs"]) == pytest.approx(1, abs=1e-4)
        assert t["prob_pred"] == max(t["probs"]) and classes[t["probs"].index(t["prob_pred"])] == t["pred"]
        assert t["prob_label"] == t["probs"][classes.index(t["label"])]
    for c, pc in it["per_class"].items():
        i = classes.index(c)
        assert pc["n"] == sum(it["confusion"][i]) and pc["correct"] == it["confusion"][i][i]
        assert pc["recall"] == pytest.approx(pc["correct"] / pc["n"], abs=1e-6)


def test_a_rare_label_is_rare_in_training_only(bears_dir):
    full = DataConfig(data=str(bears_dir), per_label=40)
    items, tr, va = prepare(full)
    items2, tr2, va2 = prepare(DataConfig(data=str(bears_dir), per_label=40, train_limit="grizzly=3"))
    assert va2 == va  # the same validation photos
    counts = Counter(items2.labels[i] for i in tr2)
    assert counts == {"black": 32, "grizzly": 3, "teddy": 32}
    assert set(tr2) <= set(tr)
    other = prepare(DataConfig(data=str(bears_dir), per_label=40, train_limit="grizzly=3", sample_seed=1))[1]
    assert other != tr2 and Counter(items2.labels[i] for i in other)["grizzly"] == 3  # another draw, same split
    assert parse_limits("grizzly=3, teddy=5", ["black", "grizzly", "teddy"]) == {"grizzly": 3, "teddy": 5}
    for bad, msg in (("panda=3", "no label 'panda'"), ("grizzly", "expected LABEL=N"), ("grizzly=0", "expected")):
        with pytest.raises(ValueError, match=msg):
            parse_limits(bad, ["black", "grizzly", "teddy"])


def test_oversampling_draws_every_label_about_equally():
    targets = [0] * 10 + [1] * 180 + [2] * 220  # one label rare, like the `unbalanced` run
    drawn = Counter(targets[i] for epoch in range(10) for i in oversampler(targets, seed=epoch))
    total = sum(drawn.values())
    assert total == 10 * len(targets)
    for label in (0, 1, 2):
        assert abs(drawn[label] / total - 1 / 3) < 0.03, drawn
    plain = Counter(targets)
    assert plain[0] / len(targets) < 0.03  # what a shuffled epoch would give the rare label


def test_unbalanced_runs_through_the_cli_report_per_class_numbers(bears_dir, cache, tmp_path):
    for name, extra in (("plain", []), ("over", ["--oversample"])):
        assert main(["train", "--fast", "--per_label", "15", "--train_limit", "grizzly=2", "--epochs", "0", *extra,
                     "--data", str(bears_dir), "--out", str(tmp_path / name), "--cache", str(cache),
                     "--no-progress"]) == 0
        rep = strict_json(tmp_path / name / "report.json")
        assert rep["data"]["train_counts"] == {"black": 12, "grizzly": 2, "teddy": 12}
        assert rep["data"]["valid_counts"] == {"black": 3, "grizzly": 3, "teddy": 3}
        assert rep["config"]["oversample"] is (name == "over")
        assert set(rep["interpretation"]["per_class"]) == {"black", "grizzly", "teddy"}


def test_init_starts_from_the_given_weights(fast_run, bears_dir, cache, tmp_path):
    trained, meta = load_checkpoint(fast_run / "model.pt")
    # no training at all: the saved model is the checkpoint, and scores what it scored
    cfg0 = fast(bears_dir, tmp_path / "same", cache, init=str(fast_run / "model.pt"), head_epochs=0, epochs=0)
    from training.bears.train import train

    r0 = train(cfg0)
    again, _ = load_checkpoint(tmp_path / "same" / "model.pt")
    for k, v in trained.state_dict().items():
        assert torch.equal(v, again.state_dict()[k]), k
    assert r0["metrics"]["valid_loss"] == pytest.approx(meta["metrics"]["valid_loss"], abs=1e-5)
    assert r0["init"]["checkpoint"] == str(fast_run / "model.pt")
    # training from it: the first batch is already good, unlike ImageNet weights + a new random head
    # (the default head starts from ImageNet's bear rows, which are good from the first batch too)
    r_init = train(fast(bears_dir, tmp_path / "init", cache, init=str(fast_run / "model.pt"), epochs=0))
    r_new = train(fast(bears_dir, tmp_path / "new", cache, epochs=0, head_init="random"))
    first = lambda r: r["history"]["batches"][0]["loss"]  # noqa: E731
    assert first(r_new) > 0.5 and first(r_init) < first(r_new) / 3, (first(r_init), first(r_new))  # new head: ~ln 3
    # its body is not ImageNet's, so its activations are cached under their own key
    assert r_init["init"]["body_sha1"] == weights_digest(trained.body) != weights_digest(
        load_checkpoint(tmp_path / "new" / "model.pt")[0].body)


def test_lr_find_init_sweeps_the_trained_model(fast_run, bears_dir, cache, tmp_path):
    """Progressive resizing's re-freeze + new lr_find: `lr-find --init` starts from the checkpoint's
    trained head (its first losses are already low), not from a new random head (about ln 3)."""
    from training.bears.lr_finder import LRFindConfig, run_lr_find

    def sweep(out, **kw):
        cfg = LRFindConfig(train=fast(bears_dir, out, cache, **kw), num_it=12, end_lr=1e-4)
        return run_lr_find(cfg)["losses"][0]

    trained, fresh = sweep(tmp_path / "init", init=str(fast_run / "model.pt")), sweep(tmp_path / "new")
    assert fresh > 0.5 and trained < fresh / 3, (trained, fresh)


def test_init_must_match_the_architecture(fast_run, bears_dir, tmp_path, capsys):
    assert main(["train", "--fast", "--arch", "resnet18", "--init", str(fast_run / "model.pt"), "--data",
                 str(bears_dir), "--out", str(tmp_path), "--no-progress"]) == 2
    assert "is a efficientnet_lite0 model, not resnet18" in capsys.readouterr().err


def test_progressive_resizing_continues_the_small_model_at_the_larger_size(bears_dir, cache, tmp_path):
    base = train_config(data=str(bears_dir), out=str(tmp_path), cache=str(cache), progress=False, per_label=15,
                        bs=8, head_epochs=2, epochs=1, thumbnails=False)
    r = run_progressive(base, small=dict(size=64), large=dict(size=128, head_epochs=0, epochs=1))
    assert [e["stage"] for e in r["history"]["epochs"]] == ["frozen 64px", "frozen 64px", "unfrozen 64px",
                                                             "unfrozen 128px"]
    assert [s["size"] for s in r["stages"]] == [64, 128] and r["preprocess"]["crop"] == 128
    assert r["init"]["checkpoint"] == str(tmp_path / "size64" / "model.pt")
    assert clean_json(r["init"]["metrics"]) == strict_json(tmp_path / "size64" / "report.json")["metrics"]
    assert r["timings"]["train_time"] == pytest.approx(sum(s["train_time"] for s in r["stages"]), abs=0.02)
    assert strict_json(tmp_path / "report.json")["stages"] == clean_json(r["stages"])
    for name in ("schedule.png", "losses.png", "confusion.png", "top_losses.json"):
        assert (tmp_path / name).stat().st_size > 0
    assert len(strict_json(tmp_path / "top_losses.json")["top_losses"]) == r["metrics"]["n_valid"] == 9


def test_data_size_sweep_keeps_the_validation_set_fixed(bears_dir, cache, tmp_path):
    base = train_config(data=str(bears_dir), out=str(tmp_path), cache=str(cache), progress=False, per_label=15, bs=8)
    res = run_data_size(base, sizes=[2, 5, 40, 0], draws=2)  # 40 is more than any label has: dropped as "all"
    assert [r["per_label"] for r in res["sizes"]] == [2, 5, None]
    assert [r["n_train"] for r in res["sizes"]] == [6, 15, 36]
    assert [len(r["draws"]) for r in res["sizes"]] == [2, 2, 1]
    full_steps = base.head_epochs * 5  # 36 photos in batches of 8
    for r in res["sizes"]:
        assert r["head_epochs"] * r["steps_per_epoch"] >= full_steps  # small sets are not also trained less
        for d in r["draws"]:
            assert d["n_valid"] == res["valid"]["n"] == 9 and d["valid_files_sha1"] == res["valid"]["files_sha1"]
            assert 0 <= d["error_rate"] <= 1 and d["valid_loss"] > 0
    # the draws really are different photos, out of the same training split
    picks = [prepare(DataConfig(data=str(bears_dir), per_label=15, train_per_label=2, sample_seed=base.data.seed + d))
             for d in range(2)]
    assert picks[0][2] == picks[1][2] and picks[0][1] != picks[1][1]
    saved = strict_json(tmp_path / "data_size.json")
    assert saved["kind"] == "data_size" and [r["n_train"] for r in saved["sizes"]] == [6, 15, 36]
    assert (tmp_path / "data_size.png").stat().st_size > 0


def test_augment_figure_applies_the_real_training_transform(tmp_path):
    assert main(["augment-figure", "--out", str(tmp_path / "a"), "--draws", "3"]) == 0
    assert main(["augment-figure", "--out", str(tmp_path / "b"), "--draws", "3"]) == 0
    res = strict_json(tmp_path / "a" / "augment.json")
    real = train_transform(default_preprocess(DataConfig().arch, DataConfig().size))
    assert res["steps"] == clean_json(describe(real))
    assert [s["name"] for s in res["steps"]] == [type(t).__name__ for t in real.transforms]
    crop = next(s for s in res["steps"] if s["name"] == "RandomResizedCrop")["params"]
    assert crop["scale"][0] == inspect.signature(train_transform).parameters["min_scale"].default
    assert crop["size"] == [224, 224]
    assert res["flips"] == {"horizontal": 0.5, "vertical": 0.0}
    for name in ("augment.png", "flips.png", "augment.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), f"{name} not seeded"
    assert (tmp_path / "a" / "augment.png").stat().st_size > 10_000
    # described from the object: another transform gives another description
    from training.bears.augment_figure import AugmentConfig, augment_figure

    other = T.Compose([T.RandomResizedCrop(64), T.RandomVerticalFlip(0.3), T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3)])
    res2 = augment_figure(AugmentConfig(out=str(tmp_path / "c"), draws=2), transform=other)
    assert res2["flips"] == {"horizontal": 0.0, "vertical": 0.3}
    assert [s["name"] for s in res2["steps"]] == ["RandomResizedCrop", "RandomVerticalFlip", "ToTensor", "Normalize"]


def test_reports_publishes_the_new_experiments(bears_dir, tmp_path):
    photos = tmp_path / "photos"
    copy_photos(bears_dir, photos, 15)
    dest = tmp_path / "dest"
    # --per_label 15: also 15 of each half of the non-bear photos, not all ~500 (test_bears_train.py's reports test)
    assert main(["reports", "--only", "unbalanced", "unbalanced_oversampled", "augment", "--no-folds", "--data", str(photos),
                 "--per_label", "15", "--dest", str(dest), "--augment_dest", str(tmp_path / "aug"),
                 "--runs", str(tmp_path / "runs"), "--no-progress"]) == 0
    index = strict_json(dest / "index.json")
    assert list(index) == ["unbalanced", "unbalanced_oversampled"]  # augment is a figure, not a run
    for name in index:
        rep = strict_json(dest / name / "report.json")
        assert rep["data"]["train_counts"]["grizzly"] == 10 and rep["config"]["train_limit"] == "grizzly=10"
        assert "grizzly 10" in index[name]["what"] and index[name]["per_class"] == rep["interpretation"]["per_class"]
    assert strict_json(dest / "unbalanced_oversampled" / "report.json")["config"]["oversample"] is True
    assert {p.name for p in (tmp_path / "aug").iterdir()} == {"augment.png", "flips.png", "augment.json"}
