"""The SGD widget's loss surface (site_widgets/linfit/surface.js, DOM-free) in Node against NumPy,
and the Python side of what it claims: the learning-rate limit of gradient descent on this
MSE, with and without momentum, checked on real runs of training/sgd_core.py.

- the curvature: the Hessian 2/n·xᵀx of the page's data (docs/assets/sgd/fit.json), its
  eigenvalues and eigenvectors against np.linalg.eigh; the limit 2(1 + β)/λmax;
- the drawings' numbers: contour points lie on their level (NumPy's MSE), the view box, the
  distances along the steepest direction;
- what a step does (stepKind) against the roots NumPy finds and against the 1-D recursion;
- sgd_core.fit with momentum is PyTorch's SGD(momentum=β), and its runs converge just under
  the limit and diverge just over it, for β = 0, 0.5, 0.9 (so the page may say how the
  limit moves with momentum).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tests.support import ROOT, run_node_modules
from training import sgd_core, sgd_linear

LINFIT = ROOT / "site_widgets" / "linfit"
FIT = json.loads((ROOT / "docs/assets/sgd/fit.json").read_text())
X, Y = np.array(FIT["x"]), np.array(FIT["y"])
MOMENTA = [0, 0.5, 0.8, 0.9, 0.95]  # the widget's choices (settings.js)


def node(script: str, payload=None):
    return run_node_modules(LINFIT, ("surface",), script, payload, timeout=60)


def numpy_curvature():
    hessian = 2 / len(Y) * X.T @ X
    values, vectors = np.linalg.eigh(hessian)
    return hessian, values, vectors


def mse(a):
    return float(np.mean((X @ np.asarray(a) - Y) ** 2))


@pytest.fixture(scope="module")
def js():
    """Everything surface.js computes on the page's data, in one Node process."""
    return node("""
      const q = surface.quadratic(input.x, input.y);
      const box = surface.viewBox(q, input.a, input.loss);
      const levels = surface.contourLevels(q, box);
      console.log(JSON.stringify({q, box, levels, ellipses: levels.map((l) => surface.ellipse(q, l, 24)),
        limits: input.momenta.map((b) => surface.lrLimit(q, b)),
        steps: surface.steepSteps(q, input, 3, 3), along: input.a.map((a) => surface.alongSteep(q, a)),
        lossAt: input.a.slice(0, 5).map((a) => surface.lossAt(q, a))}));""",
                {**FIT, "momenta": MOMENTA})


def test_curvature_is_numpys(js):
    hessian, values, vectors = numpy_curvature()
    q = js["q"]
    assert np.allclose(q["hessian"], hessian, rtol=1e-13)
    assert q["steep"]["value"] == pytest.approx(values[1], rel=1e-13)
    assert q["flat"]["value"] == pytest.approx(values[0], rel=1e-13)
    for mine, theirs in ((q["steep"]["vector"], vectors[:, 1]), (q["flat"]["vector"], vectors[:, 0])):
        assert abs(np.dot(mine, theirs)) == pytest.approx(1, abs=1e-12)  # the same direction (up to sign)
    assert q["best"] == pytest.approx(np.linalg.lstsq(X, Y, rcond=None)[0].tolist(), rel=1e-12)
    assert q["bestLoss"] == pytest.approx(mse(q["best"]), rel=1e-12)
    assert js["lossAt"] == pytest.approx([mse(a) for a in FIT["a"][:5]], rel=1e-12)


def test_the_limit_is_2_1_plus_beta_over_lambda_max(js):
    lam_max = numpy_curvature()[1][1]
    assert js["limits"] == pytest.approx([2 * (1 + b) / lam_max for b in MOMENTA], rel=1e-13)
    committed = json.loads((ROOT / "docs/assets/sgd/curvature.json").read_text())  # what the page's text quotes
    assert committed["lr_limit"] == pytest.approx(js["limits"][0], rel=1e-12)
    assert committed["lr_limit_momentum"]["0.9"] == pytest.approx(js["limits"][3], rel=1e-12)


def test_contours_lie_on_their_levels_and_the_view_holds_the_run(js):
    levels = js["levels"]
    assert all(a > b > js["q"]["bestLoss"] for a, b in zip(levels, levels[1:]))
    for level, ring in zip(levels, js["ellipses"]):
        assert [mse(p) for p in ring] == pytest.approx([level] * len(ring), rel=1e-10)
    lo, hi = np.array(js["box"]["lo"]), np.array(js["box"]["hi"])
    points = np.array(FIT["a"] + [js["q"]["best"]])
    assert (points >= lo).all() and (points <= hi).all()  # lr 0.1 never climbs: the whole run is in view


def test_the_steps_along_the_steepest_direction_are_the_runs(js):
    v = numpy_curvature()[2][:, 1]
    t = (np.array(FIT["a"]) - js["q"]["best"]) @ v
    assert np.allclose(np.abs(js["along"]), np.abs(t), rtol=1e-9, atol=1e-12)
    assert js["steps"]["t"] == pytest.approx(js["along"][3:7], rel=1e-12)
    # full-batch GD multiplies the distance by (1 - lr·λmax) each step: here lr = 0.1
    ratio = np.array(js["along"][1:20]) / np.array(js["along"][:19])
    assert ratio == pytest.approx([1 - 0.1 * numpy_curvature()[1][1]] * 19, rel=1e-4)


