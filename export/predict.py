"""Classify photos exactly as the page does: `python -m export.predict [--json] PATH...`

    python -m export.predict photo.jpg folder/            # one line per photo: answer and probabilities
    python -m export.predict --json ../shared/data/bears/black | head

The published model (docs/assets/models/bears.json: its default variant, the file the page
loads, with the page's session settings), the same preprocessing (training.bears.images'
open_image, then export.pixels: the eval transform's resize and crop without normalisation, the
graph normalises), and the same decision rule, because the rule is inside the graph
(export/graph.py): the answer is the graph's `decision` output, not something recomputed here.

A folder is read for image files (by extension, recursively, sorted). With --json every photo
gives one JSON object on its own line:

    {"file": "<path as given>", "label": "grizzly" | "black" | "teddy" | null,
     "answer": "grizzly" | ... | "none" | "unsure", "probs": {"black": 0.01, ...}}

`label` is null whenever the page names no bear: "none of these" or "not sure" (`answer` says
which). A missing file, a file that is not an image or a broken image gives
{"file": ..., "error": "..."} on its line (stderr without --json) and the others are still
classified. Exit status: 0 if every photo was classified, 1 if any failed, 2 for a bad model.
It needs ONNX Runtime, Pillow and NumPy, not PyTorch, so it answers in about a second.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from export.runtime import run_all, session
from export.pixels import crop_pixels
from training.bears.answers import answer
from training.bears.images import IMAGE_EXTS, ImageError, open_image
from training.options import add_options, from_args, opt
from training.paths import ROOT

MANIFEST = ROOT / "docs" / "assets" / "models" / "bears.json"


@dataclass
class PredictConfig:
    """Photos to classify, with the published model."""

    paths: list[str] = opt([], "photo files or folders of photos (searched recursively)", positional=True,
                           metavar="PATH")
    json: bool = opt(False, "one JSON object per line: file, label (null: none of these / not sure), answer, probs")
    manifest: str = opt(str(MANIFEST), "the model's manifest (default: the one the site publishes)")
    variant: str = opt("", "which of the manifest's variants ('' = its default, what the page loads)")
    bs: int = opt(16, "photos per ONNX Runtime call")


class Model:
    """The manifest's model file in an ONNX Runtime session set up as the page sets it up."""

    def __init__(self, manifest_path: str | Path, variant: str = ""):
        manifest_path = Path(manifest_path)
        self.manifest = json.loads(manifest_path.read_text())
        m = self.manifest
        name = variant or m["default"]
        if name not in m["variants"]:
            raise ValueError(f"{manifest_path}: no variant {name!r} (variants: {', '.join(m['variants'])})")
        entry = m["variants"][name]
        self.session = session(manifest_path.parent / entry["model"], threads=1, config=entry.get("session_config"))
        self.labels = m["labels"]
        self.preprocess = m["preprocess"]
        self.outputs = [o.name for o in self.session.get_outputs()]
        if "decision" not in self.outputs:
            raise ValueError(f"{manifest_path}: the model has no 'decision' output (exported before the rule existed)")

    def pixels(self, path: Path) -> np.ndarray:
        return crop_pixels(open_image(path), self.preprocess)

    def run(self, pixels: np.ndarray) -> list[dict]:
        out = dict(zip(self.outputs, run_all(self.session, pixels)))
        rows = []
        for probs, code in zip(out["probabilities"], out["decision"]):
            said = answer(int(code), self.labels)
            rows.append({"label": said if said in self.labels else None, "answer": said,
                         "probs": {lab: float(p) for lab, p in zip(self.labels, probs)}})
        return rows


def expand(paths: list[str]) -> list[tuple[str, Path | None, str | None]]:
    """PATH arguments -> (name to print, file or None, error): folders give their image files, sorted."""
    out = []
    for given in paths:
        p = Path(given)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_EXTS)
            if not files:
                out.append((given, None, f"{given}: no image files in this folder"))
            out += [(str(f), f, None) for f in files]
        elif p.is_file():
            out.append((given, p, None))
        else:
            out.append((given, None, f"{given}: no such file or folder"))
    return out


def classify(model: Model, paths: list[str], bs: int = 16):
    """Yield one dict per photo, in order: {"file", "label", "answer", "probs"} or {"file", "error"}."""
    pending: list[tuple[str, np.ndarray]] = []

    def flush():
        rows = model.run(np.stack([px for _, px in pending]))
        done = [{"file": name, **r} for (name, _), r in zip(pending, rows)]
        pending.clear()
        return done

    for name, path, error in expand(paths):
        if error is None:
            try:
                pending.append((name, model.pixels(path)))
            except (ImageError, OSError) as e:
                error = str(e)
        if error is not None:
            yield from flush() if pending else []
            yield {"file": name, "error": error}
        elif len(pending) >= bs:
            yield from flush()
    if pending:
        yield from flush()


def text_line(row: dict) -> str:
    probs = ", ".join(f"{k} {v:.3f}" for k, v in row["probs"].items())
    said = {"none": "none of these", "unsure": "not sure"}.get(row["answer"], row["answer"])
    return f"{row['file']}\t{said}\t({probs})"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m export.predict", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_options(p, PredictConfig)
    cfg = from_args(PredictConfig, p.parse_args(argv))
    try:
        model = Model(cfg.manifest, cfg.variant)
    except (OSError, ValueError, KeyError) as e:
        print(f"error: cannot load the model: {e}", file=sys.stderr)
        return 2
    failed = 0
    for row in classify(model, cfg.paths, cfg.bs):
        failed += "error" in row
        if cfg.json:
            print(json.dumps(row), flush=True)
        elif "error" in row:
            print(f"error: {row['error']}", file=sys.stderr, flush=True)
        else:
            print(text_line(row), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
