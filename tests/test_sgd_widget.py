"""The SGD widget in headless Chromium, on the built site served from a sub-path
with no COOP/COEP headers, with real Pyodide. The `watched` fixture fails a test
on any request that leaves 127.0.0.1 or any console error."""

import json
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.conftest import Watch
from tests.support import ROOT, instant_navigation_only


W = '[data-widget="linfit"]'
RECORDED = json.loads((ROOT / "docs/assets/sgd/fit.json").read_text())
ORIGINAL = (ROOT / "site_widgets" / "linfit" / "update.py").read_text()
DEFAULT_SETTINGS = {"lr": "0.1", "batch_size": "all", "steps": "100"}
# Tests of this module that watch the animation itself; the others get the reader's "reduce motion"
# setting (below). A module that imports `reduced_motion` lists its own.
ANIMATED = {"test_first_play_loads_python_and_the_loss_falls_to_the_best_line",
            "test_python_that_cannot_load_is_reported_and_the_recording_still_plays"}


@pytest.fixture(autouse=True)
def reduced_motion(request):
    """Every run animates at 30 steps a second (3.3 s for 100 steps, 33 s for 1000) and most tests
    wait for each run to end without being about the animation: with "reduce motion" the widget
    shows each run at its end at once (the same Python, the same numbers). Tests named in the
    module's ANIMATED keep the animation."""
    if request.node.originalname not in getattr(request.module, "ANIMATED", ()) and "watched" in request.fixturenames:
        request.getfixturevalue("watched").page.emulate_media(reduced_motion="reduce")


def open_sgd(watched, site):
    page = watched.page
    page.goto(site.url + "sgd/")
    expect(page.locator(W)).to_have_attribute("data-mounted", "yes", timeout=15000)
    return page


def at_the_lesson_run(page) -> bool:
    """sgd/ as a reader first opens it (nothing in the address), Python ready and idle, the lesson's
    code and settings, no error shown, and the lesson's run shown at its end."""
    w = page.locator(W)
    return (urlsplit(page.url).path.endswith("/sgd/") and not urlsplit(page.url).query
            and w.get_attribute("data-python") == "ready" and w.get_attribute("data-busy") == "false"
            and w.get_attribute("data-playing") == "false" and w.get_attribute("data-source") == "python"
            and w.get_attribute("data-k") == "100" and page.input_value(".linfit-code") == ORIGINAL
            and not page.locator(".linfit-error").is_visible()
            and all(page.get_attribute(f'input[data-setting="{k}"]', "aria-valuetext") == v
                    for k, v in DEFAULT_SETTINGS.items())
            and loss(page) == pytest.approx(RECORDED["optimum_loss"], rel=1e-3))


@pytest.fixture(scope="module")
def sgd_reader(browser):
    """One reader's tab, shared by a module's `lesson_run` tests ("reduce motion": see below)."""
    context = instant_navigation_only(browser.new_context(viewport={"width": 1200, "height": 900}, reduced_motion="reduce"))
    yield Watch(context.new_page())
    context.close()


@pytest.fixture
def lesson_run(sgd_reader, site):
    """sgd/ with Python ready and the lesson's run on screen, in the module's one tab.

    Starting Python costs about 6 CPU-seconds, most of what each of these tests costs, and a reader
    does these things one after another in one tab anyway. Each test starts from the lesson's run
    and puts it back (Restore, the default settings) as a reader would; whenever the tab is found
    otherwise (a test failed half-way, Python is gone), it is opened afresh. As with `watched`,
    the test fails if, during it, a request left 127.0.0.1 or the console showed an error."""
    watch = sgd_reader
    page = watch.page
    if not at_the_lesson_run(page):
        open_sgd(watch, site)
        page.click(".linfit-play")
        wait_for_live_run_end(page)
    since = watch.mark()
    yield page
    watch.assert_clean(since)


def loss(page) -> float:
    return float(page.get_attribute(".linfit-loss", "data-value"))


def results(page) -> int:
    """How many answers Python has sent to the widget so far."""
    return int(page.get_attribute(W, "data-results") or 0)


def wait_for_live_run_end(page, after: int = 0):
    """Python has sent an answer beyond the first `after`, no run is pending, and the animation has stopped."""
    page.wait_for_function(
        f"(el => el.dataset.results > {after} && el.dataset.busy === 'false' && el.dataset.playing === 'false')"
        f"(document.querySelector('{W}'))", timeout=60000)
    widget = page.locator(W)
    expect(widget).to_have_attribute("data-source", "python", timeout=60000)
    expect(widget).to_have_attribute("data-playing", "false", timeout=60000)
    return int(widget.get_attribute("data-k"))


