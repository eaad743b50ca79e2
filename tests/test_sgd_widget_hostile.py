"""The SGD widget against clumsy or hostile readers (issue 12), in headless Chromium with
real Pyodide on the built site. Each test names what a reader does and what the page
must do: end Python when the page is left, report at once what ended a run (never "did
not finish" when it did), say what is wrong with what update() returned, and survive code
that prints megabytes or edits while a run plays. The reader's code always stays in the
editor."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.support import ROOT
from tests.test_sgd_widget import RECORDED, W, loss, open_sgd, results, run_code, wait_for_live_run_end

pytestmark = pytest.mark.browser

ORIGINAL = (ROOT / "site_widgets" / "linfit" / "update.py").read_text()
ERROR = ".linfit-error"


def ready_sgd(watched, site):
    """sgd/ with Python ready and the lesson's run on screen."""
    page = open_sgd(watched, site)
    page.click(".linfit-play")
    wait_for_live_run_end(page)
    return page


def error_within(page, code: str, seconds: float) -> tuple[str, float]:
    """Run `code`; the error shown and how long it took to show."""
    t0 = time.monotonic()
    run_code(page, code)
    expect(page.locator(ERROR)).to_be_visible(timeout=seconds * 1000 + 10000)
    return page.text_content(ERROR), time.monotonic() - t0


def widget_workers(page) -> list[str]:
    return [w.url for w in page.workers if "/assets/widgets/" in w.url]


def restore_gives_the_lesson_run(page):
    n = results(page)
    page.click(".linfit-restore")
    wait_for_live_run_end(page, after=n)
    expect(page.locator(ERROR)).to_be_hidden()
    assert loss(page) == pytest.approx(RECORDED["optimum_loss"], rel=1e-3)


def update_returning(expr: str) -> str:
    return f"def update(a, xb, yb, lr):\n    return {expr}\n"


# ---------------------------------------------------------------- leaving the page

def test_leaving_during_an_endless_loop_ends_python_for_good(watched, site):
    """A reader starts an endless loop and leaves by instant navigation: the worker goes at
    once, and nothing starts Python again 3 s later (the old timeout restarted it)."""
    page = ready_sgd(watched, site)
    run_code(page, "def update(a, xb, yb, lr):\n    while True:\n        pass\n")
    expect(page.locator(W)).to_have_attribute("data-busy", "true")
    page.locator("a.md-footer__link--prev").click()  # tricks/: no SGD widget
    page.wait_for_function("!location.pathname.endsWith('/sgd/')")
    page.wait_for_timeout(4500)  # past the 3 s limit
    assert widget_workers(page) == []


# ---------------------------------------------------------------- ending Python from update()

EXITS = {"import sys; sys.exit()": "SystemExit", "exit(3)": "SystemExit: 3",
         "raise KeyboardInterrupt": "KeyboardInterrupt"}


def test_ending_python_from_update_is_reported_at_once(watched, site):
    page = ready_sgd(watched, site)
    for statement, shown in EXITS.items():
        code = f"def update(a, xb, yb, lr):\n    {statement}\n"
        text, took = error_within(page, code, 3)
        assert shown in text and "did not finish" not in text, (statement, text)
        assert took < 2.5, f"{statement}: the message took {took:.1f} s"
        assert page.input_value(".linfit-code") == code  # the reader's code stays
        restore_gives_the_lesson_run(page)  # and Python still works


# ---------------------------------------------------------------- what update() returns

RETURNS = {
    "[float('nan'), a[1]]": "a[0] is not a finite number",
    "[a[0], math.inf]": "a[1] is not a finite number",
    "'12'": "the string '12'",
    "None": "returned None",
    "[0.0] * 10_000_000": "returned 10,000,000",
    "{0: a[0], 1: a[1]}": "a dict",
}


def test_what_update_returns_is_checked_and_named(watched, site):
    page = ready_sgd(watched, site)
    good = loss(page)
    cases = {update_returning(expr): shown for expr, shown in RETURNS.items()}
    # NaN past a patched math.isfinite used to reach the JSON, break it, and end in the timeout
    cases["import math\nmath.isfinite = lambda v: True\n\n" + update_returning("[float('nan'), 0.0]")] = "a[0] is not a finite"
    for code, shown in cases.items():
        text, took = error_within(page, code, 3)
        assert shown in text and "at step 1" in text, (code, text)
        assert "did not finish" not in text and took < 3, (code, took)
        assert page.text_content(".linfit-warning") == ""  # not blamed on the learning rate
        assert loss(page) == good  # the last good run stays
        restore_gives_the_lesson_run(page)


# ---------------------------------------------------------------- beyond the list

def test_printing_megabytes_keeps_the_last_lines(watched, site):
    page = ready_sgd(watched, site)
    n = results(page)
    run_code(page, ORIGINAL.replace("    return [", "    print('x' * 5_000_000)\n    print('step done')\n    return ["))
    wait_for_live_run_end(page, after=n)
    out = page.text_content(".linfit-output")
    assert "earlier characters not shown" in out and out.rstrip().endswith("step done")
    assert len(out) < 5000
    assert loss(page) == pytest.approx(RECORDED["optimum_loss"], rel=1e-3)


def test_editing_while_a_run_plays_loses_nothing_and_runs_the_last_code(watched, site):
    page = ready_sgd(watched, site)
    page.click(".linfit-play")
    expect(page.locator(W)).to_have_attribute("data-playing", "true")
    editor = page.locator(".linfit-code")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n# my note")
    assert page.get_attribute(W, "data-playing") == "true"  # typing does not stop the animation
    n = results(page)
    for factor in ("0.5", "0.25", "0"):  # three runs asked for at once: the last one is shown
        editor.fill(ORIGINAL.replace("lr * gi", f"lr * gi * {factor}") + "# my note\n")
        page.keyboard.press("Control+Enter")
    wait_for_live_run_end(page, after=n)
    assert loss(page) == pytest.approx(RECORDED["loss"][0])  # factor 0: the line never moves
    assert page.input_value(".linfit-code").endswith("# my note\n")
