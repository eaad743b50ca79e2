"""The export: one ONNX graph with every output, parity with PyTorch on real photos for each,
weights-only int8 and its rule, the manifest and the production head file.

A small real checkpoint is made once (the offline EfficientNet-Lite0 body at 128 px + the
ImageNet rows as head + thresholds, saved with the training code's save_checkpoint) and put
through `export.to_onnx.export` on a 10-photos-per-label subset, so the whole pipeline runs
in well under a minute.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import onnx
import pytest
import torch

from export.graph import INPUT_NAME, OUTPUTS, Deployable, export_onnx, run_torch
from export.parity import ATOL, ParityError, check_parity
from export.runtime import run_all
from export.pixels import load_pixels
from export.quantize import BROWSER_SESSION_CONFIG, int8_per_channel, round_weights
from export.to_onnx import ExportConfig, export
from training.bears.answers import NONE, UNSURE

LABELS = ["black", "grizzly", "teddy"]
SIZE = 128
RULE = {"thresholds": [7.0, 7.0, 5.0], "sure": 2 / 3, "quantile": 0.05, "slack": 0.5, "calibration": "test"}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, bears_dir):
    from training.bears.checkpoint import save_checkpoint
    from training.bears.model import build_model, default_preprocess

    model = build_model("efficientnet_lite0", len(LABELS), init_rows=[295, 294, 850])
    path = tmp_path_factory.mktemp("ckpt") / "model.pt"
    save_checkpoint(path, model.eval(), {
        "arch": "efficientnet_lite0", "labels": LABELS, "preprocess": default_preprocess("efficientnet_lite0", SIZE),
        "metrics": {"valid_error_rate": None, "valid_accuracy": None, "valid_loss": None},
        "report": "tests/zero-shot-head", "decision": RULE,
        "config": {"per_label": 10, "valid_pct": 0.2, "seed": 42, "size": SIZE, "negatives": ""}})
    return path


@pytest.fixture(scope="module")
def exported(checkpoint, bears_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("models")
    cfg = ExportConfig(checkpoint=checkpoint, out_dir=out, build_dir=out.parent / "build", data_dir=bears_dir,
                       parity_images=6, latency_runs=3)
    return out, export(cfg)


@pytest.fixture(scope="module")
def photos(bears_dir):
    return [sorted((bears_dir / lab).glob("*.jpg"))[i] for lab in LABELS for i in (0, 7)]


def test_one_graph_with_every_output_and_a_dynamic_batch(exported, photos):
    out, m = exported
    g = onnx.load(out / m["model"]).graph
    assert [o.name for o in g.output] == list(OUTPUTS) == list(m["outputs"])
    dims = g.input[0].type.tensor_type.shape.dim
    assert g.input[0].name == INPUT_NAME and dims[0].dim_param and not dims[0].dim_value, "batch size must be symbolic"
    assert [d.dim_value for d in dims[1:]] == [3, SIZE, SIZE]
    assert len(g.initializer) > 0 and not any(i.data_location == 1 for i in g.initializer), "weights inside the file"
    px = load_pixels(photos, m["preprocess"])
    for n in (1, 4):
        probs, logits, decision, features = run_all(out / m["model"], px[:n], BROWSER_SESSION_CONFIG)
        assert probs.shape == logits.shape == (n, 3) and decision.shape == (n,) and decision.dtype == np.int32
        assert list(features.shape) == [n, *m["features"]["shape"][1:]] == [n, 1280, 4, 4]
        np.testing.assert_allclose(probs.sum(1), 1, atol=1e-5)
        # the head reads the feature map's mean: what the in-browser trainer computes from this output
        head = json.loads((out / m["head"]["model"]).read_text())
        pooled = features.mean(axis=(2, 3))
        np.testing.assert_allclose(pooled @ np.array(head["weight"]).T + head["bias"], logits, rtol=1e-4, atol=1e-3)


def test_parity_with_pytorch_on_real_photos_for_every_output(checkpoint, exported, photos, tmp_path):
    """The files the export built (the float one in its build folder, the int8 one it publishes)
    against PyTorch; one more export only for the classic bug (dynamo exports take a while)."""
    from training.bears.checkpoint import load_checkpoint

    out, m = exported
    model, meta = load_checkpoint(checkpoint)
    net = Deployable.from_checkpoint(model, meta)
    px = load_pixels(photos, meta["preprocess"])
    result = check_parity(out.parent / "build" / "bears.fp32.onnx", net, px)
    assert set(result.outputs) == set(OUTPUTS) and result.outputs["decision"]["agreement"] == 1.0
    assert all(r["max_abs_diff"] <= r["tolerance"] for r in result.outputs.values())
    # The classic export bug: normalisation forgotten (mean 0, std 1 in the graph).
    wrong = export_onnx(Deployable(model, [0, 0, 0], [1, 1, 1], RULE["thresholds"], RULE["sure"]), SIZE,
                        tmp_path / "wrong.onnx")
    with pytest.raises(ParityError, match="does not match PyTorch"):
        check_parity(wrong, net, px)
    # the weights-only int8 file computes what PyTorch computes with the same rounded weights
    rounded = Deployable.from_checkpoint(round_weights(model), meta)
    check_parity(out / m["model"], rounded, px, config=BROWSER_SESSION_CONFIG)
    with pytest.raises(ParityError):  # ... and not what the unrounded float model computes, to 1e-4
        check_parity(out / m["model"], net, px, config=BROWSER_SESSION_CONFIG)


def test_int8_is_weights_only_per_channel_and_a_quarter_of_the_bytes(exported):
    out, m = exported
    q = m["quantization"]
    assert q["shipped"] and q["bytes"] < q["fp32_bytes"] / 3.5 and q["answer_agreement"] >= 0.99
    g = onnx.load(out / m["model"]).graph
    ops = {n.op_type for n in g.node}
    assert "DequantizeLinear" in ops and "QuantizeLinear" not in ops  # activations stay float
    inits = {i.name: i for i in g.initializer}
    convs = [n for n in g.node if n.op_type == "Conv"]
    assert all(inits[f"{c.input[1]}_int8"].data_type == onnx.TensorProto.INT8 for c in convs)
    gemm = next(n for n in g.node if n.op_type == "Gemm")
    assert inits[gemm.input[1]].data_type == onnx.TensorProto.FLOAT  # the head stays float
    w = np.random.default_rng(0).normal(size=(4, 1, 3, 3)).astype(np.float32) * [[[[1]]], [[[10]]], [[[0.1]]], [[[0]]]]
    qw, scale = int8_per_channel(w)
    assert qw.dtype == np.int8 and np.abs(qw).max() == 127 and scale[3] == 1.0
    assert (np.abs(qw * scale[:, None, None, None] - w) <= scale[:, None, None, None] / 2 + 1e-6).all()


def test_no_float32_file_is_published_and_the_manifest_describes_the_files(exported):
    out, m = exported
    assert sorted(p.name for p in out.iterdir()) == ["bears.head.json", "bears.int8.onnx", "bears.json"]
    assert (out.parent / "build" / "bears.fp32.onnx").exists()  # built and checked, not published
    assert m["default"] == "int8" and list(m["variants"]) == ["int8"] and m["model"] == "bears.int8.onnx"
    v = m["variants"]["int8"]
    data = (out / v["model"]).read_bytes()
    assert v["sha256"] == m["sha256"] == hashlib.sha256(data).hexdigest() and v["bytes"] == len(data)
    assert v["session_config"] == BROWSER_SESSION_CONFIG
    assert m["labels"] == LABELS and m["arch"] == "efficientnet_lite0"
    assert m["input"] == {"name": INPUT_NAME, "shape": ["N", 3, SIZE, SIZE], "layout": "NCHW", "dtype": "float32",
                          "range": [0, 1], "channels": "RGB"}
    assert m["output"]["name"] == "probabilities" and m["preprocess"]["normalization"] == "inside the graph"
    assert (m["preprocess"]["mean"], m["preprocess"]["crop"]) == ([0.5] * 3, SIZE)
    d = m["decision"]
    assert d["codes"] == {"black": 0, "grizzly": 1, "teddy": 2, NONE: 3, UNSURE: 4} and d["output"] == "decision"
    assert d["thresholds"] == dict(zip(LABELS, RULE["thresholds"])) and d["sure"] == d["clear_win"] == RULE["sure"]
    assert set(d["meaning"]) == {NONE, UNSURE}
    for kind in ("fp32", "int8"):
        assert all(r["max_abs_diff"] <= r["tolerance"] for r in m["parity"][kind]["outputs"].values())
    assert m["build"]["fp32_bytes"] > 3.5 * v["bytes"]
    assert json.loads((out / "bears.json").read_text()) == m


def test_the_production_head_file_is_the_trainers_format(exported, checkpoint):
    from training.bears.checkpoint import load_checkpoint

    out, m = exported
    head = json.loads((out / "bears.head.json").read_text())
    assert m["head"] == {"model": "bears.head.json", "sha256": hashlib.sha256((out / "bears.head.json").read_bytes())
                         .hexdigest(), "format": "lesson2-head/1"}
    assert head["format"] == "lesson2-head/1" and head["labels"] == LABELS and head["n_features"] == 1280
    model, _ = load_checkpoint(checkpoint)
    np.testing.assert_array_equal(np.array(head["weight"], np.float32), model.head[-1].weight.detach().numpy())
    body = head["body"]
    assert (body["model"], body["sha256"], body["arch"]) == (m["model"], m["sha256"], m["arch"])
    assert body["features"] == {"name": "features", "shape": m["features"]["shape"]}
    assert head["decision"]["thresholds"] == m["decision"]["thresholds"]


def test_the_decision_output_is_the_rule_in_pytorch(exported, checkpoint, photos):
    from training.bears.checkpoint import load_checkpoint
    from training.bears.decision import Decide

    out, m = exported
    model, meta = load_checkpoint(checkpoint)
    px = load_pixels(photos, m["preprocess"])
    probs, logits, decision, _ = run_all(out / m["model"], px, BROWSER_SESSION_CONFIG)
    _, want = Decide(RULE["thresholds"], RULE["sure"])(torch.from_numpy(logits))
    np.testing.assert_array_equal(decision, want.numpy())
    torch_out = run_torch(Deployable.from_checkpoint(round_weights(model), meta), px)
    np.testing.assert_array_equal(decision, torch_out["decision"])


def test_a_checkpoint_without_thresholds_is_refused(tmp_path):
    from training.bears.checkpoint import save_checkpoint
    from training.bears.model import build_model, default_preprocess

    path = save_checkpoint(tmp_path / "old.pt", build_model("efficientnet_lite0", 3, pretrained=False), {
        "arch": "efficientnet_lite0", "labels": LABELS, "preprocess": default_preprocess("efficientnet_lite0"),
        "metrics": {}, "report": "x"})
    with pytest.raises(ValueError, match="no 'none of these' thresholds"):
        export(ExportConfig(checkpoint=path, out_dir=tmp_path / "o", build_dir=tmp_path / "b"))


def test_cli_refuses_a_missing_checkpoint(tmp_path):
    from export.to_onnx import main

    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        main(["--checkpoint", str(tmp_path / "nope.pt"), "--out-dir", str(tmp_path)])
