"""The explorables: under- and overfitting (site_widgets/overfit/, on wrong.md) and the
matrix product step by step (site_widgets/matmul/, on sgd.md).

- Their DOM-free modules in Node, checked against NumPy: polynomial fits with and
  without weight decay against np.polyfit / np.linalg.lstsq, the product walk against
  x @ a, and the URL state parsing.
- The widgets in headless Chromium on the built site: every control moved by keyboard
  and by pointer, the numbers they draw (data- attributes and text) checked against
  NumPy on the points the widget drew, the state in the address both ways, a phone
  width with touch. The `watched` fixture fails a test on any console error.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.conftest import Watch
from tests.support import ROOT, run_node_modules

OVERFIT = ROOT / "site_widgets" / "overfit"
MATMUL = ROOT / "site_widgets" / "matmul"
FIT = json.loads((ROOT / "docs" / "assets" / "sgd" / "fit.json").read_text())


def node_overfit(script: str, payload=None):
    return run_node_modules(OVERFIT, ("model", "state"), script, payload)


def numpy_fit(x, y, degree: int, wd: float) -> np.ndarray:
    """w0..wd minimising mean((V w - y)^2) + wd * sum(w[1:]^2), the widget's objective."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if wd == 0:
        return np.polyfit(x, y, degree)[::-1]
    V = np.vander(x, degree + 1, increasing=True)
    P = np.sqrt(len(x) * wd) * np.eye(degree + 1)[1:]
    return np.linalg.lstsq(np.vstack([V, P]), np.r_[y, np.zeros(degree)], rcond=None)[0]


def mse(w, x, y) -> float:
    return float(np.mean((np.polynomial.polynomial.polyval(np.asarray(x), w) - np.asarray(y)) ** 2))


def close_weights(got, want, rtol=1e-7):
    """Weights agree relative to the largest one (a degree-11 fit has weights near 1e6)."""
    got, want = np.asarray(got, float), np.asarray(want, float)
    assert got.shape == want.shape
    assert np.max(np.abs(got - want)) <= rtol * max(np.max(np.abs(want)), 1.0), (got, want)


def close_mse(got: float, want: float):
    """Relative agreement, except for errors that are zero up to rounding (a curve through every point)."""
    assert got == pytest.approx(want, rel=1e-6, abs=1e-12)


# ---------------------------------------------------------------- overfit: DOM-free, in Node

def test_overfit_fits_agree_with_numpy_at_every_degree_and_weight_decay():
    out = node_overfit("""
      const res = {};
      for (const seed of input.seeds) {
        const data = model.sample(seed);
        res[seed] = {data, curves: input.wds.map((wd) => model.errorCurve(data, wd))};
      }
      console.log(JSON.stringify(res));""", {"seeds": [0, 1, 3, 17], "wds": [0, 1e-6, 1e-3, 1]})
    for seed, res in out.items():
        tr, va = res["data"]["train"], res["data"]["valid"]
        assert len(tr["x"]) == 12 and len(va["x"]) == 24
        assert all(-1 <= v <= 1 for v in tr["x"] + va["x"])
        for wd, curve in zip([0, 1e-6, 1e-3, 1], res["curves"]):
            assert [c["degree"] for c in curve] == list(range(12))
            for c in curve:
                w = numpy_fit(tr["x"], tr["y"], c["degree"], wd)
                close_weights(c["w"], w)
                close_mse(c["train"], mse(w, tr["x"], tr["y"]))
                close_mse(c["valid"], mse(w, va["x"], va["y"]))
        # degree 11 through 12 points: the curve passes through every one
        assert res["curves"][0][11]["train"] < 1e-15


def test_overfit_samples_are_seeded_and_noisy_around_the_curve():
    out = node_overfit("""console.log(JSON.stringify({a: model.sample(5), b: model.sample(5), c: model.sample(6),
      many: model.sample(2, {nTrain: 4000, nValid: 1})}));""")
    assert out["a"] == out["b"] and out["a"] != out["c"]
    x, y = np.array(out["many"]["train"]["x"]), np.array(out["many"]["train"]["y"])
    resid = y - np.sin(np.pi * x)
    assert abs(resid.mean()) < 0.02 and resid.std() == pytest.approx(0.25, rel=0.05)  # NOISE
    assert abs(x.mean()) < 0.05 and x.min() >= -1 and x.max() <= 1


