"""Where things are: the repository, its run folder, and the photos (defined here only).

    ROOT       the repository (every relative path in a published file is relative to it)
    RUNS       ROOT/runs: checkpoints, reports and the activation cache (gitignored)
    BEARS      the bear photos, one folder per label: $LESSON2_BEARS, default ../shared/data/bears
    NOT_BEARS  photos that are no bear at all: $LESSON2_NOT_BEARS, default ../shared/data/not_bears
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = ROOT / "runs"
SHARED_DATA = ROOT.parent / "shared" / "data"  # beside the repository, never inside it
BEARS = os.environ.get("LESSON2_BEARS", str(SHARED_DATA / "bears"))
NOT_BEARS = os.environ.get("LESSON2_NOT_BEARS", str(SHARED_DATA / "not_bears"))


def portable(path: str | Path | None) -> str | None:
    """A path as a published file should name it: relative to the repository
    (runs/default, ../shared/data/bears), never this machine's /home/someone/...."""
    if path is None:
        return None
    p = Path(path)
    return (Path(os.path.relpath(p, ROOT)) if p.is_absolute() else p).as_posix()


def in_repo(path: str | Path) -> Path:
    """The inverse of `portable`: a relative path in a published file is read against the repository."""
    p = Path(path)
    return p if p.is_absolute() else ROOT / p