def set_setting(page, key, text):
    """Move a slider with the keyboard (Home, then ArrowRight) until it shows `text`."""
    slider = page.locator(f'input[data-setting="{key}"]')
    slider.focus()
    page.keyboard.press("Home")
    for _ in range(30):
        if slider.get_attribute("aria-valuetext") == text:
            return
        page.keyboard.press("ArrowRight")
    raise AssertionError(f"slider {key} has no value {text}")


def run_code(page, code):
    page.fill(".linfit-code", code)
    page.click(".linfit-run")


def test_first_play_loads_python_and_the_loss_falls_to_the_best_line(watched, site):
    """Nothing of Python is fetched before the reader's first Play (the start is drawn from the
    recording); Play, from the keyboard, loads it from the site itself, and the run at lr 0.1
    reaches the best line: one reader's first minute, one Python start (it was two tests, each
    starting Python)."""
    page = open_sgd(watched, site)
    assert not [u for u in watched.requests if "pyodide" in u or "worker.js" in u]
    start = loss(page)
    assert start == pytest.approx(RECORDED["loss"][0])  # the start, drawn from the recording
    page.focus(".linfit-play")
    page.keyboard.press("Enter")  # keyboard-operable
    assert wait_for_live_run_end(page) == 100
    assert page.get_attribute(W, "data-python") == "ready"
    wasm = [u for u in watched.requests if u.endswith("pyodide.asm.wasm")]
    assert wasm == [site.url + "assets/vendor/pyodide/pyodide.asm.wasm"]  # self-hosted, under the sub-path
    assert loss(page) < start / 50
    assert loss(page) == pytest.approx(RECORDED["optimum_loss"], rel=1e-3)
    assert page.text_content(".linfit-warning") == ""


def test_lr_1_5_visibly_diverges(lesson_run):
    page = lesson_run
    n = results(page)
    set_setting(page, "lr", "1.5")
    wait_for_live_run_end(page, after=n)
    assert loss(page) > RECORDED["loss"][0] * 1e6
    expect(page.locator(".linfit-warning")).to_contain_text("too high")
    n = results(page)
    set_setting(page, "lr", "0.1")  # back to the lesson's rate: the warning goes
    wait_for_live_run_end(page, after=n)
    assert loss(page) == pytest.approx(RECORDED["optimum_loss"], rel=1e-3)
    assert page.text_content(".linfit-warning") == ""


def test_mini_batches_and_steps_settings_change_the_run(lesson_run):
    page = lesson_run
    n = results(page)
    set_setting(page, "steps", "20")
    assert wait_for_live_run_end(page, after=n) == 20
    after_20, n = loss(page), results(page)
    set_setting(page, "batch_size", "10")
    assert wait_for_live_run_end(page, after=n) == 20
    assert loss(page) != after_20  # different steps, different path
    # 100 points in batches of 10: 10 steps an epoch
    assert page.text_content(".linfit-step").strip() == "20 / 20 (epoch 2.0)"
    for key, value in (("batch_size", "all"), ("steps", "100")):  # the lesson's settings again
        n = results(page)
        set_setting(page, key, value)
        wait_for_live_run_end(page, after=n)
    assert loss(page) == pytest.approx(RECORDED["optimum_loss"], rel=1e-3)


def test_edited_update_takes_effect(lesson_run):
    page = lesson_run
    code = page.input_value(".linfit-code")
    assert "def update(a, xb, yb, lr):" in code and "lr * gi" in code
    start = RECORDED["loss"][0]
    n = results(page)
    run_code(page, code.replace("lr * gi", "0 * gi").replace("return [", "print('no step');  return ["))
    wait_for_live_run_end(page, after=n)
    expect(page.locator(".linfit-output")).to_contain_text("no step")
    assert loss(page) == pytest.approx(start)  # a zero step never moves the line
    n = results(page)
    page.click(".linfit-restore")
    wait_for_live_run_end(page, after=n)
    assert loss(page) == pytest.approx(RECORDED["optimum_loss"], rel=1e-3)


def test_syntax_and_runtime_errors_show_a_traceback_and_keep_the_last_run(lesson_run):
    page = lesson_run
    good = loss(page)
    run_code(page, "def update(a, xb, yb, lr)\n    return a\n")
    expect(page.locator(".linfit-error")).to_contain_text("SyntaxError")
    assert loss(page) == good
    run_code(page, "def update(a, xb, yb, lr):\n    return [ai / 0 for ai in a]\n")
    expect(page.locator(".linfit-error")).to_contain_text("ZeroDivisionError")
    expect(page.locator(".linfit-error")).to_contain_text('File "<your update>", line 2')
    n = results(page)
    page.click(".linfit-restore")
    wait_for_live_run_end(page, after=n)
    expect(page.locator(".linfit-error")).to_be_hidden()
    assert loss(page) == pytest.approx(RECORDED["optimum_loss"], rel=1e-3)


