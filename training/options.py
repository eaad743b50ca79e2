"""Typed dataclass configs <-> command-line options: the one option mechanism of every script.

Each command's settings are a dataclass whose fields carry their default and the
reason for it (`opt(default, "why")`), so `--help` shows every reason. A field whose
type is itself a config dataclass is embedded: its fields become options of the
command too (in their own --help section), so a config shared by several commands
(training.bears.data.DataConfig) is written, with its reasons, once.

    add_options(parser, cls)   fields -> argparse options (--lr_lo and --lr-lo spellings)
    from_args(cls, ns)         the parsed options -> the config
    flat(cfg)                  the config as one flat dict (what reports and checkpoints record)
    build(cls, values)         a config from such a flat dict: unknown keys ignored, missing ones default
    replace(cfg, **changes)    dataclasses.replace that reaches into embedded configs

No config by exec, no hidden globals.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing


def opt(default, help: str, **kw):
    """A dataclass field with its help text (the reason for the default).

    kw goes into the field's metadata: metavar=..., positional=True (a positional list)."""
    if isinstance(default, list):
        return dataclasses.field(default_factory=lambda: list(default), metadata={"help": help, **kw})
    return dataclasses.field(default=default, metadata={"help": help, **kw})


def _base_type(tp):
    """`str | None` -> str; anything else unchanged."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return next(a for a in typing.get_args(tp) if a is not type(None))
    return tp


def _fields(cls):
    """(field, type, embedded config class or None) for each field of `cls`, in order."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp = _base_type(hints[f.name])
        yield f, tp, tp if dataclasses.is_dataclass(tp) else None


def leaves(cls) -> list[str]:
    """Every option name of `cls`, embedded configs' included; a name used twice is an error."""
    names: list[str] = []
    for f, _, sub in _fields(cls):
        names += leaves(sub) if sub else [f.name]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise TypeError(f"{cls.__name__}: option(s) {twice} defined twice (once in an embedded config)")
    return names


def add_options(parser: argparse.ArgumentParser, cls, group=None) -> None:
    """Every field of `cls` as an option; an embedded config's fields in a --help section of their own."""
    leaves(cls)  # refuse clashing names before argparse does, with a clearer message
    for f, tp, sub in _fields(cls):
        if sub:
            doc = (sub.__doc__ or "").strip()
            about = None if doc.startswith(f"{sub.__name__}(") else doc.splitlines()[0]  # no docstring: none
            add_options(parser, sub, parser.add_argument_group(sub.__name__, about))
        else:
            _add_option(group or parser, f, tp)


def _add_option(parser, f: dataclasses.Field, tp) -> None:
    help_ = f.metadata.get("help", "")
    default = f.default_factory() if callable(f.default_factory) else f.default
    if f.metadata.get("positional"):
        parser.add_argument(f.name, nargs="+", metavar=f.metadata.get("metavar", f.name.upper()), help=help_)
        return
    names = [f"--{f.name}"] + ([f"--{f.name.replace('_', '-')}"] if "_" in f.name else [])
    names += [f"-{f.name}"] if len(f.name) == 1 else []  # clean -n 40, as the pages write it
    if tp is bool:
        parser.add_argument(*names, dest=f.name, action=argparse.BooleanOptionalAction,
                            default=default, help=help_ + " (default: %(default)s)")
    elif typing.get_origin(tp) is list:
        parser.add_argument(*names, dest=f.name, nargs="+", type=typing.get_args(tp)[0], default=default,
                            help=help_)
    else:
        parser.add_argument(*names, dest=f.name, type=tp, default=default,
                            metavar=f.metadata.get("metavar", f.name.upper()),
                            help=help_ + " (default: %(default)s)")


def build(cls, values: dict):
    """A `cls` from flat values (parsed options, a checkpoint's recorded config)."""
    kw = {}
    for f, _, sub in _fields(cls):
        if sub:
            kw[f.name] = build(sub, values)
        elif f.name in values:
            kw[f.name] = values[f.name]
    return cls(**kw)


def from_args(cls, ns: argparse.Namespace):
    return build(cls, vars(ns))


def flat(cfg) -> dict:
    """{option: value} over the config and the configs it embeds, in --help order."""
    out = {}
    for f, _, sub in _fields(type(cfg)):
        value = getattr(cfg, f.name)
        if sub:
            out.update(flat(value))
        else:
            out[f.name] = list(value) if isinstance(value, list) else value
    return out


def replace(cfg, **changes):
    """A copy of `cfg` with `changes` (option names, wherever they live: size=128 reaches DataConfig)."""
    values = flat(cfg)
    unknown = sorted(set(changes) - set(values))
    if unknown:
        raise TypeError(f"{type(cfg).__name__} has no option(s) {unknown}")
    return build(type(cfg), {**values, **changes})