def test_overfit_qr_is_why_the_degree_11_fit_is_right():
    """The comment in model.js: the normal equations lose the degree-11 fit, QR does not."""
    data = node_overfit("console.log(JSON.stringify(model.sample(1)));")["train"]
    x, y = np.array(data["x"]), np.array(data["y"])
    V = np.vander(x, 12, increasing=True)
    assert np.linalg.cond(V) > 1e6
    w_normal = np.linalg.solve(V.T @ V, V.T @ y)
    w_qr = node_overfit("console.log(JSON.stringify(model.ridgeFit(input.x, input.y, 11, 0)));", data)
    w_ref = np.linalg.lstsq(V, y, rcond=None)[0]
    close_weights(w_qr, w_ref, rtol=1e-8)
    assert np.max(np.abs(w_normal - w_ref)) > 1e-4 * np.max(np.abs(w_ref))


def test_overfit_state_from_the_address():
    out = node_overfit("""
      const read = (q, prefix) => { const p = new URLSearchParams(q); return state.readState((n) => p.get(n), prefix); };
      console.log(JSON.stringify({
        plain: read("degree=9&wd=0.001&seed=3"), none: read(""),
        scoped: read("degree=2&b-degree=7&b-wd=0.1&b-seed=4", "b-"),
        bad: read("degree=40&wd=abc&seed=-2"), snap: read("wd=0.002&degree=2.5"),
        written: state.writeState({degree: 4, wd: 1e-6, seed: 12}, "b-")}));""")
    assert out["plain"] == {"state": {"degree": 9, "wd": 0.001, "seed": 3}, "notes": []}
    assert out["none"] == {"state": {"degree": 3, "wd": 0, "seed": 1}, "notes": []}
    assert out["scoped"]["state"] == {"degree": 7, "wd": 0.1, "seed": 4}
    assert out["bad"]["state"] == {"degree": 11, "wd": 0, "seed": 1} and len(out["bad"]["notes"]) == 3
    assert out["snap"]["state"]["wd"] == 0.001 and out["snap"]["state"]["degree"] == 3
    assert out["written"] == [["b-degree", "4"], ["b-wd", "0.000001"], ["b-seed", "12"]]


def test_overfit_page_claims_hold_for_the_starting_sample():
    """wrong.md's "things to try" describe the sample the widget starts with."""
    out = node_overfit("""console.log(JSON.stringify({
      start: model.explore(model.DEFAULTS), wd: model.explore({...model.DEFAULTS, degree: 11, wd: 0.001})}));""")
    start, wd = out["start"], out["wd"]
    curve = start["curve"]
    assert start["fit"]["degree"] == 3 == start["best"]["degree"]
    assert start["fit"]["valid"] < 1.2 * start["noiseMse"]  # "about the dotted line"
    assert min(curve[0]["valid"], curve[1]["valid"]) > 3 * start["fit"]["valid"]  # degree 0 or 1: high
    assert curve[0]["train"] > 3 * start["fit"]["train"] and curve[1]["train"] > 3 * start["fit"]["train"]
    assert curve[11]["train"] < 1e-15 and curve[11]["valid"] > 1e4 * start["fit"]["valid"]  # "explodes"
    assert wd["fit"]["valid"] < 1.5 * start["best"]["valid"]  # "close to the best"
    assert max(map(abs, wd["fit"]["w"])) < 1e-3 * max(map(abs, curve[11]["w"]))


# ---------------------------------------------------------------- overfit: in Chromium

def open_overfit(watched, site, query=""):
    page = watched.page
    page.goto(site.url + "wrong/" + query)
    w = page.locator('[data-widget="overfit"]')
    expect(w).to_have_attribute("data-mounted", "yes", timeout=15000)
    return page, w


