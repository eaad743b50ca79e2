"""MkDocs hook: numbers in the lesson pages come from the committed run outputs.

A page writes ``{{ default.metrics.valid_error_rate|pct }}`` and the build puts in
the value from ``docs/assets/reports/default/report.json``, so prose cannot drift
from what training recorded: regenerate the reports, rebuild, and the text follows.

    {{ RUN.PATH|FORMAT }}                 docs/assets/reports/RUN/report.json
    {{ FILE.json:PATH|FORMAT }}           any JSON under docs/assets/ (e.g. sgd/summary.json)

PATH is dotted keys (a key may itself hold dots: ``lr0.01.final_loss``); whole numbers index lists, negative ones from the end
(``history.epochs.-1.train_loss``), and ``*`` takes every element of a list, to be
reduced with min/max/len/first/last (``history.epochs.*.error_rate|min|pct``).
FORMAT is one of FORMATS below (default: as is).
A missing file, key or format stops the build with the page and the placeholder,
which ``mkdocs build --strict`` turns into a failure.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "docs" / "assets"
PLACEHOLDER = re.compile(r"\{\{\s*([\w/.-]+?\.json:)?([\w.*-]+)\s*((?:\|\s*\w+\s*)*)\}\}")

# list -> number, applied before a format: {{ run.history.epochs.*.error_rate|min|pct }}
REDUCERS = {"min": min, "max": max, "len": len, "first": lambda v: v[0], "last": lambda v: v[-1],
            "inverse": lambda v: 1 / v}  # {{ default.metrics.n_valid|inverse|pct }}: one photo's share

FORMATS = {
    "pct": lambda v: f"{100 * v:.1f}%",  # 0.02837 -> 2.8%
    "pct2": lambda v: f"{100 * v:.2f}%",  # 0.02837 -> 2.84%
    "int": lambda v: f"{round(v):,}",
    "f1": lambda v: f"{v:.1f}",
    "f2": lambda v: f"{v:.2f}",
    "f3": lambda v: f"{v:.3f}",
    "f4": lambda v: f"{v:.4f}",
    "g2": lambda v: f"{v:.2g}",
    "g3": lambda v: f"{v:.3g}",
    "e1": lambda v: f"{v:.1e}".replace("e-0", "e-").replace("e+0", "e"),  # 0.0019 -> 1.9e-3
    "mb": lambda v: f"{v / 1e6:.1f} MB",  # bytes -> 13.6 MB
    "ms": lambda v: f"{v:.0f} ms",
    "s": lambda v: f"{v:.0f} s",
    "s1": lambda v: f"{v:.1f} s",
}


@lru_cache(maxsize=None)
def _load(rel: str):
    return json.loads((ASSETS / rel).read_text())


def lookup(source: str | None, path: str):
    """The value a placeholder names: (file or run, dotted path) -> JSON value."""
    if source:
        data, keys = _load(source[:-1]), path.split(".")
    else:
        run, _, rest = path.partition(".")
        data, keys = _load(f"reports/{run}/report.json"), rest.split(".") if rest else []
    return _walk(data, keys)


def _walk(data, keys: list[str]):
    i = 0
    while i < len(keys):
        if keys[i] == "*" and isinstance(data, list):  # every element: the rest of the path on each
            rest = ".".join(keys[i + 1:])
            return [_walk(item, rest.split(".")) if rest else item for item in data]
        if isinstance(data, list) and re.fullmatch(r"-?\d+", keys[i]):
            data, i = data[int(keys[i])], i + 1
            continue
        # the longest run of segments that is a key, so keys with dots ("lr0.01") work
        j = next((j for j in range(len(keys), i, -1) if isinstance(data, dict) and ".".join(keys[i:j]) in data), None)
        if j is None:
            raise KeyError(".".join(keys[i:]))
        data, i = data[".".join(keys[i:j])], j
    return data


def render(markdown: str, where: str = "?") -> str:
    def one(m: re.Match) -> str:
        source, path, pipes = m.groups()
        try:
            value = lookup(source, path)
            steps = [f.strip() for f in pipes.split("|") if f.strip()]
            for f in steps:
                if f in REDUCERS:
                    value = REDUCERS[f](value)
                elif f in FORMATS and f == steps[-1]:
                    return FORMATS[f](value)
                else:
                    raise KeyError(f"format {f!r}")
            return str(value)
        except (KeyError, IndexError, FileNotFoundError, TypeError, ValueError) as e:
            raise ValueError(f"{where}: cannot fill {m.group(0)} ({type(e).__name__}: {e})") from None

    return PLACEHOLDER.sub(one, markdown)


def on_pre_build(config):
    _load.cache_clear()  # each build (`mkdocs serve` rebuilds) reads the reports once, as they are now


def on_page_markdown(markdown, page, config, files):
    return render(markdown, page.file.src_path)
