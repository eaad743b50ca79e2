"""The candidate models side by side: which one ships, and why (issue 10's table).

    nice -n 5 python -m export.candidates                 # every candidate (an hour or more on 2 cores)
    python -m export.candidates --only zero_shot_160      # some of them
    python -m export.candidates --publish_only            # rebuild the table from the runs already made

Every candidate is a set of `train` options (CANDIDATES). For each: a training run on the
random split (runs/candidates/NAME/), its source-held-out folds (holdout.py; each fold also
judged on "distant" views, images.distant), the "none of these" rule on the negatives' test
half (../shared/data/not_bears: rates only, never a file) and its nature subset, the export
(int8 file bytes, native single-thread latency as the page's session runs it), and, when a
browser benchmark of the same architecture and input size is given (--browser: the JSON of
`python -m tests.bench.classifier --levers`), its browser figures. Writes
docs/assets/reports/candidates.json, which the lesson pages and the closing note cite.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from export.to_onnx import ExportConfig, export
from training import options
from training.bears import report as rep
from training.bears.holdout import run_holdout
from training.bears.train import TrainConfig, train
from training.options import add_options, from_args, opt
from training.paths import ROOT, RUNS, portable

DEST = ROOT / "docs" / "assets" / "reports" / "candidates.json"
MODELS = ROOT / "docs" / "assets" / "models"
HEAD_ONLY = dict(epochs=0)
# The recipe this issue replaces: ImageNet statistics for a body trained with 0.5/0.5, a random head.
BEFORE = dict(normalize="imagenet", head_init="random", head_lr=3e-3, lr_hi=3e-4, wise=1.0)

CANDIDATES = {
    "before_224": {"overrides": dict(size=224, **BEFORE),
                   "what": "the model shipped before: Lite0 at 224 px with ImageNet's mean/std, a random head, "
                           "4 epochs of the head then 2 unfrozen"},
    "zero_shot_224": {"overrides": dict(size=224, head_epochs=0, epochs=0),
                      "what": "no training: Lite0 at 224 px, the ImageNet classifier's rows for brown bear, American "
                              "black bear and teddy bear"},
    "head_224": {"overrides": dict(size=224, wise=0.5, **HEAD_ONLY),
                 "what": "Lite0 at 224 px, the head from ImageNet's rows trained 4 epochs on cached activations, "
                         "WiSE 0.5"},
    "finetune_224": {"overrides": dict(size=224),
                     "what": "Lite0 at 224 px, head from ImageNet's rows, 4 epochs of the head then 2 unfrozen, "
                             "WiSE 0.5"},
    "zero_shot_160": {"overrides": dict(size=160, head_epochs=0, epochs=0),
                      "what": "no training: Lite0 at 160 px, ImageNet's rows"},
    "head_160": {"overrides": dict(size=160, wise=0.5, **HEAD_ONLY),
                 "what": "Lite0 at 160 px, head from ImageNet's rows, 4 epochs on cached activations, WiSE 0.5"},
    "finetune_160": {"overrides": dict(size=160),
                     "what": "Lite0 at 160 px, head from ImageNet's rows, 4 epochs of the head then 2 unfrozen, "
                             "WiSE 0.5"},
    "finetune_160_nowise": {"overrides": dict(size=160, wise=1.0),
                            "what": "the same without WiSE: the fine-tuned weights as trained"},
    "bce_negatives_160": {"overrides": dict(size=160, loss="bce", train_negatives=True, wise=0.5, **HEAD_ONLY),
                          "what": "Lite0 at 160 px, one sigmoid per label (BCE), the not_bears train half as "
                                  "'no label' photos, head only, WiSE 0.5"},
    "zero_shot_128": {"overrides": dict(size=128, head_epochs=0, epochs=0),
                      "what": "no training: Lite0 at 128 px, ImageNet's rows"},
    "finetune_128": {"overrides": dict(size=128),
                     "what": "Lite0 at 128 px, head from ImageNet's rows, 4 + 2 epochs, WiSE 0.5"},
    "zero_shot_lite1_240": {"overrides": dict(arch="efficientnet_lite1", size=240, head_epochs=0, epochs=0),
                            "what": "no training: EfficientNet-Lite1 at its 240 px, ImageNet's rows"},
    "head_lite1_240": {"overrides": dict(arch="efficientnet_lite1", size=240, wise=0.5, **HEAD_ONLY),
                       "what": "Lite1 at 240 px, head from ImageNet's rows, 4 epochs on cached activations, WiSE 0.5"},
}


@dataclass
class CandidatesConfig:
    """Which candidates, trained on which photos (DataConfig), published where."""

    only: list[str] = opt([], f"run only these ({', '.join(CANDIDATES)})")
    train: TrainConfig = field(default_factory=TrainConfig)  # every train option, for every candidate
    runs: str = opt(str(RUNS / "candidates"), "work folder: one run folder per candidate")
    dest: str = opt(str(DEST), "the table, for the pages")
    browser: str = opt("", "JSON of `python -m tests.bench.classifier --levers` for browser figures ('' = none)")
    publish_only: bool = opt(False, "train nothing: rebuild the table from the existing run folders")
    export: bool = opt(True, "export every candidate (int8 file bytes, native latency; minutes each); the shipped "
                       "one is exported to the site anyway")


def candidate_config(base: TrainConfig, name: str, runs: Path) -> TrainConfig:
    return options.replace(base, out=str(runs / name), distant=True, thumbnails=False,
                           **CANDIDATES[name]["overrides"])


def run_candidate(cfg: TrainConfig, publish_only: bool, with_export: bool = True) -> dict:
    """train + holdout folds (+ export); -> the candidate's row (from its files)."""
    out = Path(cfg.out)
    if not publish_only:
        train(cfg)
        run_holdout(cfg)
        if with_export:
            export(ExportConfig(checkpoint=out / "model.pt", out_dir=out / "models", build_dir=out / "build",
                                latency_runs=100))
    return row(out)


