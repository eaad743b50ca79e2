"""The SGD experiment: the PyTorch script is the source of truth; the pure-Python
core (which the browser widget runs) must follow it step by step, in CPython and
in real Pyodide."""

import json
import math
import subprocess
import sys

import pytest
import torch
from PIL import Image

from tests.support import ROOT, run_pyodide
from training import sgd_core, sgd_linear
from training.sgd_linear import Config

CORE_SRC = (ROOT / "training" / "sgd_core.py").read_text()
SANDBOX_SRC = (ROOT / "site_widgets" / "linfit" / "sandbox.py").read_text()


def torch_run(**kw):
    cfg = Config(**kw)
    return sgd_linear.fit(*sgd_linear.make_data(cfg.n, cfg.seed), cfg)


def core_run(run, lr, steps, batch_size=0, seed=42):
    return sgd_core.fit(run["x"], run["y"], run["a"][0], lr, steps, batch_size, seed)


# ---- the PyTorch script ----

def test_script_json_has_what_the_site_reads(tmp_path):
    out = tmp_path / "run.json"
    sgd_linear.main(["--json", str(out)])
    run = json.loads(out.read_text())
    assert run["a"][0] == [-1.0, 1.0]  # the lesson's starting point
    assert len(run["a"]) == len(run["loss"]) == 101  # the start + one entry per step
    assert len(run["x"]) == len(run["y"]) == 100 and all(row[1] == 1.0 for row in run["x"])
    assert run["optimum_loss"] <= min(run["loss"]) + 1e-6
    # lr 0.1 for 100 steps reaches the least-squares fit
    assert run["loss"][-1] == pytest.approx(run["optimum_loss"], rel=1e-3)
    assert run["a"][-1] == pytest.approx(run["optimum_a"], abs=1e-2)
    # true a = (3, 2) plus uniform(0, 1) noise: the best line is near (3, 2.5)
    assert run["optimum_a"] == pytest.approx([3, 2.5], abs=0.25)


