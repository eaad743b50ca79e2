"""Fit a line by gradient descent in PyTorch: the lesson's "SGD from scratch".

100 points ``x`` (a column of uniform(-1, 1) and a column of ones), true
``a = (3, 2)``, ``y = x@a + noise``; start from ``a = (-1, 1)`` and take steps
against the gradient of the mean squared error.

    python -m training.sgd_linear                        # lr 0.1, 100 steps, all points each step
    python -m training.sgd_linear --lr 1.5               # too high: every step overshoots, the loss explodes
    python -m training.sgd_linear --lr 0.01              # too low: 100 steps end far from the best line
    python -m training.sgd_linear --batch_size 10        # mini-batch SGD: 10 random points a step
    python -m training.sgd_linear --lr 0.01 --momentum 0.9  # momentum: a slow lr gets there anyway
    python -m training.sgd_linear --json - --gif fit.gif # trajectory as JSON on stdout, animation as GIF

The figures and recorded runs the site shows come from one command:

    python -m training.sgd_linear --site docs/assets/sgd
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from training.options import add_options, from_args, opt
from training.sgd_core import batches

OUTPUTS = ("json", "gif", "site")  # where results go: not part of the experiment's config


@dataclass
class Config:
    """The experiment, and where its results go."""

    n: int = opt(100, "number of points: the lesson's 100, enough to see the line, few enough to draw")
    lr: float = opt(0.1, "learning rate, the size of each step: the lesson's value reaches the best line within 100 steps")
    steps: int = opt(100, "number of updates: with lr 0.1 the loss has flattened out well before this")
    batch_size: int = opt(0, "points per step: 0 = all of them (gradient descent); k = mini-batch SGD")
    momentum: float = opt(0.0, "keep this share of the previous step: 0 = the lesson's plain step; 0.9 is common")
    seed: int = opt(42, "random seed: the same seed gives the same points and the same mini-batches")
    json: str | None = opt(None, "write the trajectory as JSON to this path ('-' for stdout)")
    gif: str | None = opt(None, "write the animation as a GIF to this path (a fallback that needs no JavaScript)")
    site: str | None = opt(None, "write every recorded run and figure the site uses into this folder", metavar="DIR")


# --8<-- [start:make_data]
def make_data(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The lesson's data: x is [uniform(-1, 1), 1] per row, y = x@(3, 2) + uniform(0, 1) noise."""
    g = torch.Generator().manual_seed(seed)
    x = torch.ones(n, 2)
    x[:, 0].uniform_(-1.0, 1, generator=g)
    a = torch.tensor([3.0, 2])
    y = x @ a + torch.rand(n, generator=g)
    return x, y
# --8<-- [end:make_data]


