"""The one option mechanism (training/options.py): embedded configs become options with their
reasons, once; configs round-trip through the flat dict runs record; a run's data config is
rebuilt from its checkpoint in one way; every script's --help gives the reasons."""

from __future__ import annotations

import dataclasses
import importlib
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field

import pytest

from tests.support import ROOT
from training import options
from training.bears.cli import parser
from training.bears.data import DataConfig
from training.bears.experiments import EXPERIMENTS, RUNNERS, describe
from training.bears.train import TrainConfig, resolve
from training.options import opt

DATA_OPTIONS = [f.name for f in dataclasses.fields(DataConfig)]


def show_help(*argv) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args([*argv, "--help"])


@pytest.mark.parametrize("command", ["train", "lr-find", "reports"])
def test_data_options_appear_once_with_their_reason_in_every_command(command, capsys):
    show_help(command)
    out = capsys.readouterr().out
    assert "DataConfig:" in out
    for name in DATA_OPTIONS:
        assert out.count(f"  --{name} ") + out.count(f"  --{name},") == 1, name
    assert "seed for the split, the head's init and the batch order" in " ".join(out.split())


def test_lr_find_takes_every_training_option(capsys):
    show_help("lr-find")
    out = capsys.readouterr().out
    for name in ("--train_limit", "--oversample", "--bs", "--cache", "--fast", "--stage", "--num_it"):
        assert name in out, name


def test_flat_build_and_replace_reach_into_embedded_configs():
    cfg = options.replace(TrainConfig(), data="x.csv", per_label=5, bs=8)
    assert cfg.data.data == "x.csv" and cfg.data.per_label == 5 and cfg.bs == 8
    flat = options.flat(cfg)
    assert list(flat)[:len(DATA_OPTIONS)] == DATA_OPTIONS and flat["bs"] == 8 and flat["per_label"] == 5
    assert options.build(TrainConfig, {**flat, "from_an_older_version": 1}) == cfg  # unknown keys: ignored
    with pytest.raises(TypeError, match="no option"):
        options.replace(cfg, batch_size=8)
    fast = resolve(options.replace(cfg, fast=True))
    assert (fast.data.size, fast.data.per_label, fast.bs, fast.epochs) == (128, 5, 8, 1)


def test_an_option_defined_twice_is_refused():
    @dataclass
    class Clash:
        data: DataConfig = field(default_factory=DataConfig)
        seed: int = opt(0, "another seed")

    with pytest.raises(TypeError, match="seed"):
        options.leaves(Clash)


def test_data_config_from_checkpoint(tmp_path):
    meta = {"config": {**options.flat(TrainConfig()), "data": "../shared/data/bears", "per_label": 15, "fast": True}}
    d = DataConfig.from_checkpoint(meta)
    assert d.per_label == 15 and d.data == str(ROOT / "../shared/data/bears")  # published paths: repository-relative
    moved = DataConfig.from_checkpoint({"config": {**meta["config"], "csv_root": "x"}}, tmp_path)
    assert moved.data == str(tmp_path) and moved.csv_root is None and moved.per_label == 15
    assert DataConfig.from_checkpoint({}) == options.replace(DataConfig(), data=str(ROOT / DataConfig().data))


@pytest.mark.parametrize("module, text", [
    ("training.sgd_linear", "--batch_size"), ("training.schedules", "--t_mult"), ("export.to_onnx", "--out-dir")])
def test_every_script_explains_its_options(module, text, capsys, monkeypatch):
    """`python -m MODULE --help`, run in this process (a new Python importing torch took 2-5 s; the
    commands themselves run from a shell in test_sgd.py and test_export_predict.py)."""
    monkeypatch.setenv("COLUMNS", "80")  # wrapped as in a pipe or a narrow terminal
    with pytest.raises(SystemExit) as stopped:
        importlib.import_module(module).main(["--help"])
    out = capsys.readouterr().out
    assert stopped.value.code == 0 and out.startswith(f"usage: python -m {module} ")
    assert text in out and "(default: " in out
    assert out.count("(default: ") >= 6  # every option carries its reason and default


def test_the_schedules_command_runs_from_a_shell():
    """training.schedules imports no torch, so its real command costs ~0.1 s (the torch ones: test_sgd.py,
    test_export_predict.py)."""
    out = subprocess.run([sys.executable, "-m", "training.schedules", "--help"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.startswith("usage: python -m training.schedules ") and "--t_mult" in out


def test_experiments_are_data_and_describe_their_resolved_config(monkeypatch):
    for name, e in EXPERIMENTS.items():
        assert e["kind"] in RUNNERS and isinstance(e["overrides"], dict), name
    base = TrainConfig()
    finder = {"suggested_lr": 2.5e-3}  # the default run's lr_find.json reading, which the text quotes
    high = lambda: describe("lr_too_high", options.replace(base, **EXPERIMENTS["lr_too_high"]["overrides"]), base,  # noqa: E731
                            finder=finder)
    assert "max_lr=10 " in high() and f"{base.head_lr:g}" in high() and "0.0025" in high()
    monkeypatch.setitem(EXPERIMENTS["lr_too_high"]["overrides"], "head_lr", 5.0)
    assert "max_lr=5 " in high()  # the text follows the config: no number typed twice
    for name, e in EXPERIMENTS.items():
        if e["kind"] in ("train", "pipeline"):
            assert describe(name, options.replace(base, **e["overrides"]), base, finder=finder)


def page_commands() -> list[tuple[str, str]]:
    """Every `python -m training.bears ...` line in the pages' bash blocks ("..." ones left out)."""
    found = []
    for md in sorted((ROOT / "docs").glob("*.md")):
        for block in re.findall(r"```bash\n(.*?)```", md.read_text(encoding="utf-8"), re.S):
            for line in block.replace("\\\n", " ").splitlines():  # continued lines joined
                cmd = line.split("#")[0].strip()
                if cmd.startswith("python -m training.bears ") and "..." not in cmd:
                    found.append((md.name, cmd))
    return found


@pytest.mark.parametrize("page,command", page_commands())
def test_the_commands_the_pages_show_are_accepted(page, command):
    """A reader copies these: an option the scripts do not have must fail here, not in their shell."""
    argv = ["0.001" if a == "LR" else a for a in shlex.split(command)[3:]]  # LR: the rate read off a curve
    parser().parse_args(argv)
