"""Source-held-out validation: train on every group of photos but one, validate on that one; every fold.

    python -m training.bears holdout                        # the default training, once per source
    python -m training.bears holdout --epochs 0 --out runs/x  # any `train` options

Our photos come from three web scrapes (file names yarjun_..., leoyoung_..., poziki_...; data.py's
groups). A random split puts photos of the same scrape, often of the same kind of shot, on both
sides, so it measures the same distribution twice: a model fitted to one scrape's quirks still
scores well there. A fold that holds out a whole source asks what a reader's photo asks: does the
model work on photos collected some other way? Settings and models are chosen by these folds.

Each fold is a whole `train` run with --holdout GROUP into <out>/holdout/<GROUP>/ (its thresholds
read off the other groups' own validation split). Writes <out>/holdout.json and adds it to
<out>/report.json under "holdout" when that run exists, so every published report carries its
folds beside its random split. Data without groups gets {"note": "no groups: ..."} and no folds.
"""

from __future__ import annotations

import json
from pathlib import Path

from training import options
from training.bears import report as rep
from training.bears.data import groups_of, prepare
from training.bears.loop import log
from training.bears.train import TrainConfig, resolve, train

# What each fold reports (its report's metrics), and which of them are shares of the fold's photos
# (averaged over the folds weighted by photos, so the mean is "right answers / all photos").
FOLD_METRICS = ("n_valid", "n_train", "valid_accuracy", "valid_error_rate", "valid_unlabelled", "valid_none",
                "valid_unsure", "valid_accuracy_labelled", "distant_accuracy", "distant_unlabelled")


def fold_row(r: dict) -> dict:
    m = r["metrics"]
    return {**{k: m[k] for k in FOLD_METRICS if k in m}, "thresholds": r["decision"]["thresholds"]}


def mean_of(folds: dict[str, dict]) -> dict:
    """Photo-weighted means over the folds: every held-out photo counts once."""
    n = {g: f["n_valid"] for g, f in folds.items()}
    total = sum(n.values())
    out = {"n_valid": total}
    for k in FOLD_METRICS[2:]:
        have = [g for g, f in folds.items() if f.get(k) is not None]
        if have and len(have) == len(folds):
            out[k] = sum(folds[g][k] * n[g] for g in have) / total
    return out


def run_holdout(cfg: TrainConfig, runner=train) -> dict:
    """Every fold of `cfg` (runner(config) -> report: `train`, or progressive resizing's two stages)."""
    cfg = resolve(cfg)
    items, _, _ = prepare(options.replace(cfg, holdout="").data, lambda *_: None)
    groups, note = groups_of(items, cfg.data.groups)
    out = Path(cfg.out)
    res: dict = {"groups": cfg.data.groups, "note": note, "folds": {}}
    if groups is not None:
        for g in sorted(set(groups)):
            log(f"== holdout fold: validate on {g}, train on the other groups")
            # the no-bear photos are measured once, by the run on all the sources (the folds' would repeat it)
            r = runner(options.replace(cfg, holdout=g, out=str(out / "holdout" / g), thumbnails=False, negatives=""))
            res["folds"][g] = fold_row(r)
        res["mean"] = mean_of(res["folds"])
        m = res["mean"]
        log(f"source-held-out: accuracy {m['valid_accuracy']:.4f} over {m['n_valid']} photos; "
            + ", ".join(f"{g} {f['valid_accuracy']:.4f}" for g, f in res["folds"].items()))
    else:
        log(f"source-held-out: {note}")
    rep.write_json(out / "holdout.json", res)
    attach(out, res)
    return res


def attach(run_dir: Path, res: dict) -> None:
    """Put the folds into the run's report.json (if the run exists)."""
    path = Path(run_dir) / "report.json"
    if path.exists():
        r = json.loads(path.read_text())
        r["holdout"] = res
        rep.write_json(path, r)