def row(out: Path, manifest: Path | None = None) -> dict:
    """A run folder's row (its report and its export's manifest, by default <out>/models/bears.json)."""
    r = json.loads((out / "report.json").read_text())
    manifest = manifest or out / "models" / "bears.json"
    m = json.loads(manifest.read_text()) if manifest.exists() else None  # not exported: no file figures
    d, h = r["decision"], r["holdout"]
    cfg = r["config"]
    return {
        "arch": cfg["arch"], "size": cfg["size"], "normalize": cfg["normalize"],
        "holdout": {"folds": {g: {k: f.get(k) for k in ("n_valid", "valid_accuracy", "valid_unlabelled",
                                                          "valid_accuracy_labelled", "distant_accuracy",
                                                          "distant_unlabelled")}
                              for g, f in h["folds"].items()},
                    "mean": h["mean"]},
        "random_split": {"n": r["metrics"]["n_valid"], "accuracy": r["metrics"]["valid_accuracy"],
                         "unlabelled": d["valid"]["unlabelled"], "accuracy_labelled": d["valid"]["accuracy_labelled"]},
        "not_bears": {k: {**d[k], "source": portable(d[k].get("source"))} if "source" in d[k] else d[k]
                      for k in ("negatives", "nature") if k in d},
        "thresholds": d["thresholds"],
        **(file_figures(m) if m else {}),
        "train_seconds": round(sum(r["timings"].get(k, 0) for k in ("head", "unfrozen")), 1),
    }


def file_figures(m: dict) -> dict:
    """An export's figures from its manifest: the int8 file's bytes, native latency, accuracy."""
    v = m["variants"][m["default"]]
    return {"int8": {"bytes": v["bytes"], "native_p50_ms_1thread": v["native_latency_ms_1thread"]["p50_ms"],
                     "valid_accuracy": v["valid_accuracy"],
                     "answer_agreement_with_fp32": m["quantization"]["answer_agreement"]},
            "fp32_bytes": m["build"]["fp32_bytes"]}


def shipped(manifest: Path, runs: Path) -> dict:
    """Which candidate the site ships: the run its manifest names (export.to_onnx --checkpoint
    runs/candidates/NAME/model.pt), with the published file's figures."""
    m = json.loads(manifest.read_text())
    if "decision" not in m:
        return {"name": None, "note": "the published model predates the candidates (no decision rule)"}
    run = Path(m["report"])
    name = run.name if run.parent.name == runs.name else None
    return {"name": name, "run": m["report"], **file_figures(m)}