def drawn(w) -> dict:
    """What the widget shows: state, points, error dots, weights, readout numbers."""
    return w.evaluate("""(el) => {
      const pts = (set) => [...el.querySelectorAll(`circle[data-set="${set}"][data-x]`)]
        .map((c) => [Number(c.dataset.x), Number(c.dataset.y)]);
      const errs = (set) => [...el.querySelectorAll(`circle.xp-err-dot[data-set="${set}"]`)]
        .map((c) => [Number(c.dataset.degree), Number(c.dataset.mse)]);
      const r = el.querySelector('.xp-readout').dataset;
      return {degree: Number(el.dataset.degree), wd: Number(el.dataset.wd), seed: Number(el.dataset.seed),
        train: pts('train'), valid: pts('valid'), errTrain: errs('train'), errValid: errs('valid'),
        weights: [...el.querySelectorAll('.xp-weights li')].map((li) => Number(li.dataset.value)),
        trainMse: Number(r.trainMse), validMse: Number(r.validMse), best: Number(r.bestDegree),
        formulaDegree: Number(el.querySelector('.xp-formula').dataset.degree),
        curveDegree: Number(el.querySelector('path.xp-fit').dataset.degree),
        current: [...el.querySelectorAll('circle.xp-now')].map((c) => Number(c.dataset.degree))};
    }""")


def check_against_numpy(d: dict):
    """Every number drawn follows from the drawn points by NumPy."""
    (xt, yt), (xv, yv) = zip(*d["train"]), zip(*d["valid"])
    assert len(xt) == 12 and len(xv) == 24
    train_curve, valid_curve = [], []
    for degree in range(12):
        w = numpy_fit(xt, yt, degree, d["wd"])
        train_curve.append(mse(w, xt, yt))
        valid_curve.append(mse(w, xv, yv))
    assert [k for k, _ in d["errTrain"]] == list(range(12)) == [k for k, _ in d["errValid"]]
    for (_, got), want in zip(d["errTrain"] + d["errValid"], train_curve + valid_curve):
        close_mse(got, want)
    close_weights(d["weights"], numpy_fit(xt, yt, d["degree"], d["wd"]))
    close_mse(d["trainMse"], train_curve[d["degree"]])
    close_mse(d["validMse"], valid_curve[d["degree"]])
    assert d["best"] == int(np.argmin(valid_curve))
    assert d["formulaDegree"] == d["curveDegree"] == d["degree"] and len(d["weights"]) == d["degree"] + 1
    assert d["current"] == [d["degree"], d["degree"]]


def address(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def test_overfit_draws_what_numpy_fits_and_the_keyboard_moves_it(watched, site):
    page, w = open_overfit(watched, site)
    d = drawn(w)
    assert (d["degree"], d["wd"], d["seed"]) == (3, 0, 1)
    check_against_numpy(d)
    # the points drawn are the module's sample for that seed
    sample = node_overfit("console.log(JSON.stringify(model.sample(1)));")
    want = np.array([sample["train"]["x"], sample["train"]["y"]]).T
    assert np.allclose(d["train"], want, rtol=1e-12, atol=0)

    degree = w.locator("input.xp-degree")
    degree.focus()
    page.keyboard.press("End")
    d = drawn(w)
    assert d["degree"] == 11 and d["trainMse"] < 1e-12  # through every training point
    check_against_numpy(d)
    expect(w.locator(".xp-train-mse")).to_contain_text("0 (to rounding")
    page.keyboard.press("ArrowLeft")
    assert drawn(w)["degree"] == 10
    page.keyboard.press("ArrowRight")

    wd = w.locator("input.xp-wd")
    wd.focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    d = drawn(w)
    assert (d["degree"], d["wd"]) == (11, 0.001)
    check_against_numpy(d)
    assert wd.get_attribute("aria-valuetext") == "0.001"
    assert address(page) == {"degree": "11", "wd": "0.001", "seed": "1"}
    expect(w.locator(".xp-readout")).to_contain_text(f"validation error {fmt_num(d['validMse'])}")


def fmt_num(v: float) -> str:
    """The widget's fmtNum: 4 significant digits, exponent when huge or tiny."""
    if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-4):
        m, e = f"{v:.2e}".split("e")
        return f"{m}e{int(e)}"
    return f"{float(f'{v:.4g}')!r}".removesuffix(".0")


