"""The answer the page gives: a label, "none of these", or "not sure" (the one implementation).

A softmax over three labels always names one of them, so it cannot say "there is no bear
here". The rule below is Lesson 3's multi-label idea applied to our labels: every label
gets its own yes/no, a threshold on its own score (its logit, the head's output before
softmax; sigmoid(logit) >= sigmoid(threshold) is the same test), so every label can say no:

    1. a label is *present* when its logit >= its threshold;
    2. no label present                       -> "none of these"  (code: n_labels)
    3. otherwise the present label with the highest logit; if softmax gives it less than
       `sure` of the probability (another label is nearly as likely) -> "not sure"
       (code: n_labels + 1); else that label (code: its index).

The thresholds come from the validation split, per label: the `quantile` (5%) of the
logits that label's own validation photos got, moved down by `slack` (half) of its size,
so almost every bear clears its own label's bar while photos of anything else (which get
logits near zero from rows trained to spot bears) stay under it. The share of bears left
out is measured, not assumed: on photos of another source (source-held-out folds) and on
shrunken "distant" views of them. `Decide` is an nn.Module, so the same operations run in
PyTorch (training reports these rates) and, exported into the ONNX graph (export/graph.py),
in the browser and in `python -m export.predict`: one rule, one implementation (answers.py turns
its codes into words).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from training.options import opt


@dataclass
class DecisionConfig:
    """The "none of these" / "not sure" rule (decision.py): its thresholds come from the validation split."""

    quantile: float = opt(0.05, "per label, the share of its own validation photos whose logit the threshold is "
                          "read at (then lowered by --slack): few bears, but not the strangest one, set the bar")
    slack: float = opt(0.5, "threshold = quantile - slack x |quantile|: half way to zero leaves out 0.7%% of held-out "
                       "bears and 99%% of not_bears, where the bare quantile left out 12%% of bears and 58%% of "
                       "bears shrunk in the frame (measured on EfficientNet-Lite0 logits)")
    sure: float = opt(2 / 3, "the named label must have at least this softmax probability, i.e. be twice as likely "
                      "as the others together; below it the answer is 'not sure'")


# --8<-- [start:thresholds]
def thresholds(logits: torch.Tensor, targets: torch.Tensor, n_labels: int, quantile: float = 0.05,
               slack: float = 0.5) -> list[float]:
    """Per label k: Q = the `quantile` of the logit k that label k's photos got, then Q - slack * |Q|.

    A label without validation photos gets the same rule on every photo's own-label logit."""
    targets = torch.as_tensor(targets)
    out = []
    for k in range(n_labels):
        own = logits[targets == k, k]
        if len(own) == 0:
            own = logits[torch.arange(len(targets)), targets]
        q = float(torch.quantile(own.float(), quantile))
        out.append(q - slack * abs(q))
    return out
# --8<-- [end:thresholds]


# --8<-- [start:decide]
class Decide(nn.Module):
    """logits (N, K) -> probabilities (N, K) (softmax), decision (N,) int32: label index, K (none), K + 1 (not sure)."""

    def __init__(self, thresholds: list[float], sure: float):
        super().__init__()
        self.register_buffer("thresholds", torch.tensor(thresholds, dtype=torch.float32).view(1, -1))
        self.register_buffer("sure", torch.tensor(float(sure), dtype=torch.float32))

    def forward(self, logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        k = logits.shape[1]
        probs = torch.softmax(logits, dim=1)
        present = logits >= self.thresholds
        lowest = torch.full_like(logits, torch.finfo(logits.dtype).min)
        top = torch.where(present, logits, lowest).argmax(dim=1, keepdim=True)
        p_top = probs.gather(1, top).squeeze(1)
        named = torch.where(p_top >= self.sure, top.squeeze(1), torch.full_like(top.squeeze(1), k + 1))
        decision = torch.where(present.any(dim=1), named, torch.full_like(named, k))
        return probs, decision.to(torch.int32)
# --8<-- [end:decide]


def rates(decision: torch.Tensor, targets: torch.Tensor | None, n_labels: int) -> dict:
    """What a rule did on a set of photos. targets None: photos of none of the labels.

    none / unsure / unlabelled: shares left without a label (as "none of these", as "not
    sure", either); for bears also accuracy_labelled (right among those named) and accuracy
    (right among all: a bear left unlabelled counts as wrong); for no-bear photos, named_as:
    the share given each label."""
    d = torch.as_tensor(decision).long()
    n = len(d)
    if n == 0:
        return {"n": 0}
    named = d < n_labels
    out = {"n": n, "none": float((d == n_labels).float().mean()), "unsure": float((d == n_labels + 1).float().mean()),
           "unlabelled": float((~named).float().mean())}
    if targets is None:
        out["named_as"] = [float((d == k).float().mean()) for k in range(n_labels)]
    else:
        right = named & (d == torch.as_tensor(targets).long())
        out["accuracy_labelled"] = float(right.sum() / named.sum()) if named.any() else None
        out["accuracy"] = float(right.float().mean())
    return out
