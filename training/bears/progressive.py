"""Progressive resizing: train at a small size first, then continue the same model larger.

The lesson's trick: most of the epochs run on small images (a 128 px image costs about a
third of a 224 px one), then the model, already good, trains on bigger images for a
little longer. The second stage is plain transfer learning from the first: `train --init`
with the small run's checkpoint instead of ImageNet's weights.

    small:  size 128, the default schedule: 4 head epochs (cached activations) + 2 unfrozen
    large:  size 224, --init <small>/model.pt, no head stage (the head is trained), 1 unfrozen epoch

One report folder comes out, shaped like any run's (report.json with history, figures):
the stages are named "frozen 128px", "unfrozen 128px", "unfrozen 224px", every history row
carries its `size`, and timings are prefixed by size (size128_unfrozen, ...). The final
model and its validation predictions are the 224 px model's.
"""

from __future__ import annotations

from pathlib import Path

from training import options
from training.bears import report as rep
from training.bears.train import TrainConfig, train

SMALL = dict(size=128)
LARGE = dict(size=224, head_epochs=0, epochs=1)
TRAINING = ("head", "unfrozen")  # the timings that are training proper (features and predictions aside)


def train_time(timings: dict) -> float:
    return round(sum(timings.get(k, 0.0) for k in TRAINING), 2)


def run_progressive(base: TrainConfig, small: dict = SMALL, large: dict = LARGE) -> dict:
    """Train `small`, then `large` from its checkpoint; merge both into one report in base.out."""
    out = Path(base.out)
    r1 = train(options.replace(base, out=str(out / f"size{small['size']}"), **small))
    r2 = train(options.replace(base, out=str(out), init=str(out / f"size{small['size']}" / "model.pt"), **large))
    stages = []
    history: dict = {"batches": [], "epochs": []}
    timings: dict = {}
    for r in (r1, r2):
        size = r["config"]["size"]
        for kind in ("batches", "epochs"):
            history[kind] += [{**row, "stage": f"{row['stage']} {size}px", "size": size} for row in r["history"][kind]]
        timings.update({f"size{size}_{k}": v for k, v in r["timings"].items()})
        stages.append({"size": size, "head_epochs": r["config"]["head_epochs"], "epochs": r["config"]["epochs"],
                       "init": r["config"]["init"], "metrics": r["metrics"], "timings": r["timings"],
                       "train_time": train_time(r["timings"])})
    timings["train_time"] = round(sum(s["train_time"] for s in stages), 2)
    timings["features"] = round(sum(s["timings"].get("features", 0.0) for s in stages), 2)
    timings["total"] = round(r1["timings"]["total"] + r2["timings"]["total"], 2)
    merged = {**r2, "history": history, "timings": timings, "stages": stages}
    rep.write_json(out / "report.json", merged)
    rep.replot(out)
    return merged


def compare(run: dict, default: dict | None) -> dict:
    """Error rate and time of this run next to the default run's (if there is one).

    train_time: the head and unfrozen stages (seconds). features: computing the body's
    activations the head trains on, once per image size (the default run's are computed
    by its lr-find, which goes first; both are cached for later runs)."""
    def row(r):
        t = r["timings"]
        return {"valid_error_rate": r["metrics"]["valid_error_rate"], "valid_loss": r["metrics"]["valid_loss"],
                "n_wrong": r["metrics"]["n_wrong"], "train_time": t.get("train_time", train_time(t)),
                "features": max(t.get("features", 0.0), t.get("lr_find_features", 0.0))}
    return {"progressive_resizing": row(run), **({"default": row(default)} if default else {})}
