"""python -m training.bears <command> [options]   (run from the repository root)

Commands (each has --help listing every option with its default and the reason for it):
  download   fetch URL lists into label folders (parallel, verified, resumable)
  lr-find    learning-rate range test; writes lr_find.json/png into the run folder
  lr-sweep   the head trained at each lr of a grid, beside the finder -> docs/assets/reports/lr_sweep/
  train      head on cached activations, then unfrozen with discriminative lrs; model.pt + report
  holdout    the same training once per photo source, validated on the source left out
  interpret  confusion matrix, most confused, top losses for the valid split or all images
  logits     the shipped model's logits on validation photos and photos of no bear -> logits.json
  suspects   rank every photo by how likely its label is wrong (out of fold + ImageNet) -> suspects.json
  clean      review the top losses: keep / delete / relabel -> cleaned.csv for `train --data`
  reports    regenerate every report committed under docs/assets/reports/ (see experiments.py)
  augment-figure  the training transform on drawn pictures -> docs/assets/augment/ (no photos)

The default pipeline on ../shared/data/bears:
  python -m training.bears lr-find && python -m training.bears train
  python -m training.bears interpret --on all && python -m training.bears clean
Cleaning with a ranking that no label taught (then the browser cleaner, or a decisions file):
  python -m training.bears suspects && python -m training.bears train --decisions training/bears/decisions/bears.csv
"""

from __future__ import annotations

import argparse
import sys

from training.bears import (augment_figure, clean, download, experiments, holdout, interpret, logits, lr_finder,
                            lr_sweep, suspects, train)
from training.options import add_options, from_args


def _commands():
    return {
        "download": (download.DownloadConfig, download.download, download.__doc__),
        "lr-find": (lr_finder.LRFindConfig, lr_finder.run_lr_find, lr_finder.__doc__),
        "lr-sweep": (lr_sweep.LRSweepConfig, lr_sweep.run_lr_sweep, lr_sweep.__doc__),
        "train": (train.TrainConfig, train.train, train.__doc__),
        "holdout": (train.TrainConfig, holdout.run_holdout, holdout.__doc__),
        "interpret": (interpret.InterpretConfig, interpret.run_interpret, interpret.__doc__),
        "suspects": (suspects.SuspectsConfig, suspects.suspects, suspects.__doc__),
        "logits": (logits.LogitsConfig, logits.run_logits, logits.__doc__),
        "clean": (clean.CleanConfig, clean.clean, clean.__doc__),
        "reports": (experiments.ReportsConfig, experiments.run_reports, experiments.__doc__),
        "augment-figure": (augment_figure.AugmentConfig, augment_figure.augment_figure, augment_figure.__doc__),
    }


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m training.bears", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="command")
    for name, (cls, _, doc) in _commands().items():
        sp = sub.add_parser(name, help=(doc or "").strip().splitlines()[0], description=doc,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        add_options(sp, cls)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    cls, fn, _ = _commands()[args.command]
    try:
        fn(from_args(cls, args))
    except (FileNotFoundError, ValueError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0
