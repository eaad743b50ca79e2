"""Fixtures shared by the whole suite.

- ``bears_dir``: the real photos, from $LESSON2_BEARS (default ../shared/data/bears).
  Absent -> the test is skipped with the reason, unless LESSON2_REQUIRE_DATA=1
  (set by .ci/run), which turns absence into a failure. ``not_bears_dir`` likewise
  ($LESSON2_NOT_BEARS, default ../shared/data/not_bears).
- ``bears_cache`` / ``fast_run``: one activation cache for the session, and one
  `train --fast --per_label 15` run on the real photos (seconds), shared by every test
  that needs a trained checkpoint and its report.
- ``site`` / ``built_site``: the site built with ``mkdocs build --strict`` once per
  session, served from the sub-path /lesson2/ by a local server with no COOP/COEP
  headers (GitHub Pages sends none).
- ``browser`` / ``watched``: headless Debian Chromium driven by Playwright, and a
  page that records every request and console error; a test fails if any request
  leaves 127.0.0.1 or the console shows an error it did not expect. No Chromium ->
  skipped, unless LESSON2_REQUIRE_BROWSER=1 (set by .ci/run).

Markers follow from the fixtures a test uses (see pytest_collection_modifyitems), so
they cannot lie: ``browser`` = drives Chromium, ``data`` = reads the real photos.
``-m "not browser"`` runs the fast part. tests/test_markers.py checks that none is set by hand.

With pytest-xdist (``bash .ci/test`` runs ``-n 2 --dist loadfile``) every worker has its own
session: the site build, Chromium and ``fast_run`` are made once per worker that needs them
(seconds each); a test file stays on one worker, so its module fixtures are made once.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support import CHROMIUM, CHROMIUM_ARGS, build_site, instant_navigation_only, start_server
from training.paths import BEARS, NOT_BEARS, SHARED_DATA


def data_path(env: str, default: str | Path, what: str) -> Path:
    path = Path(os.environ.get(env, default))
    if not path.is_dir():
        msg = f"{what} not found at {path} (set {env} to its folder)"
        if os.environ.get("LESSON2_REQUIRE_DATA") == "1":
            pytest.fail(msg + "; LESSON2_REQUIRE_DATA=1 makes this a failure", pytrace=False)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def bears_dir() -> Path:
    return data_path("LESSON2_BEARS", BEARS, "the bear photos")


@pytest.fixture(scope="session")
def not_bears_dir() -> Path:
    return data_path("LESSON2_NOT_BEARS", NOT_BEARS, "the non-bear photos")


@pytest.fixture(scope="session")
def urls_dir() -> Path:
    return data_path("LESSON2_URLS", SHARED_DATA / "urls", "the URL lists")


@pytest.fixture(scope="session")
def bears_cache(tmp_path_factory) -> Path:
    """Body activations cached once for the session's runs (keyed by photos, size and body)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def fast_run(bears_dir, bears_cache, tmp_path_factory) -> Path:
    """The folder of one real `train --fast` run through the CLI: 15 photos per label at 128 px."""
    from training.bears.cli import main

    out = tmp_path_factory.mktemp("run")
    assert main(["train", "--fast", "--per_label", "15", "--data", str(bears_dir), "--out", str(out),
                 "--cache", str(bears_cache), "--no-progress"]) == 0
    return out


# A test's markers come from the fixtures it uses (directly or through other fixtures).
BROWSER_FIXTURES = {"browser", "watched"}
DATA_FIXTURES = {"bears_dir", "not_bears_dir", "urls_dir"}


# The longest files first (their test times in a two-worker run of .ci/run, 14-82 s each): xdist's
# loadfile hands out whole files in collection order, and a long file handed out last keeps one
# worker busy while the other has nothing left. Order only; every file still runs whole on one worker.
LONGEST_FIRST = ("test_classifier_browser.py", "test_site_offline.py", "test_site_lifecycle.py",
                 "test_sgd_widget_hostile.py", "test_sgd_widget.py", "test_figures.py", "test_classifier_reliability.py",
                 "test_explorables.py", "test_bears_experiments.py", "test_trainer_page.py", "test_cleaner_hostile.py",
                 "test_site_pages.py", "test_cleaner.py", "test_sgd_widget_surface.py", "test_export_onnx.py",
                 "test_bears_train.py", "test_sgd.py")


