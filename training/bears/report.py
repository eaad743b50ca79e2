"""Every run's report folder: JSON for the site's widgets and PNG figures for people.

Files a run may write (all optional except report.json):
  report.json      config, data counts (all, training, validation), skipped images, per-stage
                   wall time, metrics, per-batch (loss, lr, momentum) and per-epoch history,
                   interpretation (confusion matrix, per-class recall/precision, most confused)
  lr_find.json/png the learning-rate finder's curve and suggestion
  schedule.png     lr (every layer group) and momentum as training ran
  losses.png       train loss per batch, train/valid loss per epoch, error rate per epoch
  confusion.png    confusion matrix
  top_losses.json  every validation prediction, worst first (file, label, pred, prob_pred,
                   prob_label, loss, probs = every label's probability)
  top_losses.png   thumbnails of those photos: local only, never copied into docs/
                   (the photos' licences do not allow republishing them)
  data_size.json/png  the data-size sweep (data_size.py), in its own folder
JSON is strict: NaN/inf (a diverged run) are written as null, floats rounded to 6 digits.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from training.bears.images import open_image  # noqa: E402
from training.paths import ROOT  # noqa: E402

DPI = 100  # small PNGs for the site
THUMBNAILS = 16  # photos in top_losses.png
# What may be copied into docs/assets/reports/<run>/: no figure that shows the photos.
PUBLISHABLE = ("report.json", "lr_find.json", "lr_find_unfrozen.json", "top_losses.json", "lr_find.png",
               "lr_find_unfrozen.png", "schedule.png", "losses.png", "confusion.png", "data_size.json", "data_size.png")


def clean_json(x):
    """JSON-safe copy: NaN/inf -> None, floats rounded, Paths -> str, tuples -> lists."""
    if isinstance(x, float):
        return None if not math.isfinite(x) else float(f"{x:.6g}")
    if isinstance(x, dict):
        return {str(k): clean_json(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean_json(v) for v in x]
    if isinstance(x, Path):
        return str(x)
    if isinstance(x, np.generic):
        return clean_json(x.item())
    return x


def write_json(path: str | Path, obj) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(clean_json(obj), indent=1, allow_nan=False) + "\n")
    return path


def save_figure(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _finite(v):
    return [np.nan if (x is None or not math.isfinite(x)) else x for x in v]


def plot_lr_find(res: dict, path: str | Path) -> Path:
    fig, ax = plt.subplots(figsize=(5, 3.4))
    ax.plot(res["lrs"], _finite(res["losses"]), color="0.75", lw=0.8, label="loss per batch")
    ax.plot(res["lrs"], res["smoothed"], color="C0", label="smoothed")
    if res.get("suggested_lr"):
        i = res["suggested_index"]
        ax.plot([res["lrs"][i]], [res["smoothed"][i]], "o", color="C3",
                label=f"steepest: {res['suggested_lr']:.1e}")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    lo = min(res["smoothed"]) if res["smoothed"] else 0
    hi = res["smoothed"][0] if res["smoothed"] else 1
    ax.set_ylim(max(0, lo - 0.1 * (hi - lo)), hi + 0.6 * (hi - lo) + 1e-3)
    ax.legend(fontsize=8)
    ax.set_title("learning-rate finder", fontsize=10)
    return save_figure(fig, Path(path))


def plot_schedule(batches: list[dict], path: str | Path) -> Path:
    stages = list(dict.fromkeys(b["stage"] for b in batches))
    fig, axes = plt.subplots(2, len(stages), figsize=(3.6 * len(stages), 4.2), squeeze=False)
    for j, st in enumerate(stages):
        bs = [b for b in batches if b["stage"] == st]
        steps = range(len(bs))
        lrs = np.array([b["lrs"] for b in bs])
        for g in range(lrs.shape[1]):
            lab = "head" if g == lrs.shape[1] - 1 else f"group {g}"
            axes[0, j].plot(steps, lrs[:, g], label=lab if lrs.shape[1] > 1 else None)
        axes[0, j].set_title(f"{st}: learning rate", fontsize=9)
        axes[0, j].set_yscale("log" if lrs.shape[1] > 1 else "linear")
        if lrs.shape[1] > 1:
            axes[0, j].legend(fontsize=7)
        axes[1, j].plot(steps, [b["mom"] for b in bs], color="C2")
        axes[1, j].set_title(f"{st}: momentum (Adam beta1)", fontsize=9)
        axes[1, j].set_xlabel("batch")
    return save_figure(fig, Path(path))


def plot_losses(batches: list[dict], epochs: list[dict], path: str | Path) -> Path:
    fig, (a, b) = plt.subplots(1, 2, figsize=(8, 3.2))
    x = np.arange(len(batches))
    a.plot(x, _finite([bt["loss"] for bt in batches]), color="0.6", lw=0.8, label="train (per batch)")
    # valid loss drawn at the batch index where each epoch ended
    ends, seen = [], 0
    for st in dict.fromkeys(bt["stage"] for bt in batches):
        n = sum(1 for bt in batches if bt["stage"] == st)
        eps = [e for e in epochs if e["stage"] == st]
        for k, _ in enumerate(eps):
            ends.append(seen + round(n * (k + 1) / len(eps)) - 1)
        seen += n
        if seen < len(batches):
            a.axvline(seen - 0.5, color="0.85", lw=0.8)
    a.plot(ends[:len(epochs)], _finite([e["valid_loss"] for e in epochs]), "o-", color="C1", label="valid (per epoch)")
    a.set_xlabel("batch")
    a.set_ylabel("loss")
    top = np.nanpercentile(_finite([bt["loss"] for bt in batches]) + _finite([e["valid_loss"] for e in epochs]), 98)
    if math.isfinite(top):
        a.set_ylim(0, top * 1.1 + 1e-3)
    a.legend(fontsize=8)
    ep = np.arange(1, len(epochs) + 1)
    b.plot(ep, _finite([e["error_rate"] for e in epochs]), "o-", color="C3")
    b.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    b.set_xlabel("epoch (all stages)")
    b.set_ylabel("valid error rate")
    errs = [e for e in _finite([e["error_rate"] for e in epochs]) if not math.isnan(e)]
    b.set_ylim(0, (max(errs) if errs else 1) * 1.15 + 1e-3)
    return save_figure(fig, Path(path))


def plot_confusion(cm: list[list[int]], classes: list[str], path: str | Path, title: str = "") -> Path:
    cm = np.array(cm)
    fig, ax = plt.subplots(figsize=(3.6, 3.4))
    ax.imshow(cm, cmap="Blues")
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center",
                    color="white" if cm[i, j] > cm.max() / 2 else "black")
    ax.set_xticks(range(len(classes)), classes, rotation=30)
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual")
    ax.set_title(title or "confusion matrix", fontsize=10)
    return save_figure(fig, Path(path))


def plot_top_losses(top: list[dict], root: Path, path: str | Path, n: int = THUMBNAILS) -> Path:
    """Thumbnails of the `n` worst predictions (files named relative to `root`): for local
    inspection only (see PUBLISHABLE)."""
    top = [{**t, "file": str(Path(root) / t["file"])} for t in top[:n]]
    cols = 4
    rows = max(1, math.ceil(len(top) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(2.4 * cols, 2.6 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, t in zip(axes.flat, top):
        try:
            im = open_image(t["file"])
            im.thumbnail((160, 160))
            ax.imshow(im)
        except Exception:  # a file deleted since: show the text only
            pass
        ax.set_title(f"{t['pred']}/{t['label']}\nloss {t['loss']:.2f} p {t['prob_pred']:.2f}", fontsize=7)
    fig.suptitle("top losses: predicted/actual", fontsize=9)
    return save_figure(fig, Path(path))


def write_run(out: Path, report: dict, top: list[dict], data: dict, thumbnails_root: Path | None) -> None:
    """A training run's folder: report.json, top_losses.json, the figures (and, given the
    photos' folder, top_losses.png). `data`: {"data", "csv_root"} the file names are relative to."""
    write_json(out / "report.json", report)
    # same shape as `interpret`'s, so `clean` can also walk the validation set's list
    write_json(out / "top_losses.json", {"on": "valid", **data, "classes": report["labels"], "top_losses": top})
    h = report["history"]
    if h["batches"]:
        plot_schedule(h["batches"], out / "schedule.png")
        plot_losses(h["batches"], h["epochs"], out / "losses.png")
    it = report["interpretation"]
    plot_confusion(it["confusion"], it["classes"], out / "confusion.png", f"valid: {it['n_wrong']}/{it['n']} wrong")
    if thumbnails_root is not None and top:
        plot_top_losses(top, thumbnails_root, out / "top_losses.png")


