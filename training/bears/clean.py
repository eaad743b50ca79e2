"""Clean the data set by hand, worst predictions first (the lesson's ImageCleaner, in a terminal).

    python -m training.bears interpret --on all            # -> runs/default/interpret_all/top_losses.json
    python -m training.bears clean -n 40                   # review the 40 worst, one prompt each
    python -m training.bears train --data runs/default/interpret_all/cleaned.csv --out runs/cleaned

For each image in the top-losses list you answer: keep it, delete it (it is off-topic or
useless), or relabel it (it shows another kind of bear). The result is cleaned.csv
(file,label for every image of the data set, minus deletions, with new labels), which
`train --data` accepts. Nothing is removed from disk unless you add --delete_files.

Without a terminal, `--decisions FILE` applies a CSV of `file,action[,label]` rows
(action: keep | delete | relabel) to the same list: that is how tests drive it.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

# the decisions format (ACTIONS, read_decisions) lives in data.py: `train --decisions` reads it too
from training.bears.data import ACTIONS, data_root, guard_cell, load_items, read_decisions, relative  # noqa: F401
from training.options import opt
from training.paths import RUNS


@dataclass
class CleanConfig:
    """What to review, and what to do with the answers."""

    top_losses: str = opt(str(RUNS / "default" / "interpret_all" / "top_losses.json"),
                          "the list to review (written by `interpret --on all`)")
    n: int = opt(30, "review this many of the worst predictions")
    out: str | None = opt(None, "where cleaned.csv goes (default: next to the top-losses list)")
    decisions: str | None = opt(None, "CSV of file,action[,label] to apply without prompting")
    delete_files: bool = opt(False, "really remove the deleted images from disk (default: only leave them out of the CSV)")
    show: bool = opt(False, "open each photo in the system's image viewer while asking")


def ask(i: int, n: int, t: dict, classes: list[str], show: bool, base: Path,
        prompt=input) -> tuple[str, str | None] | None:
    """One interactive decision; None = stop reviewing (the rest are kept)."""
    if show:
        try:
            from PIL import Image

            Image.open(base / t["file"]).show()
        except Exception as e:
            print(f"  (could not open a viewer: {e})")
    choices = "  ".join(f"{j + 1}={c}" for j, c in enumerate(classes))
    print(f"[{i + 1}/{n}] {base / t['file']}\n  labelled {t['label']}, predicted {t['pred']} "
          f"(p={t['prob_pred']:.2f}), loss {t['loss']:.2f}")
    while True:
        a = prompt(f"  k=keep  d=delete  {choices}=relabel  q=stop > ").strip().lower()
        if a in ("", "k", "keep"):
            return ("keep", None)
        if a in ("d", "delete"):
            return ("delete", None)
        if a in ("q", "quit"):
            return None
        if a.isdigit() and 1 <= int(a) <= len(classes):
            lab = classes[int(a) - 1]
            return ("keep", None) if lab == t["label"] else ("relabel", lab)
        if a in classes:
            return ("keep", None) if a == t["label"] else ("relabel", a)
        print("  ? answer k, d, q, a label's number or its name")


def clean(cfg: CleanConfig, input_fn=None) -> dict:
    """Review, then write cleaned.csv and clean_log.json; `input_fn` replaces input() (notebooks, tests)."""
    tl_path = Path(cfg.top_losses)
    if not tl_path.exists():
        raise FileNotFoundError(f"no top-losses list at {tl_path}: run `python -m training.bears interpret --on all` first")
    tl = json.loads(tl_path.read_text())
    data, root = tl["data"], tl.get("csv_root")
    items = load_items(data, root)
    base = data_root(data, root)
    classes = sorted(set(tl["classes"]) | set(items.classes))
    review = tl["top_losses"][: cfg.n]

    if cfg.decisions:
        given = read_decisions(cfg.decisions, classes)
        listed = {t["file"] for t in tl["top_losses"]}
        unknown = sorted(set(given) - listed)
        if unknown:
            raise ValueError(f"decisions for files not in {tl_path}: {unknown[:5]}")
        decisions = given
    else:
        if input_fn is None and not sys.stdin.isatty():
            raise RuntimeError("no terminal to ask in: pass --decisions FILE (file,action[,label] rows)")
        decisions = {}
        for i, t in enumerate(review):
            d = ask(i, len(review), t, classes, cfg.show, base, input_fn or input)
            if d is None:
                break
            decisions[t["file"]] = d

    # Apply: every image of the data set, minus deletions, with new labels.
    out = Path(cfg.out) if cfg.out else tl_path.parent / "cleaned.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    rows, deleted, relabelled, removed, errors = [], [], [], [], []
    for f, lab in zip(items.files, items.labels):
        key = relative(f, base)
        action, new = decisions.get(key, ("keep", None))
        if action == "delete":
            deleted.append(key)
            continue
        if action == "relabel" and new != lab:
            relabelled.append({"file": key, "from": lab, "to": new})
            lab = new
        rows.append((os.path.relpath(Path(f).resolve(), out.parent.resolve()), lab))
    with open(out, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "label"])
        w.writerows((guard_cell(f), guard_cell(lab)) for f, lab in rows)
    if cfg.delete_files:
        for key in deleted:
            try:
                (base / key).unlink()
                removed.append(key)
            except OSError as e:
                errors.append(f"{key}: {e}")
    log = {"top_losses": str(tl_path), "reviewed": len(decisions), "kept": len(rows), "deleted": deleted,
           "relabelled": relabelled, "removed_from_disk": removed, "errors": errors, "cleaned_csv": str(out)}
    (out.parent / "clean_log.json").write_text(json.dumps(log, indent=1))
    print(f"reviewed {len(decisions)}: deleted {len(deleted)}, relabelled {len(relabelled)}; "
          f"{len(rows)} images -> {out}" + (f"; removed {len(removed)} files" if cfg.delete_files else "")
          + (f"; {len(errors)} could not be removed: {errors[:3]}" if errors else ""))
    return log

