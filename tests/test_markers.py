"""The `browser` and `data` markers are true: tests/conftest.py derives them from the fixtures
a test uses, so `-m "not browser"` runs exactly the tests that never start Chromium and
`-m "not data"` those that never read the photos. A marker placed by hand could lie (a test
marked `data` that reads no photo, or one that starts Chromium by itself without the
`browser` fixture and goes unmarked), so none is placed by hand, and Chromium and the
photos are reached only through the fixtures."""

from __future__ import annotations

import re

from tests.conftest import BROWSER_FIXTURES, DATA_FIXTURES
from tests.support import ROOT

TESTS = ROOT / "tests"
HAND_MARK = re.compile(r"pytest\.mark\.(browser|data)\b")
# Starting Chromium, or finding the photos, other than through the fixtures.
OWN_BROWSER = re.compile(r"sync_playwright|async_playwright|chromium\.launch")
OWN_DATA = re.compile(r"\b(BEARS|NOT_BEARS|SHARED_DATA)\b|LESSON2_(NOT_)?BEARS|LESSON2_URLS")


def suite_files() -> list:
    return sorted(TESTS.glob("test_*.py"))


def test_no_marker_is_placed_by_hand():
    found = [f"{p.name}:{i}" for p in suite_files() for i, line in enumerate(p.read_text().splitlines(), 1)
             if HAND_MARK.search(line) and p.name != "test_markers.py"]
    assert found == [], f"browser/data markers come from the fixtures (tests/conftest.py), not by hand: {found}"


def test_chromium_and_the_photos_are_reached_only_through_the_fixtures():
    own = [f"{p.name}:{i}: {line.strip()}" for p in suite_files() if p.name != "test_markers.py"
           for i, line in enumerate(p.read_text().splitlines(), 1) if OWN_BROWSER.search(line) or OWN_DATA.search(line)]
    assert own == [], f"use the browser / bears_dir / not_bears_dir / urls_dir fixtures instead: {own}"


def test_markers_match_the_fixtures_of_every_collected_test(request):
    wrong = []
    for item in request.session.items:
        used = set(item.fixturenames)
        for mark, fixtures in (("browser", BROWSER_FIXTURES), ("data", DATA_FIXTURES)):
            if (item.get_closest_marker(mark) is not None) != bool(used & fixtures):
                wrong.append(f"{item.nodeid}: {mark}")
    assert wrong == []