def pytest_collection_modifyitems(config, items):
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if used & DATA_FIXTURES:
            item.add_marker(pytest.mark.data)
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The server is bound first so the build can be told its exact URL."""
    root = tmp_path_factory.mktemp("site") / "site"
    server, httpd = start_server(root)
    build_site(root, site_url=server.url)
    yield server
    httpd.shutdown()


@pytest.fixture(scope="session")
def built_site(site) -> Path:
    return site.root


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        msg = f"Chromium not found at {CHROMIUM} (bash .ci/setup installs Debian's chromium)"
        if os.environ.get("LESSON2_REQUIRE_BROWSER") == "1":
            pytest.fail(msg + "; LESSON2_REQUIRE_BROWSER=1 makes this a failure", pytrace=False)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Watch:
    """What a page did: requests (URL list), off-site requests, console errors; also what
    the site's service worker fetched and logged for it (off-site checks cover both)."""

    def __init__(self, page):
        self.page = page
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.console_errors: list[str] = []
        self.allowed_errors: list[re.Pattern] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.console_errors.append(f"pageerror: {e}"))
        # The site's service worker fetches on its own (precache, runtimes): the page does not
        # see those requests or the worker's console, its context does (Chromium).
        self.worker_requests: list[str] = []  # kept apart: `requests` stays what the page asked for
        page.context.on("request", lambda r: r.service_worker and self.worker_requests.append(r.url))
        page.context.on("console", lambda m: m.page is None and self._console(m))

    def _console(self, msg):
        if msg.type == "error":
            self.console_errors.append(msg.text)

    def allow_console_error(self, pattern: str) -> None:
        self.allowed_errors.append(re.compile(pattern))

    def mark(self) -> tuple[int, int, int]:
        """Where the records stand: offsite(mark) and unexpected_errors(mark) see only what came
        after (a page shared by several tests checks each test's share)."""
        return len(self.requests), len(self.worker_requests), len(self.console_errors)

    def offsite(self, since: tuple[int, int, int] = (0, 0, 0)) -> list[str]:
        bad = []
        for url in self.requests[since[0]:] + self.worker_requests[since[1]:]:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.hostname not in ("127.0.0.1",):
                bad.append(url)
        return bad

    def unexpected_errors(self, since: tuple[int, int, int] = (0, 0, 0)) -> list[str]:
        return [e for e in self.console_errors[since[2]:] if not any(p.search(e) for p in self.allowed_errors)]

    def assert_clean(self, since: tuple[int, int, int] = (0, 0, 0)) -> None:
        """Nothing left 127.0.0.1 and the console showed no unexpected error (since `since`)."""
        assert self.offsite(since) == [], f"requests left 127.0.0.1: {self.offsite(since)}"
        assert self.unexpected_errors(since) == [], f"console errors: {self.unexpected_errors(since)}"


@pytest.fixture
def camera_context(browser, site):
    """A context of a second Chromium that has a fake camera, with the camera allowed for the site
    (Chromium takes the fake device only as a launch flag, so the session's browser cannot serve)."""
    other = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"])
    try:
        context = other.new_context()
        context.grant_permissions(["camera"], origin=site.url.split("/lesson2/")[0])
        yield context
    finally:
        other.close()


@pytest.fixture
def watched(browser, site, request):
    """A fresh browser context + page on the served site; checks on teardown
    that nothing left 127.0.0.1 and no unexpected console error appeared."""
    context = instant_navigation_only(browser.new_context(viewport={"width": 1200, "height": 900}))
    page = context.new_page()
    watch = Watch(page)
    yield watch
    context.close()
    watch.assert_clean()