def test_overfit_pointer_and_new_noise(watched, site):
    page, w = open_overfit(watched, site)
    # click the error chart over degree 7, then drag to degree 1
    w.locator(".xp-plot-pick").scroll_into_view_if_needed()
    dot7 = w.locator('circle.xp-err-dot[data-set="train"][data-degree="7"]').bounding_box()
    host = w.locator(".xp-plot-pick").bounding_box()
    page.mouse.click(dot7["x"] + dot7["width"] / 2, host["y"] + host["height"] / 2)
    assert drawn(w)["degree"] == 7
    dot1 = w.locator('circle.xp-err-dot[data-set="train"][data-degree="1"]').bounding_box()
    page.mouse.down()
    page.mouse.move(dot1["x"] + dot1["width"] / 2, host["y"] + host["height"] / 2, steps=5)
    page.mouse.up()
    d = drawn(w)
    assert d["degree"] == 1
    check_against_numpy(d)
    before = d["train"]
    w.get_by_role("button", name="New noise").click()
    d = drawn(w)
    assert d["seed"] == 2 and d["train"] != before and d["degree"] == 1
    check_against_numpy(d)
    assert address(page) == {"degree": "1", "wd": "0", "seed": "2"}
    w.get_by_role("button", name="New noise").press("Enter")  # the keyboard too
    assert drawn(w)["seed"] == 3


def test_overfit_opens_the_state_in_the_address(watched, site):
    page, w = open_overfit(watched, site, "?degree=9&wd=0.001&seed=3&run=lr_too_low")
    d = drawn(w)
    assert (d["degree"], d["wd"], d["seed"]) == (9, 0.001, 3)
    check_against_numpy(d)
    assert w.locator("input.xp-degree").input_value() == "9"
    expect(w.locator(".xp-note")).to_be_hidden()
    # the page's other widget keeps its own parameter
    expect(page.locator('[data-widget="wrongruns"]')).to_have_attribute("data-shown", "lr_too_low", timeout=15000)
    # a reload keeps a state chosen on the page
    w.locator("input.xp-degree").focus()
    page.keyboard.press("Home")
    page.reload()
    expect(w).to_have_attribute("data-mounted", "yes", timeout=15000)
    assert (drawn(w)["degree"], drawn(w)["seed"]) == (0, 3)
    # what cannot be shown is said, and something sensible is shown
    page, w = open_overfit(watched, site, "?degree=40&wd=abc")
    assert (drawn(w)["degree"], drawn(w)["wd"]) == (11, 0)
    expect(w.locator(".xp-note")).to_contain_text("outside 0 to 11")