# --8<-- [start:mse]
def mse(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((y_hat - y) ** 2).mean()
# --8<-- [end:mse]


# --8<-- [start:update]
def update(a: torch.Tensor, xb: torch.Tensor, yb: torch.Tensor, lr: float) -> float:
    y_hat = xb @ a  # predictions: the matrix product of the inputs and the coefficients
    loss = mse(y_hat, yb)
    loss.backward()  # fills a.grad with d loss / d a
    with torch.no_grad():  # the step itself is not part of the model: don't track it
        a.sub_(lr * a.grad)  # in place (the trailing _): move against the gradient
        a.grad.zero_()  # backward() adds to .grad, so clear it for the next step
    return loss.item()
# --8<-- [end:update]


# --8<-- [start:update_momentum]
def update_momentum(a: torch.Tensor, v: torch.Tensor, xb: torch.Tensor, yb: torch.Tensor,
                    lr: float, momentum: float) -> float:
    loss = mse(xb @ a, yb)
    loss.backward()
    with torch.no_grad():
        v.mul_(momentum).add_(a.grad)  # the velocity: this gradient plus a fading sum of the earlier ones
        a.sub_(lr * v)  # step along the velocity instead of the bare gradient
        a.grad.zero_()
    return loss.item()
# --8<-- [end:update_momentum]


def fit(x: torch.Tensor, y: torch.Tensor, cfg: Config) -> dict:
    """Run cfg.steps updates; record a and the full-data loss after every step.

    Returns the JSON the site reads: a[k] and loss[k] after k steps (a[0] is the
    start), the least-squares optimum for comparison, and the data itself.
    """
    a = torch.nn.Parameter(torch.tensor([-1.0, 1]))
    v = torch.zeros_like(a)  # the velocity, used only with momentum
    trajectory, losses, diverged = [a.tolist()], [mse(x @ a, y).item()], False
    for idx in batches(len(y), cfg.batch_size, cfg.steps, cfg.seed):
        idx = torch.tensor(idx)
        if cfg.momentum:
            update_momentum(a, v, x[idx], y[idx], cfg.lr, cfg.momentum)
        else:
            update(a, x[idx], y[idx], cfg.lr)
        loss = mse(x @ a, y).item()
        if not (math.isfinite(loss) and torch.isfinite(a).all()):
            diverged = True  # the loss overflowed: nothing more to learn from this run
            break
        trajectory.append(a.tolist())
        losses.append(loss)
    best = torch.linalg.lstsq(x, y[:, None]).solution[:, 0]
    return {
        "config": {k: v for k, v in asdict(cfg).items() if k not in OUTPUTS},
        "a": trajectory,
        "loss": losses,
        "diverged": diverged,
        "optimum_a": best.tolist(),
        "optimum_loss": mse(x @ best, y).item(),
        "x": x.tolist(),
        "y": y.tolist(),
    }


def save_gif(run: dict, path: str | Path, frames: int = 40) -> None:
    """Animate the fit (points + current line | loss so far) and save it as a GIF."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    xs = [row[0] for row in run["x"]]
    steps = len(run["a"]) - 1
    shown = sorted({round(i * steps / (frames - 1)) for i in range(frames)})
    fig, (ax, ax_loss) = plt.subplots(1, 2, figsize=(6.4, 2.6), dpi=80)
    ax.scatter(xs, run["y"], s=8, color="#8d6e63")
    (line,) = ax.plot([-1, 1], [0, 0], color="#e65100", lw=2)
    ax.set(xlim=(-1.05, 1.05), ylim=(min(run["y"]) - 1, max(run["y"]) + 1), xlabel="x", ylabel="y")
    title = ax.set_title("", fontsize=9)
    (curve,) = ax_loss.plot([], [], color="#e65100")
    ax_loss.set(xlim=(0, max(steps, 1)), yscale="log", xlabel="step", ylabel="MSE (log)")
    ax_loss.set_ylim(min(run["loss"]) * 0.8, max(run["loss"]) * 1.2)
    fig.tight_layout()

    def draw(k):
        a0, a1 = run["a"][k]
        line.set_data([-1, 1], [a1 - a0, a1 + a0])
        curve.set_data(range(k + 1), run["loss"][: k + 1])
        title.set_text(f"step {k}: a = ({a0:.2f}, {a1:.2f}), loss {run['loss'][k]:.3g}")
        return line, curve, title

    FuncAnimation(fig, draw, frames=shown, blit=False).save(str(path), writer=PillowWriter(fps=10))
    plt.close(fig)


def save_lr_figure(runs: dict[str, dict], path: str | Path) -> None:
    """Loss per step for several learning rates on one log-scale plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.2), dpi=90)
    for label, run in runs.items():
        ax.plot(run["loss"], label=label)
    ax.axhline(next(iter(runs.values()))["optimum_loss"], color="gray", ls="--", lw=1, label="best possible")
    start = next(iter(runs.values()))["loss"][0]
    ax.set(yscale="log", xlabel="step", ylabel="MSE on all points (log scale)")
    ax.set_ylim(next(iter(runs.values()))["optimum_loss"] * 0.5, start * 1e3)  # a diverging run leaves the top
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def save_momentum_figure(runs: dict[str, dict], path: str | Path) -> None:
    """Paths of a over the loss surface (left) and loss per step (right), with and without momentum."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    first = next(iter(runs.values()))
    x, y = torch.tensor(first["x"]), torch.tensor(first["y"])
    pts = torch.cat([torch.tensor(r["a"]) for r in runs.values()])
    (lo0, lo1), (hi0, hi1) = (pts.min(0).values - 0.3).tolist(), (pts.max(0).values + 0.3).tolist()
    g0, g1 = torch.meshgrid(torch.linspace(lo0, hi0, 120), torch.linspace(lo1, hi1, 120), indexing="ij")
    grid = torch.stack([g0.flatten(), g1.flatten()], 1)
    surface = ((grid @ x.T - y) ** 2).mean(1).reshape(g0.shape)
    fig, (ax, ax_loss) = plt.subplots(1, 2, figsize=(7.6, 3.3), dpi=90)
    ax.contour(g0, g1, surface, levels=torch.logspace(-1.1, 1.2, 12).tolist(), colors="0.75", linewidths=0.7)
    for label, run in runs.items():
        a = torch.tensor(run["a"])
        ls = "-" if run["config"]["momentum"] else "--"
        (line,) = ax.plot(a[:, 0], a[:, 1], ls, lw=1.3, marker=".", ms=2.5, label=label)
        ax_loss.plot(run["loss"], ls, color=line.get_color(), label=label)
    ax.plot(*first["optimum_a"], "k*", ms=9, label="best a")
    ax.set(xlabel="a[0] (slope)", ylabel="a[1] (intercept)", title="where a goes", xlim=(lo0, hi0), ylim=(lo1, hi1))
    ax_loss.axhline(first["optimum_loss"], color="gray", ls=":", lw=1)
    ax_loss.set(yscale="log", xlabel="step", ylabel="MSE (log scale)", title="loss per step")
    ax_loss.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def curvature(x: torch.Tensor, momenta: tuple[float, ...] = (0.5, 0.9)) -> dict:
    """The curvature of the MSE over a, which limits the learning rate of gradient descent.

    The loss is quadratic in a, so its Hessian is the same everywhere: 2/n·xᵀx. Along the
    eigenvector of its largest eigenvalue λmax (the steepest direction) a step on all the
    points multiplies the distance to the best a by (1 - lr·λmax): past lr = 2/λmax every
    step overshoots by more than it started. With momentum β the limit is 2(1 + β)/λmax.
    """
    x = x.double()
    hessian = 2 / len(x) * x.T @ x
    values, vectors = torch.linalg.eigh(hessian)
    lam_min, lam_max = values.tolist()
    return {"hessian": hessian.tolist(), "lambda_min": lam_min, "lambda_max": lam_max, "condition": lam_max / lam_min,
            "steepest": vectors[:, 1].tolist(), "lr_limit": 2 / lam_max, "lr_one_step": 1 / lam_max,
            "lr_limit_momentum": {str(b): 2 * (1 + b) / lam_max for b in momenta}}


def write_site_assets(folder: str | Path, figures: bool = True) -> None:
    """The recorded runs and figures the SGD page shows (see the module docstring).
    figures=False: the runs' JSON only (the figures are drawn from them; drawing takes seconds)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    runs = {}
    for name, lr, bs, mom in [("lr0.1", 0.1, 0, 0.0), ("lr0.01", 0.01, 0, 0.0), ("lr1.5", 1.5, 0, 0.0),
                              ("lr0.1_bs10", 0.1, 10, 0.0), ("lr0.01_mom0.9", 0.01, 0, 0.9),
                              ("lr0.1_mom0.9", 0.1, 0, 0.9),
                              # either side of the limit 2/λmax (about 1.0 on these points), and
                              # momentum moving the limit past 1.5 (curvature.json)
                              ("lr0.9", 0.9, 0, 0.0), ("lr1.0", 1.0, 0, 0.0), ("lr1.5_mom0.9", 1.5, 0, 0.9)]:
        cfg = Config(lr=lr, batch_size=bs, momentum=mom)
        runs[name] = fit(*make_data(cfg.n, cfg.seed), cfg)
    (folder / "fit.json").write_text(json.dumps(runs["lr0.1"]))
    # what the momentum widget plays while Python loads: the widget's default settings, momentum 0.9
    (folder / "momentum.json").write_text(json.dumps(runs["lr0.1_mom0.9"]))
    if figures:
        save_figures(runs, folder)
    summary = {k: {"lr": r["config"]["lr"], "batch_size": r["config"]["batch_size"], "momentum": r["config"]["momentum"],
                   "final_loss": r["loss"][-1], "min_loss": min(r["loss"]), "start_loss": r["loss"][0],
                   "final_a": r["a"][-1], "diverged": r["diverged"], "optimum_loss": r["optimum_loss"]}
               for k, r in runs.items()}
    (folder / "summary.json").write_text(json.dumps(summary, indent=1))
    x, _ = make_data(Config.n, Config.seed)
    (folder / "curvature.json").write_text(json.dumps(curvature(x), indent=1))


