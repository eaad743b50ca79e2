"""The one-cycle policy as two plain functions of the step number.

Training itself uses `torch.optim.lr_scheduler.OneCycleLR`; this file writes the
same curve out by hand so a reader can see what it does (and the tests check the
two agree at every step, for the learning rate and the momentum):

- warm-up (the first `pct_start` of the steps): lr rises from max_lr/div_factor to
  max_lr along half a cosine, while momentum falls from max_momentum to base_momentum;
- annealing (the rest): lr falls along half a cosine to max_lr/div_factor/final_div_factor,
  while momentum climbs back to max_momentum.

High lr with low momentum in the middle explores; the long tail at tiny lr settles
into a good spot. (With Adam, "momentum" is beta1.)
"""

from __future__ import annotations

import math


# --8<-- [start:one_cycle]
def cos_anneal(start: float, end: float, pct: float) -> float:
    """Half a cosine from `start` (pct=0) to `end` (pct=1)."""
    return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)


def one_cycle(step: int, total_steps: int, max_lr: float, pct_start: float = 0.3,
              div_factor: float = 25.0, final_div_factor: float = 1e4,
              base_momentum: float = 0.85, max_momentum: float = 0.95) -> tuple[float, float]:
    """(lr, momentum) at `step` (0-based) of a one-cycle schedule of `total_steps` steps."""
    initial_lr = max_lr / div_factor
    min_lr = initial_lr / final_div_factor
    warmup_end = pct_start * total_steps - 1  # the step where lr peaks (may be fractional)
    if step <= warmup_end:
        pct = step / warmup_end
        return (cos_anneal(initial_lr, max_lr, pct), cos_anneal(max_momentum, base_momentum, pct))
    pct = (step - warmup_end) / (total_steps - 1 - warmup_end)
    return (cos_anneal(max_lr, min_lr, pct), cos_anneal(base_momentum, max_momentum, pct))
# --8<-- [end:one_cycle]


# --8<-- [start:discriminative_lrs]
def discriminative_lrs(lr_lo: float, lr_hi: float, n_groups: int) -> list[float]:
    """The lesson's lr=slice(lo, hi): geometrically spaced from lo (first layers) to hi (head)."""
    if n_groups == 1:
        return [lr_hi]
    ratio = (lr_hi / lr_lo) ** (1 / (n_groups - 1))
    return [lr_lo * ratio**i for i in range(n_groups)]
# --8<-- [end:discriminative_lrs]