def phone(browser, site, path):
    """A phone-sized touch screen (390 CSS pixels wide) with the `watched` checks."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                                  device_scale_factor=2)
    page = context.new_page()
    watch = Watch(page)
    page.goto(site.url + path)
    return context, page, watch


def fits_the_width(page, sel: str) -> bool:
    return page.evaluate("""(sel) => { const el = document.querySelector(sel);
      return el.scrollWidth <= el.clientWidth + 1 && document.documentElement.scrollWidth <= window.innerWidth; }""", sel)


def closed_cleanly(context, watch):
    context.close()
    watch.assert_clean()


def test_overfit_on_a_phone_with_touch(browser, site):
    context, page, watch = phone(browser, site, "wrong/?degree=2")
    w = page.locator('[data-widget="overfit"]')
    expect(w).to_have_attribute("data-mounted", "yes", timeout=15000)
    assert fits_the_width(page, '[data-widget="overfit"]')
    w.locator(".xp-plot-pick").scroll_into_view_if_needed()
    dot = w.locator('circle.xp-err-dot[data-set="valid"][data-degree="6"]').bounding_box()
    host = w.locator(".xp-plot-pick").bounding_box()
    page.touchscreen.tap(dot["x"] + dot["width"] / 2, host["y"] + host["height"] / 2)
    d = drawn(w)
    assert d["degree"] == 6
    check_against_numpy(d)
    w.get_by_role("button", name="New noise").tap()
    assert drawn(w)["seed"] == 2
    assert fits_the_width(page, '[data-widget="overfit"]')
    closed_cleanly(context, watch)


# ---------------------------------------------------------------- matmul: DOM-free, in Node

def node_matmul(script: str, payload=None):
    return run_node_modules(MATMUL, ("model",), script, payload)


def numpy_walk(x, a) -> list[dict]:
    """The walk by NumPy: cell by cell, row after row, term by term, with the running sum."""
    x, a = np.asarray(x, float), np.asarray(a, float)
    steps = []
    for i in range(x.shape[0]):
        for j in range(a.shape[1]):
            products = x[i, :] * a[:, j]
            for t, s in enumerate(np.cumsum(products)):
                steps.append({"i": i, "j": j, "t": t, "left": x[i, t], "right": a[t, j], "sum": s})
    return steps


def test_matmul_cases_come_from_the_sgd_pages_recorded_run():
    out = node_matmul("console.log(JSON.stringify(model.cases(input)));", FIT)
    assert list(out) == ["start", "trained", "general"]
    for name, step in (("start", 0), ("trained", len(FIT["a"]) - 1)):
        c = out[name]
        assert c["x"] == FIT["x"][:5] and c["y"] == FIT["y"][:5] and all(r[1] == 1.0 for r in c["x"])
        assert c["a"] == [[v] for v in FIT["a"][step]] and c["runStep"] == step
    assert out["trained"]["a"] == [[v] for v in FIT["a"][FIT["config"]["steps"]]]  # the run did not diverge
    assert np.asarray(out["general"]["x"]).shape == (3, 3) and np.asarray(out["general"]["a"]).shape == (3, 2)


@pytest.mark.parametrize("name", ["start", "trained", "general"])
def test_matmul_walk_and_product_agree_with_numpy(name):
    out = node_matmul("""const c = model.cases(input)[NAME];
      const steps = model.walk(c.x, c.a);
      console.log(JSON.stringify({c, steps, product: model.matmul(c.x, c.a),
        states: steps.map((_, s) => model.stateAt(c.x, c.a, s)).concat([model.stateAt(c.x, c.a, steps.length)])}));
      """.replace("NAME", json.dumps(name)), FIT)
    x, a = np.array(out["c"]["x"]), np.array(out["c"]["a"])
    want = x @ a
    assert np.allclose(out["product"], want, rtol=1e-13, atol=1e-13)
    ref = numpy_walk(x, a)
    assert len(out["steps"]) == x.shape[0] * a.shape[1] * x.shape[1] == len(ref)
    for got, exp in zip(out["steps"], ref):
        assert (got["i"], got["j"], got["t"], got["left"], got["right"]) == (exp["i"], exp["j"], exp["t"], exp["left"], exp["right"])
        assert got["sum"] == pytest.approx(exp["sum"], rel=1e-13, abs=1e-13)
        assert got["last"] == (exp["t"] == x.shape[1] - 1)
    for s, st in enumerate(out["states"]):
        done = {(e["i"], e["j"]) for e in ref[:s] if e["t"] == x.shape[1] - 1}
        for i, row in enumerate(st["cells"]):
            for j, v in enumerate(row):
                assert (v is None) == ((i, j) not in done)
                if v is not None:
                    assert v == pytest.approx(want[i, j], rel=1e-13, abs=1e-13)
        assert st["current"] == (out["steps"][s - 1] if s else None)
        assert len(st["terms"]) == (st["current"]["t"] + 1 if s else 0)


def test_matmul_state_from_the_address_and_clear_errors():
    out = node_matmul("""
      const cs = model.cases(input);
      const read = (q, prefix) => { const p = new URLSearchParams(q); return model.readState((n) => p.get(n), cs, prefix); };
      const err = (f) => { try { f(); return null; } catch (e) { return e.message; } };
      console.log(JSON.stringify({none: read(""), scoped: read("step=2&mm-step=7&mm-case=general", "mm-"),
        over: read("mm-step=99", "mm-"), bad: read("mm-case=nope&mm-step=x", "mm-"),
        shape: err(() => model.matmul([[1, 2]], [[1], [2], [3]])), ragged: err(() => model.walk([[1, 2], [3]], [[1], [2]]))}));""", FIT)
    assert out["none"] == {"state": {"case": "start", "step": 0}, "notes": []}
    assert out["scoped"] == {"state": {"case": "general", "step": 7}, "notes": []}
    assert out["over"]["state"] == {"case": "start", "step": 10} and out["over"]["notes"]
    assert out["bad"]["state"] == {"case": "start", "step": 0} and len(out["bad"]["notes"]) == 2
    assert out["shape"] == "x has 2 columns but a has 3 rows: x@a needs them equal"
    assert "rows of equal length" in out["ragged"]


# ---------------------------------------------------------------- matmul: in Chromium

def open_matmul(watched, site, query=""):
    page = watched.page
    page.goto(site.url + "sgd/" + query)
    w = page.locator('[data-widget="matmul"]')
    expect(w).to_have_attribute("data-mounted", "yes", timeout=15000)
    return page, w


def shown(w) -> dict:
    """What the widget shows: its state, the matrices' numbers, the marked cells, the sum line."""
    return w.evaluate("""(el) => {
      const grid = (t) => [...t.querySelectorAll('tr')].map((tr) => [...tr.querySelectorAll('td')]
        .map((td) => td.dataset.value === '' ? null : Number(td.dataset.value)));
      const [x, a, out] = el.querySelectorAll('table.mm-matrix');
      const pair = [...el.querySelectorAll('td.mm-pair')].map((td) => Number(td.dataset.value));
      const at = (sel) => { const td = el.querySelector(sel); return td ? [Number(td.dataset.i), Number(td.dataset.j)] : null; };
      const s = el.querySelector('.mm-sum').dataset;
      return {case: el.dataset.case, step: Number(el.dataset.step), total: Number(el.dataset.total),
        x: grid(x), a: grid(a), out: grid(out), pair, target: at('td.mm-target'),
        rows: [...x.querySelectorAll('td.mm-row')].map((td) => Number(td.dataset.i)),
        cols: [...a.querySelectorAll('td.mm-col')].map((td) => Number(td.dataset.j)),
        sum: s.sum === '' ? null : Number(s.sum), ijt: s.i === '' ? null : [Number(s.i), Number(s.j), Number(s.t)],
        text: el.querySelector('.mm-sum').textContent};
    }""")


