"""One file holds everything needed to use a trained model (the lesson's `export`).

    {"format": "lesson2-bears/1", "arch": ..., "labels": [...] (output order),
     "preprocess": {"resize", "crop", "mean", "std"}, "state_dict": ...,
     "metrics": {"valid_error_rate", "valid_accuracy", "valid_loss", ...},
     "report": "<the run's report folder>"}

`load_checkpoint(path)` needs nothing but that file: it rebuilds the architecture
without downloading anything (pretrained=False) and loads the trained weights.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from training.bears.model import build_model

FORMAT = "lesson2-bears/1"
REQUIRED = ("arch", "labels", "preprocess", "metrics", "report")


def save_checkpoint(path: str | Path, model: nn.Module, meta: dict) -> Path:
    """Write model weights + meta (arch, labels, preprocess, metrics, report) to `path`."""
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise ValueError(f"checkpoint meta is missing {missing}")
    pre = meta["preprocess"]
    for k in ("resize", "crop", "mean", "std"):
        if k not in pre:
            raise ValueError(f"checkpoint preprocess is missing {k!r}")
    blob = {
        "format": FORMAT,
        "arch": str(meta["arch"]),
        "labels": [str(x) for x in meta["labels"]],
        "preprocess": {"resize": int(pre["resize"]), "crop": int(pre["crop"]),
                       "mean": [float(x) for x in pre["mean"]], "std": [float(x) for x in pre["std"]]},
        "metrics": {k: _plain(v) for k, v in meta["metrics"].items()},
        "report": str(meta["report"]),
        "state_dict": {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()},
    }
    for k, v in meta.items():  # extra JSON-like fields (e.g. "config") are kept as they are
        blob.setdefault(k, v)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(blob, tmp)
    os.replace(tmp, path)  # atomic: a crash mid-write never leaves a half checkpoint
    return path


def load_checkpoint(path: str | Path) -> tuple[nn.Module, dict]:
    """-> (model in eval mode, meta without the state_dict)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path} (train one: python -m training.bears train)")
    blob = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        got = blob.get("format") if isinstance(blob, dict) else type(blob).__name__
        raise ValueError(f"{path} is not a {FORMAT} checkpoint (format: {got!r})")
    model = build_model(blob["arch"], len(blob["labels"]), pretrained=False)
    model.load_state_dict(blob["state_dict"])
    meta = {k: v for k, v in blob.items() if k != "state_dict"}
    return model.eval(), meta


def _plain(v):
    if isinstance(v, torch.Tensor):
        return v.item() if v.numel() == 1 else v.tolist()
    return v
