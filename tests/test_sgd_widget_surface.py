"""The SGD page's loss surface (the linfit widget with data-surface data-momentum), in headless
Chromium with real Pyodide on the built site: the controls are moved as a reader moves them,
and what the widget drew (its contour map's path, the steps along the steepest direction,
the learning rate's limit) is checked against Python: training/sgd_core.py's runs in this
process, and NumPy's eigenvalues. Also: Python starts loading as the reader approaches the
widget and not before, and every setting survives a reload through the address.

One page load serves many checks (each load starts Python, which takes seconds)."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.support import ROOT
from tests.test_sgd_widget import W, reduced_motion, results, run_code, set_setting, wait_for_live_run_end  # noqa: F401

ANIMATED: set[str] = set()  # none of these tests is about the animation: reduced motion for all
from training import sgd_core

FIT = json.loads((ROOT / "docs/assets/sgd/fit.json").read_text())
X, Y = np.array(FIT["x"]), np.array(FIT["y"])
VALUES, VECTORS = np.linalg.eigh(2 / len(Y) * X.T @ X)
LAM_MAX = VALUES[1]
STEEP = VECTORS[:, 1] * (1 if VECTORS[0, 1] >= 0 else -1)  # the widget's sign: first component >= 0
BEST = np.linalg.lstsq(X, Y, rcond=None)[0]
PYODIDE = re.compile(r"/assets/vendor/pyodide/|/linfit/worker\.js")


def query(page) -> dict:
    return dict(parse_qsl(urlsplit(page.url).query))


def drawn(page, which: str) -> dict:
    return page.evaluate(f"document.querySelector('.linfit-{which}').drawn")


def limit_mark(page) -> float:
    return float(page.get_attribute(".linfit-limit", "data-value"))


def core_run(lr, momentum=0.0, steps=100):
    return sgd_core.fit(FIT["x"], FIT["y"], FIT["a"][0], lr, steps, 0, 42, momentum=momentum)


def assert_path_is(page, run):
    """The contour map's path is the run, point for point (Pyodide and CPython sum floats alike to ~1e-15)."""
    path = drawn(page, "surface")["path"]
    assert len(path) == len(run["a"])
    assert np.allclose(path, run["a"], rtol=1e-12, atol=1e-12)


def pixel_is_path_colour(page, xy) -> bool:
    """The canvas pixel under the current point (CSS px) has the path's colour."""
    return page.evaluate("""([x, y]) => {
        const c = document.querySelector('.linfit-surface');
        const dpr = c.width / c.clientWidth;
        const [r, g, b, a] = c.getContext('2d').getImageData(Math.round(x * dpr), Math.round(y * dpr), 1, 1).data;
        const probe = document.createElement('canvas').getContext('2d');
        probe.fillStyle = getComputedStyle(c).getPropertyValue('--linfit-line').trim();
        probe.fillRect(0, 0, 1, 1);
        const [R, G, B] = probe.getImageData(0, 0, 1, 1).data;
        return a === 255 && Math.abs(r - R) + Math.abs(g - G) + Math.abs(b - B) <= 6;
    }""", xy)


def test_python_loads_as_the_reader_approaches_and_not_before(watched, site):
    """The widget is far below the top of sgd/: nothing of Python may load until the reader
    scrolls near it (what tests/test_site_pages.py's check of every page relies on), then it
    loads before any Play."""
    page = watched.page
    page.goto(site.url + "sgd/", wait_until="networkidle")
    expect(page.locator(W)).to_have_attribute("data-mounted", "yes", timeout=15000)
    page.wait_for_timeout(1500)
    top, height = page.evaluate(f"[document.querySelector('{W}').getBoundingClientRect().top, innerHeight]")
    assert top > 2 * height, "the widget is within the approach margin at load: the early-loading checks mean nothing"
    assert [u for u in watched.requests if PYODIDE.search(u)] == []
    assert page.get_attribute(W, "data-python") is None
    page.evaluate(f"scrollTo(0, document.querySelector('{W}').getBoundingClientRect().top + scrollY - 1.5 * innerHeight)")
    expect(page.locator(W)).to_have_attribute("data-python", "ready", timeout=60000)
    assert page.get_attribute(W, "data-results") in (None, "0")  # loaded, nothing run: Play was never pressed
    assert any(u.endswith("/pyodide.asm.wasm") for u in watched.requests)