def check_step(d: dict):
    """The picture after d['step'] multiplications is NumPy's walk up to there."""
    x, a = np.array(d["x"]), np.array(d["a"])
    ref = numpy_walk(x, a)
    assert d["total"] == len(ref)
    full = x @ a
    done = {(e["i"], e["j"]) for e in ref[:d["step"]] if e["t"] == x.shape[1] - 1}
    for i, row in enumerate(d["out"]):
        for j, v in enumerate(row):
            if (i, j) in done:
                assert v == pytest.approx(full[i, j], rel=1e-12, abs=1e-12)
            else:
                assert v is None
    if d["step"] == 0:
        assert d["sum"] is None and d["pair"] == [] and d["target"] is None
        return
    e = ref[d["step"] - 1]
    assert d["ijt"] == [e["i"], e["j"], e["t"]] and d["target"] == [e["i"], e["j"]]
    assert d["pair"] == [e["left"], e["right"]]
    assert set(d["rows"]) == {e["i"]} and len(d["rows"]) == x.shape[1]
    assert set(d["cols"]) == {e["j"]} and len(d["cols"]) == a.shape[0]
    assert d["sum"] == pytest.approx(e["sum"], rel=1e-12, abs=1e-12)
    assert f"Row {e['i'] + 1} of x times column {e['j'] + 1} of a" in d["text"]