def test_script_cli_writes_json_to_stdout_and_a_gif(tmp_path):
    """The command from a shell. 15 steps: the GIF has a frame a step, each drawn by matplotlib
    (~0.15 s a frame); 30 steps took 2.4 s longer and checked nothing more."""
    gif = tmp_path / "fit.gif"
    proc = subprocess.run([sys.executable, "-m", "training.sgd_linear", "--lr", "0.2", "--steps", "15",
                           "--batch_size", "10", "--json", "-", "--gif", str(gif)],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    run = json.loads(proc.stdout)
    assert run["config"] == {"n": 100, "lr": 0.2, "steps": 15, "batch_size": 10, "momentum": 0.0, "seed": 42}
    assert len(run["loss"]) == 16
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames > 10  # an animation, viewable without JavaScript


@pytest.mark.parametrize("argv", [["--steps", "-1"], ["--batch_size", "-3"], ["--lr", "fast"]])
def test_script_rejects_bad_options_clearly(argv, capsys):
    """What the command does with them, run in this process: a new Python importing torch for each
    took ~3 s; that `python -m training.sgd_linear` runs from a shell is the test above."""
    with pytest.raises(SystemExit) as stopped:
        sgd_linear.main(argv)
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "error:" in err
    assert argv[0] in err.split("error:", 1)[1], err  # the message names the option that is wrong


def test_learning_rate_too_high_diverges_too_low_crawls():
    good, high, low = torch_run(lr=0.1), torch_run(lr=1.5), torch_run(lr=0.01)
    assert high["loss"][10] > high["loss"][0] * 1e3  # each step overshoots further
    assert high["diverged"]  # float32 overflows before 100 steps
    assert low["loss"][-1] > 10 * good["loss"][-1]  # right direction, far too slow
    assert not good["diverged"] and not low["diverged"]


def test_minibatch_sgd_gets_close_with_a_noisier_path():
    full, mini = torch_run(lr=0.1), torch_run(lr=0.1, batch_size=10)
    assert mini["loss"][-1] < 1.1 * full["optimum_loss"]
    ups = lambda L: sum(b > a for a, b in zip(L, L[1:]))  # noqa: E731
    assert ups(full["loss"]) == 0 and ups(mini["loss"]) > 0


def test_committed_site_assets_match_a_fresh_run(tmp_path):
    """docs/assets/sgd's data is what `python -m training.sgd_linear --site` writes today (the figures,
    drawn from it, are left out: 5 s of drawing; the command test above draws a GIF)."""
    sgd_linear.write_site_assets(tmp_path, figures=False)
    committed = json.loads((ROOT / "docs/assets/sgd/fit.json").read_text())
    fresh = json.loads((tmp_path / "fit.json").read_text())
    assert fresh == committed
    for name in ("summary.json", "momentum.json", "curvature.json"):
        assert json.loads((tmp_path / name).read_text()) == json.loads((ROOT / "docs/assets/sgd" / name).read_text())


# ---- the pure-Python core against PyTorch ----

@pytest.mark.parametrize("lr,steps,bs", [(0.1, 100, 0), (0.1, 60, 10), (0.3, 40, 1), (1.5, 40, 0)])
def test_core_follows_torch_step_by_step(lr, steps, bs):
    ref = torch_run(lr=lr, steps=steps, batch_size=bs)
    got = core_run(ref, lr, steps, bs)
    assert len(got["a"]) == len(ref["a"])
    for k, (ga, ra, gl, rl) in enumerate(zip(got["a"], ref["a"], got["loss"], ref["loss"])):
        # torch runs in float32, the core in float64: agree to float32 precision
        assert ga == pytest.approx(ra, rel=1e-4, abs=1e-5), f"a differs at step {k}"
        assert gl == pytest.approx(rl, rel=1e-4, abs=1e-6), f"loss differs at step {k}"


def test_core_gradient_equals_autograd():
    ref = torch_run(steps=0)
    x, y, a = torch.tensor(ref["x"], dtype=torch.float64), torch.tensor(ref["y"], dtype=torch.float64), \
        torch.tensor([0.7, -0.2], dtype=torch.float64, requires_grad=True)
    ((x @ a - y) ** 2).mean().backward()
    got = sgd_core.mse_grad(ref["x"], sgd_core.matvec(ref["x"], [0.7, -0.2]), ref["y"])
    assert got == pytest.approx(a.grad.tolist(), rel=1e-12)


def test_core_least_squares_matches_torch():
    ref = torch_run(steps=0)
    assert sgd_core.least_squares(ref["x"], ref["y"]) == pytest.approx(ref["optimum_a"], rel=1e-5)


def test_batches_cover_every_point_once_per_epoch():
    order = sgd_core.batches(100, 30, 8, seed=1)
    assert [len(b) for b in order] == [30, 30, 30, 10] * 2
    assert sorted(sum(order[:4], [])) == list(range(100))
    assert order[:4] != order[4:]  # reshuffled each epoch
    assert sgd_core.batches(100, 0, 3, seed=1) == [list(range(100))] * 3
    assert sgd_core.batches(100, 30, 8, seed=1) == order  # seeded


def test_core_marks_overflow_as_diverged_without_nan():
    ref = torch_run(steps=0)
    run = core_run(ref, lr=10.0, steps=2000)
    assert run["diverged"] and len(run["a"]) < 2001
    assert all(math.isfinite(v) for v in run["loss"])
    json.dumps(run, allow_nan=False)  # what the page receives stays valid JSON


# ---- the widget's sandbox (CPython) ----

def sandbox():
    sys.path.insert(0, str(ROOT / "training"))
    sys.path.insert(0, str(ROOT / "site_widgets" / "linfit"))
    try:
        import sandbox as sb
    finally:
        del sys.path[:2]
    return sb


def sandbox_run(code, **kw):
    ref = torch_run(steps=0)
    req = {"code": code, "x": ref["x"], "y": ref["y"], "a": ref["a"][0], "lr": 0.1, "steps": 20,
           "batch_size": 0, "seed": 42, **kw}
    return json.loads(sandbox().run(json.dumps(req)))


def original_update():
    """The update() the widget starts with (equal to the core's: tests/test_linfit_modules.py)."""
    return (ROOT / "site_widgets" / "linfit" / "update.py").read_text()


def test_sandbox_runs_the_original_update_like_the_core():
    got = sandbox_run(original_update())
    ref = torch_run(steps=0)
    assert got["ok"] and got["a"] == core_run(ref, 0.1, 20)["a"]


def test_sandbox_edited_update_takes_effect_and_print_is_captured():
    code = original_update().replace("return [", "print('step');  return [").replace("lr * gi", "0 * gi")
    got = sandbox_run(code, steps=3)
    assert got["ok"] and got["a"] == [got["a"][0]] * 4  # a zero step never moves
    assert got["stdout"] == "step\n" * 3


@pytest.mark.parametrize("code,expected", [
    ("def update(a, xb, yb, lr)\n    return a\n", "SyntaxError"),
    ("def update(a, xb, yb, lr):\n    return 1 / 0\n", 'File "<your update>", line 2, in update\n'),
    ("def update(a, xb, yb, lr):\n    return None\n", "must return the new a"),
    ("def step(a):\n    return a\n", "must define a function update"),
    ("def update(a, xb, yb, lr):\n    return [1, 2, 3]\n", "must return 2 numbers"),
])
def test_sandbox_reports_errors_in_the_readers_code(code, expected):
    got = sandbox_run(code)
    assert not got["ok"] and expected in got["error"]
    assert "sandbox.py" not in got["error"] and "sgd_core.py" not in got["error"]  # only the reader's frames


def update_returning(expr):
    return f"import math\n\ndef update(a, xb, yb, lr):\n    return {expr}\n"


@pytest.mark.parametrize("expr,expected", [
    ("'12'", "it returned the string '12', which is not a list of numbers"),
    ("[float('nan'), a[1]]", "update() returned a = [nan, 1.0] at step 1: a[0] is not a finite number"),
    ("[a[0], -math.inf]", "a[1] is not a finite number"),
    ("{0: 1.0, 1: 2.0}", "it returned a dict"),
    ("3.5", "it returned one number, 3.5"),
    ("[True, 1.0]", "a[0] is True (a bool), not a number"),
    ("[1.0, '2']", "a[1] is '2' (a str), not a number"),
    ("[0.0] * 10_000_000", "update() must return 2 numbers, but at step 1 it returned 10,000,000."),
    ("iter(int, 1)", "update() must return 2 numbers, but at step 1 it returned more than 2."),  # endless
    ("[10 ** 400, 1]", "an integer too large for a float as a[0] at step 1"),
])
def test_sandbox_names_what_is_wrong_with_what_update_returned(expr, expected):
    got = sandbox_run(update_returning(expr))
    assert not got["ok"] and expected in got["error"], got["error"]
    assert "learning rate is too high" not in got["error"]


def test_sandbox_nan_on_a_later_step_names_the_step_and_a_before_it():
    code = "def update(a, xb, yb, lr):\n    return [a[0] + 1, a[1]] if a[0] < 1 else [a[0] * float('nan'), a[1]]\n"
    got = sandbox_run(code)
    assert "at step 3" in got["error"] and "the step before, a was [1.0, 1.0]" in got["error"]


def test_sandbox_accepts_tuples_generators_and_ints_and_passes_a_copy_of_a():
    ref = core_run(torch_run(steps=0), 0.1, 20)["a"]
    for code in (original_update().replace("return [", "return tuple(").replace("]  # step", ")  # step"),
                 original_update().replace("return [", "return (").replace("]  # step", ")  # step")):
        got = sandbox_run(code)
        assert got["ok"] and got["a"] == ref, code
    in_place = "def update(a, xb, yb, lr):\n    g = mse_grad(xb, matvec(xb, a), yb)\n    a[0] -= lr * g[0]\n    a[1] -= lr * g[1]\n    return a\n"
    got = sandbox_run(in_place)
    assert got["ok"] and got["a"] == ref  # a step that changes `a` in place leaves the earlier steps alone
    assert sandbox_run(update_returning("[3, 2]"), steps=2)["a"][1:] == [[3.0, 2.0]] * 2


@pytest.mark.parametrize("statement,expected", [
    ("import sys; sys.exit()", "SystemExit"),
    ("exit(3)", "SystemExit: 3"),
    ("raise KeyboardInterrupt", "KeyboardInterrupt"),
    ("raise GeneratorExit", "GeneratorExit"),
])
def test_sandbox_ends_the_run_not_python_on_exit_and_interrupts(statement, expected):
    got = sandbox_run(f"def update(a, xb, yb, lr):\n    {statement}\n")
    assert not got["ok"] and expected in got["error"] and 'File "<your update>", line 2' in got["error"]


def test_sandbox_caps_what_is_printed_and_captures_stderr():
    code = original_update().replace("    return [", "    print('x' * 1_000_000)\n    import sys; print('done', file=sys.stderr)\n    return [")
    got = sandbox_run(code, steps=5)
    assert got["ok"] and got["stdout"].startswith("[… 4,99") and got["stdout"].endswith("done\n")
    assert len(got["stdout"]) < 4100


def test_sandbox_refuses_imports_of_the_page():
    for name in ("js", "pyodide", "pyodide.ffi", "pyodide_js"):
        got = sandbox_run(f"import {name}\n" + original_update())
        assert not got["ok"] and f"`{name}` cannot be imported here" in got["error"]
    assert sandbox_run("import statistics, json\n" + original_update())["ok"]


def test_sandbox_huge_error_messages_reach_the_page_whole():
    got = sandbox_run("def update(a, xb, yb, lr):\n    raise ValueError('x' * 100_000)\n")
    assert not got["ok"] and "ValueError: xxx" in got["error"]


# ---- real Pyodide (the npm package the site serves), under Node ----

def test_core_in_pyodide_equals_cpython():
    ref = torch_run(steps=0)
    args = {"x": ref["x"], "y": ref["y"], "a": ref["a"][0]}
    expected = [core_run(ref, 0.1, 50), core_run(ref, 0.2, 50, batch_size=7)]
    got = run_pyodide({"sgd_core.py": CORE_SRC, "args.json": json.dumps(args)}, """
import json, sgd_core
d = json.load(open("args.json"))
json.dumps([sgd_core.fit(d["x"], d["y"], d["a"], 0.1, 50),
            sgd_core.fit(d["x"], d["y"], d["a"], 0.2, 50, batch_size=7, seed=42)])
""")
    # Same Mersenne Twister, so the same mini-batches; float sums agree to ~1e-15 but not
    # bit for bit, since Python >= 3.12 (Pyodide's) sums floats with compensation.
    for g, e in zip(got, expected):
        assert g["diverged"] == e["diverged"] and len(g["a"]) == len(e["a"])
        for ga, ea in zip(g["a"], e["a"]):
            assert ga == pytest.approx(ea, rel=1e-12, abs=1e-12)
        assert g["loss"] == pytest.approx(e["loss"], rel=1e-12)


def test_sandbox_in_pyodide_reports_a_traceback():
    ref = torch_run(steps=0)
    req = {"code": "def update(a, xb, yb, lr):\n    return undefined_name\n", "x": ref["x"], "y": ref["y"],
           "a": ref["a"][0], "lr": 0.1, "steps": 5}
    got = run_pyodide({"sgd_core.py": CORE_SRC, "sandbox.py": SANDBOX_SRC, "req.json": json.dumps(req)},
                      "import sandbox; sandbox.run(open('req.json').read())")
    got = json.loads(got) if isinstance(got, str) else got
    assert not got["ok"] and "NameError" in got["error"] and "<your update>" in got["error"]


def pyodide_runs(codes, **kw):
    """Each code run in turn by one sandbox in real Pyodide, set up as the worker does."""
    ref = torch_run(steps=0)
    reqs = [{"code": c, "x": ref["x"], "y": ref["y"], "a": ref["a"][0], "lr": 0.1, "steps": 30,
             "batch_size": 0, "seed": 42, **kw} for c in codes]
    return run_pyodide({"sgd_core.py": CORE_SRC, "sandbox.py": SANDBOX_SRC, "reqs.json": json.dumps(reqs)}, """
import json, sandbox
sandbox.setup()
ms = sandbox.calibrate()
json.dumps({"ms": ms, "runs": [json.loads(sandbox.run(json.dumps(r))) for r in json.load(open("reqs.json"))]})
""")


PATCHES = [
    "import sgd_core\nsgd_core.mse_grad = lambda x, y_hat, y: [0.0, 0.0]\n",
    "import sgd_core\nsgd_core.matvec.__code__ = (lambda x, a: [0.0] * len(x)).__code__\n",
    "import builtins\nbuiltins.sum = lambda values, start=0: 0.0\n",
    "import math\nmath.isfinite = lambda v: False\n",
    "import random\nrandom.Random.shuffle = lambda self, x: None\n",
    "import random\ndel random.Random.shuffle\n",
    "import sys\nsys.modules['math'] = None\nsys.setrecursionlimit(60)\n",
    "import json\njson.dumps = lambda *a, **k: 'not json'\n",
    "import sandbox\nsandbox.as_vector = lambda out, size, step, before: [0.0, 0.0]\n",
    "import os\nos._exit(1)\n",
]


def test_sandbox_in_pyodide_starts_every_run_from_a_clean_python():
    """What the reader's code patches (the core, builtins, math, random's classes, sys, json, the
    sandbox itself) lasts for its own run only; os._exit() ends the run, not Python."""
    clean = original_update()
    got = pyodide_runs([clean] + [c for p in PATCHES for c in (p + clean, clean)], batch_size=10)
    assert got["ms"] > 0
    first = got["runs"][0]
    assert first["ok"]
    for k, patch in enumerate(PATCHES):
        after = got["runs"][2 + 2 * k]
        assert after == first, f"a run after {patch!r} differs from the clean one"
    assert "os._exit(1)" in got["runs"][-2]["error"]


# ---- momentum ----

MOMENTUM_SRC = (ROOT / "site_widgets" / "linfit" / "momentum.py").read_text()


@pytest.mark.parametrize("lr,bs", [(0.01, 0), (0.1, 0), (0.05, 10)])
def test_script_momentum_is_torch_optim_sgd_momentum(lr, bs):
    """The script's hand-written momentum step against PyTorch's own SGD(momentum=0.9)."""
    run = torch_run(lr=lr, batch_size=bs, momentum=0.9, steps=60)
    x, y = sgd_linear.make_data(100, 42)
    a = torch.nn.Parameter(torch.tensor([-1.0, 1]))
    opt = torch.optim.SGD([a], lr=lr, momentum=0.9)
    for k, idx in enumerate(sgd_core.batches(100, bs, 60, 42), 1):
        opt.zero_grad()
        sgd_linear.mse(x[idx] @ a, y[idx]).backward()
        opt.step()
        assert run["a"][k] == pytest.approx(a.tolist(), rel=1e-5, abs=1e-6), f"step {k}"


def test_momentum_lets_a_small_lr_reach_the_best_line():
    plain, mom = torch_run(lr=0.01), torch_run(lr=0.01, momentum=0.9)
    assert plain["loss"][-1] > 10 * plain["optimum_loss"]  # plain SGD at lr 0.01 is far away after 100 steps
    assert mom["loss"][-1] == pytest.approx(mom["optimum_loss"], rel=0.01)


def test_widget_momentum_code_follows_the_torch_script():
    """The momentum update() the SGD widget starts from (schedules page) = the script with --momentum 0.9."""
    for lr, bs in [(0.1, 0), (0.01, 0), (0.05, 10)]:
        ref = torch_run(lr=lr, batch_size=bs, momentum=0.9, steps=40)
        got = sandbox_run(MOMENTUM_SRC, lr=lr, steps=40, batch_size=bs)
        assert got["ok"], got.get("error")
        for k, (g, e) in enumerate(zip(got["a"], ref["a"])):
            assert g == pytest.approx(e, rel=1e-4, abs=1e-5), f"lr {lr} bs {bs} step {k}"


def test_widget_momentum_state_starts_fresh_every_run():
    """The velocity lives in the reader's module: a second run must not inherit the first one's."""
    first, second = sandbox_run(MOMENTUM_SRC, steps=30), sandbox_run(MOMENTUM_SRC, steps=30)
    assert first["a"] == second["a"]