def test_surface_draws_pythons_runs_and_the_limit_moves_with_momentum(watched, site):
    page = watched.page
    page.goto(site.url + "sgd/")
    expect(page.locator(W)).to_have_attribute("data-mounted", "yes", timeout=15000)
    assert limit_mark(page) == pytest.approx(2 / LAM_MAX, rel=1e-12)  # NumPy's eigvalsh, marked on the slider

    # lr 0.9, just under the limit: the path drawn is Python's run, and it zigzags in
    set_setting(page, "lr", "0.9")
    wait_for_live_run_end(page)
    assert_path_is(page, core_run(0.9))
    surface = drawn(page, "surface")
    assert pixel_is_path_colour(page, surface["pixels"][-1])
    assert "zigzags down" in page.text_content(".linfit-steps-text")
    # the parabola's arrows: the run's points 2..5 along the steepest direction, each (1 - lr·λmax) of the last
    page.click(".linfit-reset")
    for _ in range(2):
        page.click(".linfit-stepbtn")
    t = drawn(page, "steps")["t"]
    assert t == pytest.approx(((np.array(core_run(0.9)["a"][2:6]) - BEST) @ STEEP).tolist(), rel=1e-9)
    assert [b / a for a, b in zip(t, t[1:])] == pytest.approx([1 - 0.9 * LAM_MAX] * 3, rel=1e-6)

    # lr 1.0, just over: the text says it diverges, and the drawn steps grow
    n = results(page)
    set_setting(page, "lr", "1")
    wait_for_live_run_end(page, after=n)
    assert_path_is(page, core_run(1.0))
    assert "the run diverges" in page.text_content(".linfit-steps-text")
    page.click(".linfit-reset")
    page.click(".linfit-stepbtn")
    t = drawn(page, "steps")["t"]
    assert all(abs(b) > abs(a) and a * b < 0 for a, b in zip(t, t[1:]))  # across the bottom, higher each time

    # momentum 0.9: the mark moves to 2(1 + β)/λmax, and lr 1.5 now converges (PyTorch's SGD momentum)
    n = results(page)
    set_setting(page, "momentum", "0.9")
    assert limit_mark(page) == pytest.approx(2 * 1.9 / LAM_MAX, rel=1e-12)
    set_setting(page, "lr", "1.5")
    wait_for_live_run_end(page, after=n + 1)
    run = core_run(1.5, momentum=0.9)
    assert_path_is(page, run)
    assert run["loss"][-1] == pytest.approx(FIT["optimum_loss"], rel=0.01)
    assert query(page) == {"lr": "1.5", "mom": "0.9"}


def test_settings_and_short_code_survive_a_reload_through_the_address(watched, site):
    """A teacher's link: sgd/?lr=1.5&mom=0.9 opens with those settings; edited code travels in
    the address too, and a link's code is shown, never run until the reader presses Run."""
    page = watched.page
    page.goto(site.url + "sgd/?lr=1.5&mom=0.9&steps=50")
    expect(page.locator(W)).to_have_attribute("data-mounted", "yes", timeout=15000)
    for key, text in (("lr", "1.5"), ("momentum", "0.9"), ("steps", "50")):
        assert page.get_attribute(f'input[data-setting="{key}"]', "aria-valuetext") == text
    assert limit_mark(page) == pytest.approx(2 * 1.9 / LAM_MAX, rel=1e-12)
    page.click(".linfit-play")
    wait_for_live_run_end(page)
    assert_path_is(page, core_run(1.5, momentum=0.9, steps=50))
    code = (ROOT / "site_widgets/linfit/update.py").read_text().replace("lr * gi", "0.5 * lr * gi")
    n = results(page)
    run_code(page, code)
    wait_for_live_run_end(page, after=n)
    assert_path_is(page, sgd_core.fit(FIT["x"], FIT["y"], FIT["a"][0], 0.75, 50, 0, 42, momentum=0.9))
    assert query(page)["code"] == code

    page.goto(page.url)  # the link, opened afresh
    expect(page.locator(W)).to_have_attribute("data-mounted", "yes", timeout=15000)
    assert page.input_value(".linfit-code") == code
    expect(page.locator(".linfit-note")).to_contain_text("brought its own update()")
    assert page.get_attribute('input[data-setting="momentum"]', "aria-valuetext") == "0.9"
    page.click(".linfit-play")  # plays the lesson's update() at these settings, not the link's code
    wait_for_live_run_end(page)
    assert_path_is(page, core_run(1.5, momentum=0.9, steps=50))
    n = results(page)
    page.click(".linfit-run")
    wait_for_live_run_end(page, after=n)
    assert_path_is(page, sgd_core.fit(FIT["x"], FIT["y"], FIT["a"][0], 0.75, 50, 0, 42, momentum=0.9))
    n = results(page)
    page.click(".linfit-restore")
    wait_for_live_run_end(page, after=n)
    assert query(page) == {"lr": "1.5", "mom": "0.9", "steps": "50"}