def test_matmul_steps_by_pointer_and_keyboard_as_numpy_does(watched, site):
    page, w = open_matmul(watched, site)
    d = shown(w)
    assert (d["case"], d["step"], d["total"]) == ("start", 0, 10)
    assert d["x"] == FIT["x"][:5] and d["a"] == [[v] for v in FIT["a"][0]]
    check_step(d)
    for k in range(1, 4):
        w.get_by_role("button", name="Step").click()
        d = shown(w)
        assert d["step"] == k
        check_step(d)
    w.locator(".mm-board").focus()
    page.keyboard.press("ArrowRight")
    check_step(shown(w))
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert shown(w)["step"] == 2
    w.get_by_role("button", name="Back").press("Enter")
    assert shown(w)["step"] == 1
    page.keyboard.press("End")
    d = shown(w)
    assert d["step"] == 10
    check_step(d)
    assert np.allclose(np.array(d["out"]), np.array(FIT["x"][:5]) @ np.array(FIT["a"][0])[:, None], rtol=1e-12)
    assert address(page) == {"mm-case": "start", "mm-step": "10"}
    expect(w.get_by_role("button", name="Step")).to_have_attribute("aria-disabled", "true")


def test_matmul_other_examples_and_play(watched, site):
    page, w = open_matmul(watched, site)
    w.get_by_label("Example").select_option("trained")
    w.locator(".mm-board").focus()
    page.keyboard.press("End")
    d = shown(w)
    assert d["case"] == "trained" and d["a"] == [[v] for v in FIT["a"][-1]]
    check_step(d)
    expect(w.locator(".mm-link")).to_contain_text(f"after {len(FIT['a']) - 1} steps")
    w.get_by_label("Example").select_option("general")
    d = shown(w)
    assert (d["case"], d["step"], d["total"]) == ("general", 0, 18)
    w.get_by_role("button", name="Play").click()
    expect(w).to_have_attribute("data-step", "2", timeout=5000)
    w.get_by_role("button", name="Pause").click()
    stopped = shown(w)
    page.wait_for_timeout(1200)
    assert shown(w)["step"] == stopped["step"] >= 2
    check_step(stopped)
    w.locator(".mm-board").press("End")
    d = shown(w)
    check_step(d)
    assert np.allclose(np.array(d["out"]), np.array(d["x"]) @ np.array(d["a"]))
    assert address(page) == {"mm-case": "general", "mm-step": "18"}


def test_matmul_opens_the_state_in_the_address(watched, site):
    page, w = open_matmul(watched, site, "?mm-case=general&mm-step=7")
    d = shown(w)
    assert (d["case"], d["step"]) == ("general", 7)
    check_step(d)
    assert w.get_by_label("Example").input_value() == "general"
    expect(page.locator('[data-widget="linfit"]')).to_have_attribute("data-mounted", "yes", timeout=15000)
    page, w = open_matmul(watched, site, "?mm-case=nope&mm-step=x")
    assert (shown(w)["case"], shown(w)["step"]) == ("start", 0)
    expect(w.locator(".mm-note")).to_contain_text("no example called")


def test_matmul_on_a_phone_with_touch(browser, site):
    context, page, watch = phone(browser, site, "sgd/?mm-case=general")
    w = page.locator('[data-widget="matmul"]')
    expect(w).to_have_attribute("data-mounted", "yes", timeout=15000)
    assert fits_the_width(page, '[data-widget="matmul"]')
    for _ in range(4):
        w.get_by_role("button", name="Step").tap()
    d = shown(w)
    assert d["step"] == 4
    check_step(d)
    assert fits_the_width(page, '[data-widget="matmul"]')
    closed_cleanly(context, watch)