def replot(run_dir: str | Path) -> None:
    """Redraw a run's figures from its JSON (after a change to the plotting code)."""
    run_dir = Path(run_dir)
    r = json.loads((run_dir / "report.json").read_text())
    h, it = r["history"], r["interpretation"]
    if h["batches"]:
        plot_schedule(h["batches"], run_dir / "schedule.png")
        plot_losses(h["batches"], h["epochs"], run_dir / "losses.png")
    plot_confusion(it["confusion"], it["classes"], run_dir / "confusion.png", f"valid: {it['n_wrong']}/{it['n']} wrong")
    for name in ("lr_find", "lr_find_unfrozen"):
        if (run_dir / f"{name}.json").exists():
            plot_lr_find(json.loads((run_dir / f"{name}.json").read_text()), run_dir / f"{name}.png")


def publish(run_dir: str | Path, dest: str | Path) -> list[Path]:
    """Copy a run's publishable files (JSON + figures without photos) to `dest`.

    Paths inside the JSON are made relative to the repository (runs/default, ../shared/...)
    so the published files do not carry this machine's folder names."""
    run_dir, dest = Path(run_dir), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in PUBLISHABLE:
        if (run_dir / name).exists():
            if name.endswith(".json"):
                text = (run_dir / name).read_text()
                text = text.replace(f"{ROOT}/", "").replace(f"{ROOT.parent}/", "../")
                (dest / name).write_text(text)
            else:
                shutil.copyfile(run_dir / name, dest / name)
            copied.append(dest / name)
    return copied
