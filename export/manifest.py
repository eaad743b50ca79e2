"""The JSON files the widgets read before they fetch the model.

bears.json (format lesson2-onnx/2) says which file to fetch and its sha256 (checked in the
browser before the session is created), the label order, the input's name, shape, layout and
range, the preprocessing the page must reproduce (normalisation is inside the graph), every
output of the graph (graph.py), the "none of these" rule's parameters and codes, the feature
output the in-browser trainer reads, where the production head is, and where the model came
from (validation and source-held-out metrics, the training report, parity, quantization).
`model`/`sha256` at the top level name the file the page loads by default (the body the
trainer's heads are matched to); `variants` lists every published file.

bears.head.json (format lesson2-head/1, site_widgets/trainer/exportHead.js): the production
head as the in-browser trainer writes its own (labels, n_features, weight rows, bias, the body
it reads), so "use my model" and "back to the production model" just swap heads; plus the
decision rule's thresholds for those logits.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from training.bears.answers import NONE, UNSURE
from training.paths import portable

FORMAT = "lesson2-onnx/2"
HEAD_FORMAT = "lesson2-head/1"


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def variant_entry(path: Path, metrics: dict) -> dict:
    """One model file: name, bytes, sha256, and what it measured (accuracy, latency)."""
    return {"model": path.name, "bytes": path.stat().st_size, "sha256": sha256_file(path), **metrics}


def decision_entry(labels: list[str], rule: dict) -> dict:
    """The rule (training/bears/decision.py) as the page needs it: codes, thresholds, what each answer means."""
    k = len(labels)
    return {
        "output": "decision",
        "codes": {**{lab: i for i, lab in enumerate(labels)}, NONE: k, UNSURE: k + 1},
        "thresholds": dict(zip(labels, rule["thresholds"])),
        "sure": rule["sure"],
        "clear_win": rule["sure"],  # the page's older name for `sure`
        "rule": (f"a label is present when its logit >= its threshold; no label present: '{NONE}' (none of these); "
                 f"else the present label with the highest logit, unless softmax gives it less than `sure`: "
                 f"'{UNSURE}' (not sure)"),
        "meaning": {NONE: "None of these: no label's score reached its threshold. The photo shows none of "
                          f"{', '.join(labels)} as the model knows them (or shows one too small or too unusual).",
                    UNSURE: "Not sure: the photo looks like more than one label (most often grizzly and black), "
                            "and none is clearly ahead."},
        "thresholds_from": {"quantile": rule["quantile"], "slack": rule["slack"], "photos": rule["calibration"]},
    }


def build_manifest(*, int8: dict, labels: list[str], input_name: str, crop: int, preprocess: dict, meta: dict,
                   features: list, head: dict, parity: dict, quantization: dict, holdout: dict | None,
                   negatives: dict, build: dict) -> dict:
    """The manifest of a published int8 file (the only variant: the float32 one is not published)."""
    n_labels = len(labels)
    return {
        "format": FORMAT,
        "model": int8["model"],
        "sha256": int8["sha256"],
        "default": "int8",
        "variants": {"int8": int8},
        "labels": list(labels),
        "arch": meta.get("arch"),
        "input": {"name": input_name, "shape": ["N", 3, crop, crop], "layout": "NCHW",
                  "dtype": "float32", "range": [0, 1], "channels": "RGB"},
        "preprocess": {"resize": int(preprocess["resize"]), "crop": int(preprocess["crop"]),
                       "interpolation": "bilinear, antialiased (PIL)",
                       "normalization": "inside the graph", "mean": preprocess["mean"], "std": preprocess["std"]},
        "output": {"name": "probabilities", "shape": ["N", n_labels], "meaning": "softmax probabilities"},
        "outputs": {
            "probabilities": {"shape": ["N", n_labels], "dtype": "float32", "meaning": "softmax over the labels"},
            "logits": {"shape": ["N", n_labels], "dtype": "float32",
                       "meaning": "the head's raw scores, one per label: what the decision thresholds compare"},
            "decision": {"shape": ["N"], "dtype": "int32",
                         "meaning": f"the answer: a label's index, {n_labels} = none of these, {n_labels + 1} = not sure"},
            "features": {"shape": features, "dtype": "float32",
                         "meaning": "the body's last feature map; its mean over h x w is the head's input"},
        },
        "features": {"name": "features", "shape": features, "channels": features[1], "height": features[2],
                     "width": features[3], "dtype": "float32", "pooled": "mean over height x width = the head's input"},
        "decision": decision_entry(labels, meta["decision"]),
        "head": head,
        "metrics": meta.get("metrics", {}),
        "holdout": holdout,
        "negatives": negatives.get("negatives"),
        "report": meta.get("report"),
        "parity": parity,
        "quantization": quantization,
        "build": build,
    }


def head_json(model, labels: list[str], meta: dict, body: dict, cfg, features: list) -> dict:
    """The production head in the trainer's lesson2-head/1 format (+ its decision rule)."""
    lin = model.head[-1]
    return {
        "format": HEAD_FORMAT,
        "labels": list(labels),
        "n_features": int(lin.in_features),
        "weight": lin.weight.detach().tolist(),
        "bias": lin.bias.detach().tolist(),
        "body": {"model": body["model"], "sha256": body["sha256"], "arch": meta["arch"],
                 "preprocess": {**meta["preprocess"], "normalization": "inside the graph"},
                 "input": {"name": "image", "shape": ["N", 3, meta["preprocess"]["crop"], meta["preprocess"]["crop"]]},
                 "features": {"name": "features", "shape": features}},
        "training": {"by": "python -m training.bears train", "report": portable(meta.get("report"))},
        "metrics": {k: v for k, v in meta.get("metrics", {}).items() if k.startswith("valid_")},
        "decision": decision_entry(labels, meta["decision"]),
    }


def write_json(obj: dict, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(obj, indent=2) + "\n", encoding="utf-8")
    return path
