"""The trained model's logits, published for the "none of these" explorable (docs/multilabel.md).

    python -m training.bears logits      # the shipped run (runs/candidates/zero_shot_224) -> docs/assets/reports/shipped/logits.json
    python -m training.bears logits --run runs/default --dest /tmp/default_logits.json

For the run's validation photos (its own split, rebuilt from the checkpoint's data config)
and for the test half of its photos of no bear (../shared/data/not_bears), the head's three
logits per photo, beside the run's thresholds and "sure" share. No file name and no pixel is
written, only three numbers per photo: the photos stay private.

`summary` is what the decision rule (decision.py's Decide, the module inside the exported
graph) and plain softmax answer on each set, computed here with PyTorch; the page quotes it
and the tests check the widget's JavaScript gives the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from training.bears.checkpoint import load_checkpoint
from training.bears.data import DataConfig, ImageDataset, negatives, prepare
from training.bears.decision import Decide
from training.bears.images import eval_transform
from training.bears.loop import ChannelsLast, log, logits
from training.options import opt
from training.paths import ROOT, RUNS, portable

DEST = ROOT / "docs" / "assets" / "reports" / "shipped" / "logits.json"


@dataclass
class LogitsConfig:
    """Which run's model, written where."""

    run: str = opt(str(RUNS / "candidates" / "zero_shot_224"), "run folder holding model.pt: the shipped candidate (docs/assets/reports/candidates.json names it)")
    dest: str = opt(str(DEST), "the JSON to write (published: numbers only, no file names)")
    data: str | None = opt(None, "the photos, if they moved since training (default: where the run read them)")
    bs: int = opt(32, "batch size for inference (memory only; the logits do not depend on it)")


def answers(decision: torch.Tensor, targets: torch.Tensor | None, k: int) -> dict:
    """Shares of the photos (exact counts / n, as the widget computes them): right / wrong / none /
    unsure / unlabelled for bears, named / none / unsure / unlabelled for photos of no label."""
    d = [int(c) for c in decision]
    n = len(d)
    none, unsure = d.count(k), d.count(k + 1)
    out = {"n": n, "none": none / n, "unsure": unsure / n, "unlabelled": (none + unsure) / n}
    if targets is None:
        out["named"] = (n - none - unsure) / n
    else:
        right = sum(c == int(t) for c, t in zip(d, targets))
        out["right"] = right / n
        out["wrong"] = (n - none - unsure - right) / n
    return out


def summarise(sets: dict, thresholds: list[float], sure: float, k: int) -> dict:
    """What the rule and plain softmax answer on every set."""
    decide = Decide(thresholds, sure)
    out = {}
    for name, s in sets.items():
        z = torch.tensor(s["logits"], dtype=torch.float32)
        y = torch.tensor(s["targets"]) if "targets" in s else None
        out[name] = {"rule": answers(decide(z)[1], y, k), "softmax": answers(z.argmax(1).to(torch.int32), y, k)}
    return out


def run_logits(cfg: LogitsConfig) -> dict:
    model, meta = load_checkpoint(Path(cfg.run) / "model.pt")
    if "decision" not in meta:
        raise ValueError(f"{cfg.run}: its checkpoint has no decision rule (trained before 'none of these' existed)")
    data = DataConfig.from_checkpoint(meta, cfg.data)
    classes = list(meta["labels"])
    items, _, va_idx = prepare(data, log)
    net = ChannelsLast(model.eval())
    tf = eval_transform(meta["preprocess"])

    def z_of(its) -> list[list[float]]:
        return [[round(float(v), 4) for v in row] for row in logits(net, ImageDataset(its, tf), cfg.bs, False)]

    valid = items.subset(va_idx)
    sets = {"valid": {"what": "validation bears", "targets": [classes.index(lab) for lab in valid.labels],
                      "logits": z_of(valid)}}
    neg = negatives(data, log)
    if neg is not None:
        sets["not_bears"] = {"what": "photos of no bear", "logits": z_of(neg.items("test", classes))}
    rule = meta["decision"]
    out = {"about": __doc__.strip().splitlines()[0], "run": portable(cfg.run), "classes": classes,
           "thresholds": [round(float(t), 4) for t in rule["thresholds"]], "sure": float(rule["sure"]),
           "sets": {name: {**s, "n": len(s["logits"])} for name, s in sets.items()}}
    out["summary"] = summarise(out["sets"], out["thresholds"], out["sure"], len(classes))
    dest = Path(cfg.dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    counts = ", ".join(f"{name} {s['n']}" for name, s in out["sets"].items())
    log(f"logits of {counts} photos -> {portable(dest)}")
    return out