def bench_arch(name: str, row: dict, shipped_arch: str) -> str:
    """The body a browser-bench row timed: its `arch`, else read off its name ("lite0 160 int8"; "shipped ...")."""
    if row.get("arch"):
        return row["arch"]
    first = name.split()[0]
    return shipped_arch if first == "shipped" else f"efficientnet_{first}"


def browser_figures(bench: dict, arch: str, size: int, shipped_arch: str) -> dict | None:
    """The browser benchmark's row for the same body and input size, timed with the page's own session
    settings (rows that vary a session option are levers of their own, not this model's figure)."""
    for name, r in bench.get("latency", {}).items():
        if r.get("options") or bench_arch(name, r, shipped_arch) != arch or r.get("crop") != size:
            continue
        one = r["single"]
        return {"bench_row": name, "p50_ms_1thread": one["run"]["p50_ms"],
                "cpu_ms_per_run_1thread": one["cpu"]["browser"]["ms"], "native_p50_ms_same_run": one["native"]["p50_ms"],
                "threads_isolated": r["isolated"]["threads"], "p50_ms_isolated": r["isolated"]["run"]["p50_ms"],
                "loadavg": bench.get("machine", {}).get("loadavg")}
    return None


def run_candidates(cfg: CandidatesConfig) -> dict:
    names = cfg.only or list(CANDIDATES)
    unknown = sorted(set(names) - set(CANDIDATES))
    if unknown:
        raise ValueError(f"unknown candidate(s) {unknown}; choose from {list(CANDIDATES)}")
    bench = json.loads(Path(cfg.browser).read_text()) if cfg.browser else {}
    dest = Path(cfg.dest)
    table = json.loads(dest.read_text()) if dest.exists() else {"candidates": {}}
    for name in names:
        print(f"== candidate {name}", flush=True)
        tc = candidate_config(cfg.train, name, Path(cfg.runs))
        r = run_candidate(tc, cfg.publish_only, cfg.export)
        table["candidates"][name] = {"what": CANDIDATES[name]["what"], "overrides": CANDIDATES[name]["overrides"], **r,
                                     # speed depends on the body and the input size, not on the weights: kept
                                     "browser": table["candidates"].get(name, {}).get("browser")}
    if bench:  # every row, the earlier ones too: one bench times them all on the same machine at the same time
        shipped_arch = json.loads((MODELS / "bears.json").read_text())["arch"]
        for entry in table["candidates"].values():
            entry["browser"] = browser_figures(bench, entry["arch"], entry["size"], shipped_arch)
    table["shipped"] = shipped(MODELS / "bears.json", Path(cfg.runs))
    table["candidates"] = {k: table["candidates"][k] for k in CANDIDATES if k in table["candidates"]}
    table["protocol"] = PROTOCOL
    if cfg.browser:
        table["browser_source"] = portable(cfg.browser)
    rep.write_json(dest, table)
    print(f"-> {dest}")
    return table


PROTOCOL = {
    "holdout": "source-held-out: train on two of the three photo sources (file-name prefixes yarjun, leoyoung, "
               "poziki), validate on the third, every fold; the mean weights every photo once",
    "random_split": "the project's stratified 20% split (seed 42): the same scrapes on both sides",
    "unlabelled": "share of photos the page would not name a bear for: 'none of these' or 'not sure'; thresholds "
                  "read off the run's own validation photos (a fold: 20% of its training sources)",
    "not_bears": "the test half (498 photos) of ../shared/data/not_bears, ImageNet photos of 995 classes that are "
                 "not bears; 'nature': its landscapes, fungi, plants and rocks. Easier than real no-bear photos: "
                 "the body saw ImageNet in pretraining",
    "distant": "each held-out photo shrunk to 45% of its sides, edge-padded back: small bears; a proxy",
    "native_p50": "ONNX Runtime (Python), 1 thread, the page's session settings, the int8 file, batch 1",
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m export.candidates", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_options(p, CandidatesConfig)
    run_candidates(from_args(CandidatesConfig, p.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