def save_figures(runs: dict, folder: Path) -> None:
    """The page's PNG figures and the GIF, from write_site_assets' runs."""
    save_momentum_figure({f"lr {r['config']['lr']}" + (f", momentum {r['config']['momentum']}" if r["config"]["momentum"]
                                                       else ", no momentum"): r
                          for k, r in runs.items() if k in ("lr0.01", "lr0.01_mom0.9", "lr0.1", "lr0.1_mom0.9")},
                         folder / "momentum.png")
    save_gif(runs["lr0.1"], folder / "fit.gif")
    save_lr_figure({f"lr {r['config']['lr']}": r for k, r in runs.items() if k in ("lr0.1", "lr0.01", "lr1.5")},
                   folder / "learning_rates.png")
    save_lr_figure({"all 100 points a step": runs["lr0.1"], "10 random points a step": runs["lr0.1_bs10"]},
                   folder / "minibatch.png")


def parse_args(argv: list[str] | None = None) -> Config:
    p = argparse.ArgumentParser(prog="python -m training.sgd_linear", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_options(p, Config)
    cfg = from_args(Config, p.parse_args(argv))
    if cfg.steps < 0 or cfg.n < 2 or cfg.batch_size < 0 or not 0 <= cfg.momentum < 1:
        p.error("--steps must be >= 0, --n >= 2, --batch_size >= 0 and 0 <= --momentum < 1")
    return cfg


def main(argv: list[str] | None = None) -> dict | None:
    cfg = parse_args(argv)
    if cfg.site:
        write_site_assets(cfg.site)
        print(f"wrote the site's SGD runs and figures to {cfg.site}", file=sys.stderr)
        return None
    run = fit(*make_data(cfg.n, cfg.seed), cfg)
    a0, a1 = run["a"][-1]
    print(f"lr {cfg.lr}, {len(run['a']) - 1} steps: a = ({a0:.4f}, {a1:.4f}), loss {run['loss'][-1]:.5g} "
          f"(best possible {run['optimum_loss']:.5g}){', DIVERGED' if run['diverged'] else ''}", file=sys.stderr)
    if cfg.json == "-":
        json.dump(run, sys.stdout)
        sys.stdout.write("\n")
    elif cfg.json:
        Path(cfg.json).write_text(json.dumps(run))
    if cfg.gif:
        save_gif(run, cfg.gif)
    return run


if __name__ == "__main__":
    main()