def test_step_kind_matches_the_roots_and_the_recursion():
    lam = numpy_curvature()[1][1]
    cases = [(lr, beta) for lr in (0.01, 0.1, 0.4992, 0.9, 0.99, 1.0, 1.5, 1.9, 2.0) for beta in MOMENTA]
    out = node("console.log(JSON.stringify(input.cases.map(([lr, b]) => surface.stepKind(lr, b, input.lam))));",
               {"cases": cases, "lam": lam})
    for (lr, beta), kind in zip(cases, out):
        roots = np.roots([1, -(1 + beta - lr * lam), beta]) if beta else np.array([1 - lr * lam])
        assert kind["factor"] == pytest.approx(max(abs(roots)), rel=1e-9), (lr, beta)
        # the heavy-ball recursion d' = (1 + β - lr·λ)d - β·d_prev, from d = 1 at rest, 4000 steps
        d, prev = 1.0, 1.0
        for _ in range(4000):
            d, prev = (1 + beta - lr * lam) * d - beta * prev, d
            if abs(d) > 1e6:
                break
        assert (kind["kind"] == "diverges") == (abs(d) > 1), (lr, beta, kind, d)
        assert (kind["kind"] == "diverges") == (lr > 2 * (1 + beta) / lam), (lr, beta)
        if not beta:
            assert kind["z"] == pytest.approx(1 - lr * lam)
            assert kind["kind"] == ("creeps" if lr * lam < 1 else "zigzags" if lr * lam < 2 else "diverges")


def test_eig2_on_awkward_matrices():
    mats = [[[1, 0], [0, 1]], [[2, 0], [0, 5]], [[5, 0], [0, 2]], [[1, 1e-9], [1e-9, 1]], [[3, -2], [-2, 0.5]],
            [[1e-8, 3], [3, 1e8]]]
    out = node("console.log(JSON.stringify(input.map((m) => surface.eig2(m))))", mats)
    for m, (big, small) in zip(mats, out):
        values, _ = np.linalg.eigh(np.array(m, dtype=float))
        assert [big["value"], small["value"]] == pytest.approx([values[1], values[0]], rel=1e-9, abs=1e-12)
        for e in (big, small):
            v = np.array(e["vector"])
            assert np.linalg.norm(v) == pytest.approx(1)
            assert np.allclose(np.array(m) @ v, e["value"] * v, atol=1e-7 * max(1, abs(e["value"])))
        assert abs(np.dot(big["vector"], small["vector"])) < 1e-9  # two directions, at right angles


# ---------------------------------------------------------------- the Python side: momentum and the limit

@pytest.mark.parametrize("lr,bs", [(0.01, 0), (0.1, 0), (1.5, 0), (0.05, 10)])
def test_core_momentum_is_torch_sgd_momentum(lr, bs):
    x, y = sgd_linear.make_data(100, 42)
    a = torch.nn.Parameter(torch.tensor([-1.0, 1], dtype=torch.float64))
    opt = torch.optim.SGD([a], lr=lr, momentum=0.9)
    xd, yd = x.double(), y.double()
    run = sgd_core.fit(x.tolist(), y.tolist(), [-1.0, 1.0], lr, 60, bs, 42, momentum=0.9)
    for k, idx in enumerate(sgd_core.batches(100, bs, 60, 42), 1):
        opt.zero_grad()
        ((xd[idx] @ a - yd[idx]) ** 2).mean().backward()
        opt.step()
        assert run["a"][k] == pytest.approx(a.tolist(), rel=1e-10, abs=1e-12), f"step {k}"


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_runs_converge_just_under_the_limit_and_diverge_just_over(beta):
    """2(1 + β)/λmax, as the widget marks it, on real runs of the core (all the points, lesson's update)."""
    limit = 2 * (1 + beta) / numpy_curvature()[1][1]
    start = [-1.0, 1.0]
    under = sgd_core.fit(FIT["x"], FIT["y"], start, 0.98 * limit, 600, momentum=beta)
    over = sgd_core.fit(FIT["x"], FIT["y"], start, 1.02 * limit, 600, momentum=beta)
    assert under["loss"][-1] == pytest.approx(FIT["optimum_loss"], rel=1e-5)
    assert over["diverged"] or over["loss"][-1] > 1e3 * over["loss"][0]


def test_committed_curvature_is_numpys():
    committed = json.loads((ROOT / "docs/assets/sgd/curvature.json").read_text())
    _, values, vectors = numpy_curvature()
    assert [committed["lambda_min"], committed["lambda_max"]] == pytest.approx(values.tolist(), rel=1e-12)
    assert abs(np.dot(committed["steepest"], vectors[:, 1])) == pytest.approx(1, abs=1e-12)
