"""Typed dataclass configs <-> command-line options.

Each command's settings are a dataclass whose fields carry their default and the
reason for it (`opt(default, "why")`). `add_options` turns the fields into argparse
options (both --lr_lo and --lr-lo spellings), so `--help` shows every reason, and
`from_args` builds the dataclass back. No config by exec, no hidden globals.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import types
import typing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository
DEFAULT_BEARS = os.environ.get("LESSON2_BEARS", str(ROOT.parent / "shared" / "data" / "bears"))
RUNS = ROOT / "runs"


def opt(default, help: str, **kw):
    """A dataclass field with its help text (the reason for the default)."""
    return dataclasses.field(default=default, metadata={"help": help, **kw})


def _base_type(tp):
    """`str | None` -> str; anything else unchanged."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return next(a for a in typing.get_args(tp) if a is not type(None))
    return tp


def add_options(parser: argparse.ArgumentParser, cls) -> None:
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp = _base_type(hints[f.name])
        names = [f"--{f.name}"] + ([f"--{f.name.replace('_', '-')}"] if "_" in f.name else [])
        help_ = f.metadata.get("help", "")
        if tp is bool:
            parser.add_argument(*names, dest=f.name, action=argparse.BooleanOptionalAction,
                                default=f.default, help=help_ + " (default: %(default)s)")
        elif typing.get_origin(tp) is list:
            parser.add_argument(*names, dest=f.name, nargs="+", type=typing.get_args(tp)[0],
                                default=f.default_factory() if callable(f.default_factory) else f.default,
                                help=help_)
        else:
            parser.add_argument(*names, dest=f.name, type=tp, default=f.default,
                                metavar=f.metadata.get("metavar", f.name.upper()),
                                help=help_ + " (default: %(default)s)")


def from_args(cls, ns: argparse.Namespace):
    return cls(**{f.name: getattr(ns, f.name) for f in dataclasses.fields(cls)})