def test_endless_loop_is_stopped_and_python_restarts(lesson_run):
    page = lesson_run
    run_code(page, "def update(a, xb, yb, lr):\n    while True:\n        pass\n")
    t0 = time.monotonic()
    # The page stays responsive while Python spins in its worker.
    assert page.evaluate("1 + 1") == 2
    page.click(".linfit-reset")
    expect(page.locator(".linfit-error")).to_contain_text("did not finish", timeout=15000)
    assert time.monotonic() - t0 < 10
    n = results(page)
    page.click(".linfit-restore")  # a fresh Python runs the original update again
    wait_for_live_run_end(page, after=n)
    expect(page.locator(".linfit-error")).to_be_hidden()
    assert loss(page) == pytest.approx(RECORDED["optimum_loss"], rel=1e-3)


def test_reduced_motion_shows_the_end_without_animating(watched, site):
    watched.page.emulate_media(reduced_motion="reduce")
    page = open_sgd(watched, site)
    page.click(".linfit-play")
    # No frame-by-frame animation: the last step is shown at once.
    expect(page.locator(W)).to_have_attribute("data-k", "100", timeout=2000)
    assert page.get_attribute(W, "data-playing") == "false"


def test_widget_mounts_after_instant_navigation(watched, site):
    page = watched.page
    page.goto(site.url)
    page.evaluate("window.__sameDocument = true")
    page.click('article a:has-text("SGD from scratch")')  # Material's instant navigation handles it
    expect(page.locator(W)).to_have_attribute("data-mounted", "yes", timeout=15000)
    # Material's section tracking may leave the home page's last anchor on the URL
    assert page.url.split("#")[0] == site.url + "sgd/"
    assert page.evaluate("window.__sameDocument === true")  # swapped in place, not reloaded


def test_python_that_cannot_load_is_reported_and_the_recording_still_plays(watched, site):
    """A dead runtime URL (e.g. the classroom went offline before the reader pressed Play)."""
    page = watched.page
    page.route("**/pyodide.asm.wasm", lambda route: route.abort("internetdisconnected"))
    watched.allow_console_error(r"Failed to load resource: net::ERR_INTERNET_DISCONNECTED")
    page = open_sgd(watched, site)
    page.click(".linfit-play")
    # Pyodide's loader fails only once its JS is in: slow on a loaded machine. The worker reports the
    # download that failed itself: Pyodide's own promise sometimes never settled (the status then
    # said "Loading Python" for good: 2 of 8 starts under load, 0 of 10 since).
    expect(page.locator(".linfit-status")).to_contain_text("Python could not start (could not download pyodide.asm.wasm",
                                                           timeout=60000)
    # The recorded PyTorch run still animates to the end, and the page stays usable.
    expect(page.locator(W)).to_have_attribute("data-k", "100", timeout=15000)
    assert page.get_attribute(W, "data-source") == "recorded"
    assert loss(page) == pytest.approx(RECORDED["loss"][-1])
    page.click(".linfit-reset")
    assert page.get_attribute(W, "data-k") == "0"
    # Back online: pressing Play again loads Python and the run goes live.
    page.unroute("**/pyodide.asm.wasm")
    page.click(".linfit-play")
    expect(page.locator(W)).to_have_attribute("data-python", "ready", timeout=60000)
    wait_for_live_run_end(page)
    assert loss(page) == pytest.approx(RECORDED["optimum_loss"], rel=1e-3)


def test_momentum_widget_starts_from_its_own_code_and_matches_the_torch_runs(watched, site):
    """The schedules page's SGD widget (data-code="momentum.py") runs the momentum update live,
    and agrees with the PyTorch script's recorded momentum runs."""
    summary = json.loads((ROOT / "docs/assets/sgd/summary.json").read_text())
    page = watched.page
    page.goto(site.url + "schedules/")
    expect(page.locator(W)).to_have_attribute("data-mounted", "yes", timeout=15000)
    code = page.input_value(".linfit-code")
    assert code.strip() == (ROOT / "site_widgets/linfit/momentum.py").read_text().strip()
    page.click(".linfit-play")
    wait_for_live_run_end(page)
    assert loss(page) == pytest.approx(summary["lr0.1_mom0.9"]["final_loss"], rel=1e-4)
    n = results(page)
    set_setting(page, "lr", "0.01")
    wait_for_live_run_end(page, after=n)
    assert loss(page) == pytest.approx(summary["lr0.01_mom0.9"]["final_loss"], rel=1e-4)
    n = results(page)
    run_code(page, code.replace("beta = 0.9", "beta = 0.0"))  # momentum off: plain SGD at lr 0.01
    wait_for_live_run_end(page, after=n)
    assert loss(page) == pytest.approx(summary["lr0.01"]["final_loss"], rel=1e-4)
