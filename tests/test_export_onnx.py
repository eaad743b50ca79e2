"""The export: ONNX graph, parity with PyTorch on real photos, int8 rule, manifest.

A small real checkpoint is made once (the offline EfficientNet-Lite0 body + a
seeded random head, saved with the training code's save_checkpoint) and put
through `export.to_onnx.export` on a 20-photos-per-label subset, so the whole
pipeline runs in well under a minute.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import onnx
import pytest
import torch

from export.graph import INPUT_NAME, OUTPUT_NAME, Deployable, export_onnx
from export.parity import ATOL, ParityError, check_parity, run_onnx
from export.pixels import load_pixels
from export.to_onnx import ExportConfig, export
from tests.support import ROOT

LABELS = ["black", "grizzly", "teddy"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, bears_dir):
    from training.bears.checkpoint import save_checkpoint
    from training.bears.model import build_model, default_preprocess

    torch.manual_seed(0)
    model = build_model("efficientnet_lite0", len(LABELS), pretrained=True)
    path = tmp_path_factory.mktemp("ckpt") / "model.pt"
    save_checkpoint(path, model.eval(), {
        "arch": "efficientnet_lite0", "labels": LABELS, "preprocess": default_preprocess("efficientnet_lite0"),
        "metrics": {"valid_error_rate": None, "valid_accuracy": None, "valid_loss": None},
        "report": "tests/untrained-head", "config": {"per_label": 20, "valid_pct": 0.2, "seed": 42}})
    return path


@pytest.fixture(scope="module")
def exported(checkpoint, bears_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("models")
    cfg = ExportConfig(checkpoint=checkpoint, out_dir=out, data_dir=bears_dir, parity_images=8,
                       calibration_images=24, latency_runs=5)
    return out, export(cfg)


@pytest.fixture(scope="module")
def photos(bears_dir):
    return [sorted((bears_dir / lab).glob("*.jpg"))[i] for lab in LABELS for i in (0, 7)]


def test_graph_takes_rgb_0_1_with_dynamic_batch_and_ends_in_softmax(exported, photos):
    out, m = exported
    g = onnx.load(out / m["model"]).graph
    dims = g.input[0].type.tensor_type.shape.dim
    assert g.input[0].name == INPUT_NAME and g.output[0].name == OUTPUT_NAME
    assert dims[0].dim_param and not dims[0].dim_value, "batch size must be symbolic"
    assert [d.dim_value for d in dims[1:]] == [3, 224, 224]
    assert g.node[-1].op_type == "Softmax"
    assert len(g.initializer) > 0 and not any(i.data_location == 1 for i in g.initializer), "weights must be inside the file"
    px = load_pixels(photos, m["preprocess"])
    for n in (1, 3, len(px)):
        probs = run_onnx(out / m["model"], px[:n])
        assert probs.shape == (n, len(LABELS))
        np.testing.assert_allclose(probs.sum(1), 1, atol=1e-5)


def test_parity_with_pytorch_on_real_photos(checkpoint, photos, tmp_path):
    from training.bears.checkpoint import load_checkpoint

    model, meta = load_checkpoint(checkpoint)
    pre = meta["preprocess"]
    net = Deployable(model, pre["mean"], pre["std"])
    path = export_onnx(net, pre["crop"], tmp_path / "m.onnx")
    result = check_parity(path, net, load_pixels(photos, pre))
    assert result.max_abs_diff <= ATOL and result.top_label_agreement == 1.0
    # The classic export bug: normalisation forgotten (mean 0, std 1 in the graph).
    wrong = export_onnx(Deployable(model, [0, 0, 0], [1, 1, 1]), pre["crop"], tmp_path / "wrong.onnx")
    with pytest.raises(ParityError, match="does not match PyTorch"):
        check_parity(wrong, net, load_pixels(photos, pre))


def test_manifest_describes_the_files(exported):
    out, m = exported
    for name, v in m["variants"].items():
        data = (out / v["model"]).read_bytes()
        assert v["sha256"] == hashlib.sha256(data).hexdigest() and v["bytes"] == len(data), name
    assert m["model"] == "bears.onnx" and m["sha256"] == m["variants"]["fp32"]["sha256"]
    assert m["labels"] == LABELS
    assert m["input"] == {"name": INPUT_NAME, "shape": ["N", 3, 224, 224], "layout": "NCHW", "dtype": "float32",
                          "range": [0, 1], "channels": "RGB"}
    assert m["output"]["name"] == OUTPUT_NAME
    assert (m["preprocess"]["resize"], m["preprocess"]["crop"]) == (224, 224)
    assert m["report"] == "tests/untrained-head" and "valid_accuracy" in m["metrics"]
    assert m["parity"]["max_abs_diff"] <= m["parity"]["atol"] == ATOL
    assert json.loads((out / "bears.json").read_text()) == m


def test_int8_ships_only_within_half_a_point(exported):
    out, m = exported
    q = m["quantization"]
    assert q["shipped"] == all(d <= 0.5 for d in q["accuracy_drop_points"].values())
    assert set(q["accuracy_drop_points"]) == {"fused_int8_kernels", "as_the_browser_runs_it"}
    assert ("int8" in m["variants"]) == q["shipped"] == (out / "bears.int8.onnx").exists()
    assert m["default"] == ("int8" if q["shipped"] else "fp32")
    if q["shipped"]:
        assert q["bytes"] < m["variants"]["fp32"]["bytes"] / 3  # int8 weights: about a quarter of float32
        assert m["variants"]["int8"]["session_config"] == {"session.disable_quant_qdq": "1"}
        # The graph really is quantized: QDQ pairs around the convolutions.
        ops = {n.op_type for n in onnx.load(out / "bears.int8.onnx").graph.node}
        assert {"QuantizeLinear", "DequantizeLinear"} <= ops


def test_cli_refuses_a_missing_checkpoint(tmp_path, capsys):
    from export.to_onnx import main

    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        main(["--checkpoint", str(tmp_path / "nope.pt"), "--out-dir", str(tmp_path)])
