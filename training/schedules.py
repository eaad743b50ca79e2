"""Learning-rate schedules side by side: constant, one-cycle, cosine annealing with restarts.

    python -m training.schedules --site docs/assets/schedules   # schedules.json + schedules.png

- constant: the lesson's SGD from scratch, one lr for every step;
- one-cycle (training/bears/schedule.py, what the bear classifier trains with): lr warms
  up, then anneals to almost nothing, while momentum moves the opposite way;
- cosine annealing with warm restarts (SGDR): lr falls along half a cosine, then jumps
  back up and starts again, each cycle `t_mult` times longer than the one before (the
  older fastai's `cycle_len` / `cycle_mult`). A restart can throw the weights out of a
  narrow dip into a wider, better one.

Both curves are written out by hand here; the tests check them against
torch.optim.lr_scheduler (OneCycleLR, CosineAnnealingWarmRestarts) at every step.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from training.bears.schedule import cos_anneal, one_cycle
from training.options import add_options, from_args, opt


@dataclass
class Config:
    """The schedules drawn."""

    steps: int = opt(140, "steps drawn: enough for three restart cycles of 20, 40 and 80 steps")
    max_lr: float = opt(3e-3, "the highest lr of every schedule: the lesson's default learning rate")
    pct_start: float = opt(0.25, "one-cycle's share of steps spent warming up: the bear classifier's")
    t_0: int = opt(20, "length of the first cosine cycle, in steps")
    t_mult: int = opt(2, "each cosine cycle is this many times longer than the last")
    eta_min: float = opt(0.0, "the lowest lr of a cosine cycle")


# --8<-- [start:cosine_restarts]
def cosine_restarts(step: int, max_lr: float, t_0: int, t_mult: int = 1, eta_min: float = 0.0) -> float:
    """lr at `step` of cosine annealing with warm restarts: cycles of t_0, t_0*t_mult, ... steps."""
    length, start = t_0, 0
    while step >= start + length:  # find the cycle this step falls in
        start, length = start + length, length * t_mult
    return cos_anneal(max_lr, eta_min, (step - start) / length)
# --8<-- [end:cosine_restarts]


def schedules(cfg: Config) -> dict:
    """Every schedule's lr (and one-cycle's momentum) at every step, as the site's JSON."""
    cycle = [one_cycle(s, cfg.steps, cfg.max_lr, cfg.pct_start) for s in range(cfg.steps)]
    return {
        "config": asdict(cfg),
        "constant": [cfg.max_lr] * cfg.steps,
        "one_cycle": {"lr": [lr for lr, _ in cycle], "momentum": [m for _, m in cycle]},
        "cosine_restarts": [cosine_restarts(s, cfg.max_lr, cfg.t_0, cfg.t_mult, cfg.eta_min)
                            for s in range(cfg.steps)],
    }


def save_figure(s: dict, path: str | Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(9, 2.8), dpi=90, sharey=True)
    panels = [("constant", s["constant"]), ("one-cycle", s["one_cycle"]["lr"]),
              ("cosine with restarts", s["cosine_restarts"])]
    for ax, (title, lr) in zip(axes, panels):
        ax.plot(lr, color="C0")
        ax.set(title=title, xlabel="step")
    axes[0].set_ylabel("learning rate")
    mom = axes[1].twinx()
    mom.plot(s["one_cycle"]["momentum"], color="C1", ls="--")
    mom.set_ylabel("momentum (dashed)", color="C1")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


@dataclass
class Command:
    """The schedules (Config), and where they go."""

    schedule: Config = field(default_factory=Config)
    site: str | None = opt(None, "write schedules.json and schedules.png into this folder (default: print the JSON)",
                           metavar="DIR")


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="python -m training.schedules", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_options(p, Command)
    cmd = from_args(Command, p.parse_args(argv))
    site = cmd.site
    s = schedules(cmd.schedule)
    if site:
        Path(site).mkdir(parents=True, exist_ok=True)
        Path(site, "schedules.json").write_text(json.dumps(s))
        save_figure(s, Path(site) / "schedules.png")
    else:
        print(json.dumps(s))
    return s


if __name__ == "__main__":
    main()
