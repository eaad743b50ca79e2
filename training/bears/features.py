"""The body's activations for every photo, computed once and cached on disk.

With the body frozen, the head only ever sees the body's output for each photo
(through the eval transform: no augmentation), so that output can be computed once
and the head trained on it directly: the lesson's `learn.fit_one_cycle(4)` on a
frozen model, but seconds instead of minutes on a CPU because the body never runs
again. The cache lives under runs/cache/ (one file per data set, size and body).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm import tqdm

from training.bears.data import ImageDataset, Items
from training.bears.images import eval_transform
from training.paths import RUNS


# --8<-- [start:features]
@torch.no_grad()
def body_features(body: nn.Module, items: Items, pre: dict, key: str, bs: int = 64,
                  cache_dir: Path | None = RUNS / "cache", progress: bool = True, view=None) -> torch.Tensor:
    """The body's output for every image (eval transform, no augmentation), cached on disk.

    The cache key covers the architecture, the preprocessing, the view (a PIL -> PIL function
    applied first, e.g. images.distant; named by its function name) and every file's path,
    size and modification time, so any change recomputes.
    """
    stats = [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in items.files]
    parts = [key, pre, stats] + ([view.__name__] if view else [])
    digest = hashlib.sha1(json.dumps(parts).encode()).hexdigest()[:16]
    path = cache_dir / f"features-{digest}.pt" if cache_dir else None
    if path and path.exists():
        return torch.load(path, weights_only=True)
    body.eval()
    ds = ImageDataset(items, eval_transform(pre, view))
    # its own generator: a DataLoader without one draws a seed from torch's global RNG, so whether the
    # cache was hit would change the dropout masks (and the lr-find curve) of what runs next
    dl = DataLoader(ds, batch_size=bs, generator=torch.Generator())
    feats = [body(xb.contiguous(memory_format=torch.channels_last))
             for xb, _ in tqdm(dl, desc="body activations", disable=not progress, leave=False)]
    feats = torch.cat(feats)
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(feats, path)
    return feats
# --8<-- [end:features]


def weights_digest(module: nn.Module) -> str:
    """A short hash of a module's weights (names, shapes, values)."""
    h = hashlib.sha1()
    for k, v in module.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def body_key(arch: str, body_sha1: str | None = None) -> str:
    """The cache key of a body: ImageNet's weights for `arch`, or (body_sha1) a body trained
    since (train --init), whose activations are not ImageNet's and get their own entry."""
    return arch if body_sha1 is None else f"{arch}:{body_sha1}"
