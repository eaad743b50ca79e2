"""A head trained in the browser, back in Python.

The site's "Train your own" page downloads head.json (format lesson2-head/1, written by
site_widgets/trainer/exportHead.js): the labels, `n_features`, the Linear layer's `weight`
(one row per label) and `bias` as the page trained them, and `body`, the network whose
activations it reads (its ONNX file's SHA-256, arch, preprocessing, feature output).

    head = load_head("head.json")
    probs = torch.softmax(head.linear(activations), 1)      # the page's probabilities
    apply_head(model, head)                                  # a BearNet of the same body and labels

`activations` are that body's pooled feature map for each photo (features.py computes them
for a checkpoint; the page's body is the one the site's ONNX file was exported from).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

FORMAT = "lesson2-head/1"


@dataclass
class HeadFile:
    labels: list[str]
    linear: nn.Linear
    body: dict
    training: dict
    metrics: dict


def load_head(path: str | Path) -> HeadFile:
    """head.json -> HeadFile; ValueError naming what is wrong if it is not a usable head."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        got = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"{path} is not a {FORMAT} file (format: {got!r})")
    labels, n, weight, bias = data["labels"], int(data["n_features"]), data["weight"], data["bias"]
    if len(weight) != len(labels) or len(bias) != len(labels) or any(len(row) != n for row in weight):
        raise ValueError(f"{path}: weight must be {len(labels)} rows of {n} values and bias {len(labels)} values")
    linear = nn.Linear(n, len(labels))
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(weight, dtype=torch.float32))
        linear.bias.copy_(torch.tensor(bias, dtype=torch.float32))
    return HeadFile(list(labels), linear.eval(), data.get("body") or {}, data.get("training") or {}, data.get("metrics") or {})


def apply_head(model: nn.Module, head: HeadFile, labels: list[str]) -> nn.Module:
    """Put the head's weights into `model.head`'s Linear layer (a BearNet whose labels are `labels`)."""
    lin = model.head[-1]
    if list(labels) != head.labels:
        raise ValueError(f"the head's labels are {head.labels}, the model's {list(labels)}")
    if lin.in_features != head.linear.in_features:
        raise ValueError(f"the head reads {head.linear.in_features} features, the model's body gives {lin.in_features}")
    with torch.no_grad():
        lin.weight.copy_(head.linear.weight)
        lin.bias.copy_(head.linear.bias)
    return model
