"""How much data do you need? Error rate against training photos per label.

The validation set is the full data set's split (141 photos) for every point; only the
training split shrinks (`train --train_per_label N`). Each point trains the head alone on
the cached body activations (seconds), with the same number of optimizer steps as the
full training set gets in the default head stage (4 epochs), so a small set is not also
trained less. Sizes below the full set are drawn `draws` times (different photos, the
same validation set) because which 5 photos you happen to have matters.

Writes <out>/data_size.json and data_size.png. This is a sweep, not one training run:
its JSON has "kind": "data_size" and it is kept out of reports/index.json (whose entries
are single runs with a report.json and history).
"""

from __future__ import annotations

import hashlib
import json
import math
import statistics
from pathlib import Path

import matplotlib.pyplot as plt

from training import options
from training.bears import report as rep
from training.bears.data import data_root, prepare, relative
from training.bears.loop import log
from training.bears.train import TrainConfig, train

SIZES = [5, 10, 20, 40, 80, 0]  # photos per label in training; 0 = all
DRAWS = 3


def files_sha1(files: list[str]) -> str:
    return hashlib.sha1("\n".join(sorted(files)).encode()).hexdigest()[:16]


def head_epochs_for(n_train: int, n_full: int, bs: int, epochs_full: int) -> int:
    """Epochs that give `n_train` photos about as many steps as `epochs_full` epochs of `n_full`."""
    steps = epochs_full * math.ceil(n_full / bs)
    return max(epochs_full, math.ceil(steps / math.ceil(n_train / bs)))


def run_data_size(base: TrainConfig, sizes: list[int] = SIZES, draws: int = DRAWS) -> dict:
    out = Path(base.out)
    base = options.replace(base, epochs=0, thumbnails=False)
    items, tr_idx, va_idx = prepare(base.data, log)
    n_full = len(tr_idx)
    train_counts = items.subset(tr_idx).counts()
    sizes = [n for n in sizes if n < max(train_counts.values())]  # a limit no label reaches is just "all"
    rows = []
    for n in sizes:
        n_train = sum(min(n, c) for c in train_counts.values()) if n else n_full
        epochs = head_epochs_for(n_train, n_full, base.bs, base.head_epochs)
        runs = []
        for d in range(draws if n else 1):
            cfg = options.replace(base, out=str(out / f"n{n or 'all'}_draw{d}"), train_per_label=n,
                                  sample_seed=base.data.seed + d, head_epochs=epochs)
            r = train(cfg)
            valid = [t["file"] for t in json.loads((Path(cfg.out) / "top_losses.json").read_text())["top_losses"]]
            runs.append({"sample_seed": cfg.data.sample_seed, "n_train": r["metrics"]["n_train"],
                         "train_counts": r["data"]["train_counts"], "error_rate": r["metrics"]["valid_error_rate"],
                         "valid_loss": r["metrics"]["valid_loss"], "n_wrong": r["metrics"]["n_wrong"],
                         "recall": {k: v["recall"] for k, v in r["interpretation"]["per_class"].items()},
                         "n_valid": len(valid), "valid_files_sha1": files_sha1(valid)})
        rows.append({"per_label": n or None, "n_train": runs[0]["n_train"], "head_epochs": epochs,
                     "steps_per_epoch": math.ceil(runs[0]["n_train"] / base.bs),
                     "error_rate": statistics.mean(r["error_rate"] for r in runs),
                     "valid_loss": statistics.mean(r["valid_loss"] for r in runs),
                     "error_rate_min": min(r["error_rate"] for r in runs),
                     "error_rate_max": max(r["error_rate"] for r in runs), "draws": runs})
    root = data_root(base.data.data, base.data.csv_root)
    valid_files = [relative(items.files[i], root) for i in va_idx]  # named as top_losses.json names them
    res = {"kind": "data_size",
           "what": f"Error rate against training photos per label ({', '.join(str(n or 'all') for n in sizes)}), "
                   f"validation set fixed ({len(va_idx)} photos); the head alone on cached activations, "
                   f"max_lr={base.head_lr:g}, about {head_epochs_for(n_full, n_full, base.bs, base.head_epochs)} "
                   f"epochs' worth of steps of the full set for every size; {draws} random draws per size below all.",
           "valid": {"n": len(va_idx), "counts": items.subset(va_idx).counts(),
                     "files_sha1": files_sha1(valid_files)},
           "train_counts_full": train_counts, "config": options.flat(base), "sizes": rows}
    rep.write_json(out / "data_size.json", res)
    plot_data_size(res, out / "data_size.png")
    return res


def plot_data_size(res: dict, path: str | Path) -> Path:
    rows = res["sizes"]
    fig, (a, b) = plt.subplots(1, 2, figsize=(8, 3.2))
    for ax, key, label in ((a, "error_rate", "valid error rate"), (b, "valid_loss", "valid loss")):
        xs = [r["n_train"] for r in rows]
        for r in rows:
            ax.plot([d["n_train"] for d in r["draws"]], [d[key] for d in r["draws"]], ".", color="0.6")
        ax.plot(xs, [r[key] for r in rows], "o-", color="C0" if key == "error_rate" else "C1", label="mean of draws")
        ax.set_xscale("log")
        ax.set_xticks(xs, [str(r["per_label"]) if r["per_label"] else f"all\n({r['n_train']})" for r in rows])
        ax.minorticks_off()
        ax.set_xlabel("training photos per label")
        ax.set_ylabel(label)
        ax.set_ylim(0, max(max(d[key] for r in rows for d in r["draws"]) * 1.15, 1e-3))
    a.legend(fontsize=8)
    fig.suptitle(f"how much data: validation set fixed ({res['valid']['n']} photos)", fontsize=10)
    return rep.save_figure(fig, Path(path))
