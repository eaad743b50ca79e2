"""Widgets end their work when Material's instant navigation swaps the page.

Every page with a widget is in a walk, as its start or as the neighbour: a reader
presses each widget's start control (Play, "Load the model now", the cleaner's example
list), follows a footer link to the neighbouring page (instant navigation, where the
neighbour's widgets are started too, unless they are the start page's again: see
NEIGHBOUR_NOT_STARTED) and comes back with the browser's Back button, 6 times (sgd/: 4,
see ROUNDS_FOR). Both pages' widgets mount and unmount in every round trip, in the one
document whose heap and workers are measured, so a walk covers its neighbour as well as its start
(walking sgd/ <-> schedules/ from both ends was the same test twice). Afterwards the page
may hold at most one Web Worker per widget that uses one, and its JavaScript heap
(after forced garbage collections) must be back within 20% of the first visit's.

Material's instant navigation itself keeps part of every page it swaps out (its
table of contents' subscriptions hold the old DOM): on these pages its own heap grows
by roughly 15% over 10 round trips with no widget at all. So a walk is also made with
the widgets switched off (mount.js not loaded), and what Material adds there is not
counted against the widgets; both growths are printed. That walk is made once for the
module, between sgd/ and schedules/: Material's growth hardly depends on the pages
(measured on six walks: 0.54-0.72 MB, about 0.06 MB a round trip, against a limit
of 0.8-1.0 MB), and walking each page twice made this the suite's longest file. Two
warm-up round trips come before the first measurement, so code being loaded and
compiled is not counted either.

The walk stays in one document the whole time (checked): that is what instant
navigation does, and what made Python workers pile up before widgets had an unmount.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.support import instant_navigation_only


# Round trips measured. A widget that is not unmounted leaves a worker behind every round trip,
# which the worker count catches after any number of them (24 after a planted break at 10); the
# heap check catches a leak of over 20% / ROUNDS of the first heap a round trip (3.3% at 6). At
# 10 the walks were the suite's longest file (6 rounds: 4 of 12 page pairs fewer per walk).
ROUNDS = 6
# sgd/ <-> schedules/ starts Python every round trip (about 5 s of CPU each): its heap check is
# over 4 round trips, against Material's growth over the same number.
ROUNDS_FOR = {"sgd/": 4}
# Walks whose neighbour shows the start page's widget again (schedules/: the SGD widget with the
# momentum update): there it is mounted and unmounted every round trip but not started, since the
# start page's copy, the same module, starts Python every round trip already (both did: 12 Python
# starts a walk, the suite's longest test).
NEIGHBOUR_NOT_STARTED = {"sgd/"}
HEAP_GROWTH = 1.20
# Round trips before the first measurement: the code of both pages loaded and compiled, and
# what Material's instant navigation keeps after its first swaps, are not a widget's doing.
WARM_UP = 2

# page -> the footer link the walk follows to its neighbour (and Back returns from).
# Every page with a widget is walked, as the start or as the neighbour (schedules/, tricks/
# and interpret/ as neighbours only); production/'s walk also mounts the cleaner on its
# neighbour, and cleaner/'s walk the interpret page's figures (a walk of interpret/ with
# validation/, which has no widget, mounted and unmounted the same figures again).
PAGES = {
    "sgd/": "next",  # schedules/: the walk, the SGD widget on both pages
    "training/": "next",  # validation/ (no widget)
    "wrong/": "next",  # tricks/
    "cleaner/": "prev",  # interpret/
    "production/": "prev",  # cleaner/
}

# What starts each widget, and whether it may own a Web Worker while on screen.
START = {
    "linfit": ".linfit-play",
    "classifier": 'button:has-text("Load the model now")',
    "cleaner": "button.cln-example",
}
WORKER_WIDGETS = {"linfit", "classifier"}


def leave(page) -> None:
    """Mark the page being left, so arrive() can tell when Material has swapped it out (the
    address changes before the new content is in)."""
    page.evaluate("document.querySelector('article').dataset.walkLeft = '1'")


def arrive(page, path: str, widgets_on: bool = True) -> None:
    """The page at `path` is shown and (widgets_on) every widget on it has mounted."""
    page.wait_for_function("p => location.pathname.endsWith(p) && !document.querySelector('article[data-walk-left]')",
                           arg=path, timeout=15000)
    if not widgets_on:
        return
    widgets = page.locator("[data-widget]")
    for i in range(widgets.count()):
        expect(widgets.nth(i)).to_have_attribute("data-mounted", "yes", timeout=20000)


def start_widgets(page, settle: bool) -> None:
    """Press every widget's start control; with settle, wait until what it started is done."""
    for name, selector in START.items():
        for w in page.locator(f'[data-widget="{name}"]').all():
            control = w.locator(selector)
            if name == "classifier" and not control.is_visible():
                continue  # the model is kept between visits: nothing to start on a return
            control.click()
            if settle:
                settle_widget(page, name, w)


def settle_widget(page, name: str, w) -> None:
    if name == "linfit":  # Python ready and its first run shown (the reader leaves while it animates)
        expect(w).to_have_attribute("data-python", "ready", timeout=60000)
        expect(w).to_have_attribute("data-results", re.compile(r"^[1-9]"), timeout=60000)
        expect(w).to_have_attribute("data-busy", "false", timeout=60000)
    elif name == "classifier":
        expect(w).not_to_have_attribute("data-phase", "loading", timeout=60000)
    elif name == "cleaner":
        expect(w).not_to_have_attribute("data-phase", "empty", timeout=20000)


