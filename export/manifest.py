"""The manifest the widget reads before it fetches the model.

It says which file to fetch and its sha256 (checked in the browser before the
session is created), the label order of the output, the input's name, shape,
layout and range, the preprocessing the page must reproduce, and where the
model came from (validation metrics, training report). When an int8 variant
qualifies it is listed under `variants` and named by `default`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

FORMAT = "lesson2-onnx/1"


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def variant_entry(path: Path, metrics: dict) -> dict:
    """One model file: name, bytes, sha256, and what it measured (accuracy, latency)."""
    return {"model": path.name, "bytes": path.stat().st_size, "sha256": sha256_file(path), **metrics}


def build_manifest(*, fp32: dict, int8: dict | None, default: str, labels: list[str], input_name: str,
                   output_name: str, crop: int, preprocess: dict, meta: dict, parity: dict,
                   quantization: dict | None) -> dict:
    """`model`/`sha256` at the top level are the fp32 file; `default` names the variant the page loads."""
    variants = {"fp32": fp32}
    if int8 is not None:
        variants["int8"] = int8
    if default not in variants:
        raise ValueError(f"default variant {default!r} not among {sorted(variants)}")
    return {
        "format": FORMAT,
        "model": fp32["model"],
        "sha256": fp32["sha256"],
        "default": default,
        "variants": variants,
        "labels": list(labels),
        "input": {"name": input_name, "shape": ["N", 3, crop, crop], "layout": "NCHW",
                  "dtype": "float32", "range": [0, 1], "channels": "RGB"},
        "preprocess": {"resize": int(preprocess["resize"]), "crop": int(preprocess["crop"]),
                       "interpolation": "bilinear, antialiased (PIL)",
                       "normalization": "inside the graph", "mean": preprocess["mean"], "std": preprocess["std"]},
        "output": {"name": output_name, "shape": ["N", len(labels)], "meaning": "softmax probabilities"},
        "metrics": meta.get("metrics", {}),
        "report": meta.get("report"),
        "arch": meta.get("arch"),
        "parity": parity,
        "quantization": quantization,
    }


def write_manifest(manifest: dict, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path
