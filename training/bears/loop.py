"""The training loop: one-cycle training, evaluation and prediction, and the wrappers they run.

- fit_one_cycle: AdamW + torch's OneCycleLR over some epochs, one max_lr per layer group,
  every batch's lr, momentum and loss logged (the site's charts draw them);
- losses: cross-entropy (one softmax over the labels) or binary cross-entropy (one sigmoid per
  label, Lesson 3's multi-label loss, where a negative photo is "no" for every label);
- evaluate / predict / logits: validation loss and error rate; log-probabilities or raw logits for a data set;
- ChannelsLast: the body on NHWC tensors (much faster convolutions on a CPU);
- FrozenBodyHead: the head trained on augmented photos through a frozen body (no cache).
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader
from tqdm import tqdm

from training.bears.data import oversampler
from training.bears.model import freeze_bn as freeze_batchnorm


def log(msg: str) -> None:
    """Print a line without breaking a progress bar."""
    tqdm.write(msg)


def train_loader(ds, targets: list[int], bs: int, generator: torch.Generator, oversample: bool = False,
                 seed: int = 0) -> DataLoader:
    """Shuffled batches in the generator's order, or (oversample) every label drawn equally often."""
    if oversample:
        return DataLoader(ds, batch_size=bs, sampler=oversampler(targets, seed))
    return DataLoader(ds, batch_size=bs, shuffle=True, generator=generator)


# --8<-- [start:losses]
def bce(logits: torch.Tensor, targets: torch.Tensor, label_smoothing: float = 0.0, reduction: str = "mean"):
    """One sigmoid per label: target 1 for the photo's label, 0 for the others. Target index
    n_labels (a photo of none of the labels) is 0 for every label. Smoothing pulls targets
    toward 1/2 by label_smoothing/2."""
    k = logits.shape[1]
    t = F.one_hot(targets, k + 1)[:, :k].float()
    if label_smoothing:
        t = t * (1 - label_smoothing) + label_smoothing / 2
    per_photo = F.binary_cross_entropy_with_logits(logits, t, reduction="none").mean(1)
    return per_photo.sum() if reduction == "sum" else per_photo.mean()


def loss_function(name: str = "ce", label_smoothing: float = 0.0):
    """'ce' (softmax + cross-entropy) or 'bce' (a sigmoid per label): (logits, targets, reduction) -> loss."""
    if name == "ce":
        return lambda out, y, reduction="mean": F.cross_entropy(out, y, label_smoothing=label_smoothing,
                                                                reduction=reduction)
    if name == "bce":
        return lambda out, y, reduction="mean": bce(out, y, label_smoothing, reduction)
    raise ValueError(f"--loss must be 'ce' or 'bce', not {name!r}")
# --8<-- [end:losses]


@torch.no_grad()
def evaluate(model: nn.Module, dl: DataLoader, loss_fn=F.cross_entropy) -> dict:
    model.eval()
    tot, wrong, n = 0.0, 0, 0
    for xb, yb in dl:
        out = model(xb)
        tot += loss_fn(out, yb, reduction="sum").item()
        wrong += (out.argmax(1) != yb).sum().item()
        n += len(yb)
    err = wrong / max(n, 1)
    return {"valid_loss": tot / max(n, 1), "error_rate": err, "accuracy": 1 - err}


# --8<-- [start:fit_one_cycle]
def fit_one_cycle(model: nn.Module, groups: list[list[nn.Parameter]], max_lr: list[float], epochs: int,
                  train_dl: DataLoader, valid_dl: DataLoader, stage: str, history: dict,
                  pct_start: float = 0.25, wd: float = 0.01, progress: bool = True, freeze_bn: bool = False,
                  loss_fn=F.cross_entropy) -> None:
    """AdamW + OneCycleLR over `epochs`; one lr per parameter group; logs every batch and epoch.

    freeze_bn: BatchNorm layers stay in eval mode (ImageNet running statistics, not the batch's).
    loss_fn: (logits, targets) -> loss (loss_function: cross-entropy or a sigmoid per label)."""
    total = epochs * len(train_dl)
    if total < 2:
        raise ValueError(f"{stage}: one cycle needs at least 2 steps, got {total} (more epochs or a smaller bs)")
    # OneCycleLR divides by the warm-up length (pct_start * total - 1): keep it positive on tiny runs.
    pct_start = max(pct_start, 1.5 / total)
    opt = torch.optim.AdamW([{"params": g} for g in groups], lr=max_lr[-1], betas=(0.9, 0.99), weight_decay=wd)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=max_lr, total_steps=total, pct_start=pct_start,
        base_momentum=0.85, max_momentum=0.95)  # cycles Adam's beta1 opposite to the lr
    for epoch in range(epochs):
        t0, losses = time.perf_counter(), []
        model.train()
        if freeze_bn:
            freeze_batchnorm(model)
        bar = tqdm(train_dl, desc=f"{stage} {epoch + 1}/{epochs}", disable=not progress, leave=False)
        for xb, yb in bar:
            lrs, mom = [g["lr"] for g in opt.param_groups], opt.param_groups[-1]["betas"][0]
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
            history["batches"].append({"stage": stage, "epoch": epoch, "lr": lrs[-1], "lrs": lrs, "mom": mom,
                                       "loss": losses[-1]})
            bar.set_postfix(loss=f"{losses[-1]:.3f}")
        row = {"stage": stage, "epoch": epoch, "train_loss": sum(losses) / len(losses),
               **evaluate(model, valid_dl, loss_fn),
               "time": round(time.perf_counter() - t0, 2)}
        history["epochs"].append(row)
        log(f"{stage:>8} epoch {epoch + 1}/{epochs}  train_loss {row['train_loss']:.4f}  "
            f"valid_loss {row['valid_loss']:.4f}  error_rate {row['error_rate']:.4f}  "
            f"accuracy {row['accuracy']:.4f}  time {row['time']:.1f}s")
# --8<-- [end:fit_one_cycle]


@torch.no_grad()
def logits(model, dataset, bs: int = 32, progress: bool = True, desc: str = "predict") -> torch.Tensor:
    """The raw outputs (N, C) for every item of `dataset`, in order (what the decision rule reads)."""
    model.eval()
    out = []
    for xb, _ in tqdm(DataLoader(dataset, batch_size=bs), desc=desc, disable=not progress, leave=False):
        out.append(model(xb))
    return torch.cat(out) if out else torch.zeros(0, 0)


def predict(model, dataset, bs: int = 32, progress: bool = True, desc: str = "predict") -> torch.Tensor:
    """Log-probabilities (N, C) for every item of `dataset`, in order.

    Logs, not probabilities: a badly trained model's probabilities underflow to 0, and
    the loss computed from them would be capped; log_softmax keeps it exact."""
    z = logits(model, dataset, bs, progress, desc)
    return z.log_softmax(1) if len(z) else z


class ChannelsLast(nn.Module):
    """Feed the body NHWC tensors: 2-5x faster convolutions on CPU for this network."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x.contiguous(memory_format=torch.channels_last))


class FrozenBodyHead(nn.Module):
    """Stage 1 without precomputing: the body runs (eval mode, no grad) on augmented photos."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        self.model.body.eval()
        with torch.no_grad():
            f = self.model.body(x.contiguous(memory_format=torch.channels_last))
        return self.model.head(f)