def worker_widgets(page) -> int:
    return sum(page.locator(f'[data-widget="{n}"]').count() for n in WORKER_WIDGETS)


def widget_workers(page) -> list[str]:
    """The page's Web Workers but Material's own search worker."""
    return [w.url for w in page.workers if "/assets/javascripts/workers/" not in w.url]


def live_workers(page, allowed: int, wait_s: float = 8.0) -> list[str]:
    """Widget workers of the page, once they are down to `allowed` (terminated ones take a moment to go)."""
    end = time.monotonic() + wait_s
    while len(widget_workers(page)) > allowed and time.monotonic() < end:
        page.wait_for_timeout(200)
    return widget_workers(page)


def heap_bytes(cdp) -> int:
    """JS heap in use after forced garbage collections (the least of three readings)."""
    readings = []
    for _ in range(3):
        cdp.send("HeapProfiler.collectGarbage")
        readings.append(cdp.send("Runtime.getHeapUsage")["usedSize"])
    return min(readings)


def follow(page, link: str, leaving: str, widgets_on: bool = True) -> str:
    """Click a footer link (Material swaps the page in place); returns the new page's path."""
    leave(page)
    page.locator(f"a.md-footer__link--{link}").click()
    page.wait_for_function("p => !location.pathname.endsWith(p)", arg=leaving, timeout=15000)
    there = page.evaluate("location.pathname.slice(location.pathname.indexOf('/', 1) + 1)")
    arrive(page, there, widgets_on)
    return there


def walk(page, site, path: str, widgets_on: bool = True, rounds: int = ROUNDS) -> tuple[int, int, str]:
    """Warm up, measure, walk `rounds` times to the neighbour and back, measure again:
    (first heap, last heap, the neighbour's path)."""
    cdp = page.context.new_cdp_session(page)
    there, back = PAGES[path], {"next": "prev", "prev": "next"}[PAGES[path]]
    page.goto(site.url + path)  # its context: instant_navigation_only, so the walk stays in this document
    arrive(page, path, widgets_on)
    page.evaluate("window.__sameDocument = true")
    idle = lambda page, settle: None  # noqa: E731
    starts = start_widgets if widgets_on else idle
    starts_there = idle if path in NEIGHBOUR_NOT_STARTED else starts
    for _ in range(WARM_UP):
        neighbour = follow(page, there, path, widgets_on)
        starts_there(page, settle=True)
        follow(page, back, neighbour, widgets_on)
        starts(page, settle=True)
    first = heap_bytes(cdp)
    for i in range(rounds):
        settle = i % 3 == 0  # sometimes the reader waits for what the widgets started, mostly not
        follow(page, there, path, widgets_on)
        starts_there(page, settle)
        leave(page)
        page.go_back()
        arrive(page, path, widgets_on)
        starts(page, settle or i == rounds - 1)
    assert page.evaluate("window.__sameDocument === true"), "the walk reloaded the page: not instant navigation"
    if widgets_on:
        for w in page.locator('[data-widget="linfit"]').all():  # the heap is measured with the animation over
            expect(w).to_have_attribute("data-playing", "false", timeout=60000)
        live_workers(page, worker_widgets(page))  # terminated workers have gone before the measurement
    return first, heap_bytes(cdp), neighbour


# The walk whose heap growth with no widget mounted is Material's share on every walk.
BASELINE = "sgd/"


@pytest.fixture(scope="module")
def material_growth(browser, site) -> int:
    """Heap growth of the BASELINE walk with no widget mounted (mount.js replaced by an empty module)."""
    context = instant_navigation_only(browser.new_context(viewport={"width": 1200, "height": 900}))
    try:
        page = context.new_page()
        page.route("**/assets/widgets/mount.js", lambda route: route.fulfill(
            status=200, content_type="text/javascript", body="export {};"))
        first, last, _ = walk(page, site, BASELINE, widgets_on=False)
        return last - first
    finally:
        context.close()


@pytest.mark.parametrize("path", PAGES)
def test_walking_back_and_forth_leaves_one_worker_per_widget_and_the_heap_flat(material_growth, watched, site, path):
    page = watched.page
    watched.allow_console_error(r"Failed to load resource")  # a fetch cut short by leaving the page
    rounds = ROUNDS_FOR.get(path, ROUNDS)
    first, last, neighbour = walk(page, site, path, rounds=rounds)
    allowed = worker_widgets(page)
    workers = live_workers(page, allowed)
    material = max(material_growth, 0) * rounds / ROUNDS  # the baseline walk made ROUNDS round trips
    widgets = last - first - material
    print(f"\n{path} <-> {neighbour}: {len(workers)} widget worker(s) (allowed {allowed}); heap first "
          f"{first / 1e6:.2f} MB, last {last / 1e6:.2f} MB ({last / first:.2f}x) after {rounds} round trips; the "
          f"{BASELINE} walk without widgets grew {material / 1e6:.2f} MB in as many, so the widgets' share is {widgets / 1e6:+.2f} MB "
          f"({widgets / first:+.0%})")
    assert len(workers) <= allowed, f"{workers} alive on {path}, which has {allowed} widget(s) that may own one"
    assert widgets <= (HEAP_GROWTH - 1) * first, (
        f"heap grew from {first / 1e6:.2f} MB to {last / 1e6:.2f} MB, {material / 1e6:.2f} MB of it without widgets")
