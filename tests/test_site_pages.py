"""Every page of the built site, in Chromium, from the sub-path: it loads with no
failed request, nothing leaves 127.0.0.1, no console error, and every widget on
it mounts (runtimes stay unloaded until a reader uses a widget). On the same visit,
axe-core checks the page in the light scheme (test_site_a11y.py: what axe checks;
the dark scheme is checked on test_site_offline.py's visit)."""

import re
import time

from tests.test_site_a11y import report, scheme_violations


def page_urls(site):
    sitemap = (site.root / "sitemap.xml").read_text()
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert locs, "sitemap.xml lists no page"
    return [site.url + loc.split("/lesson2/", 1)[1] for loc in locs]


def in_flight(page) -> set:
    """The page's requests not yet answered (or failed), kept up to date."""
    live = set()
    page.on("request", lambda r: live.add(r))
    page.on("requestfinished", lambda r: live.discard(r))
    page.on("requestfailed", lambda r: live.discard(r))
    return live


def wait_answered(page, live: set, url: str, timeout_s: float = 15) -> None:
    """Every request the page made has been answered: what it fetched late (widgets' data, images)
    is in watched.failed before the next page cuts it short. (Playwright's networkidle waited
    500 ms of silence after every load, 7 s a walk, for the same.)"""
    end = time.monotonic() + timeout_s
    while live and time.monotonic() < end:
        page.wait_for_timeout(50)
    assert not live, f"{url}: requests still unanswered after {timeout_s} s: {sorted(r.url for r in live)}"


# Widgets that start loading their model when they come within a screen of the view
# (common/approach.js): a page that opens with one near may load it; no other page may.
APPROACH_LOADED = '[data-widget="classifier"]'


def test_every_page_loads_cleanly_and_passes_axe_in_light(watched, site):
    page = watched.page
    live = in_flight(page)
    problems, early = {}, {}
    for url in page_urls(site):
        start = len(watched.requests)
        page.goto(url)
        assert page.title(), url
        widgets = page.locator("[data-widget]")
        for i in range(widgets.count()):
            w = widgets.nth(i)
            page.wait_for_function("el => ['yes', 'error'].includes(el.dataset.mounted)", arg=w.element_handle(),
                                   timeout=15000)
            assert w.get_attribute("data-mounted") == "yes", f"{url}: widget {w.get_attribute('data-widget')} failed"
        imgs_without_alt = page.evaluate("[...document.querySelectorAll('article img:not([alt])')].map(i => i.src)")
        assert imgs_without_alt == [], f"{url}: images without alt text"
        if found := scheme_violations(page, "light"):
            problems[url] = found
        near = page.evaluate("sel => [...document.querySelectorAll(sel)].some((e) => e.getBoundingClientRect().top < 2 * innerHeight)",
                             APPROACH_LOADED)
        wait_answered(page, live, url)
        heavy = [u for u in watched.requests[start:] if re.search(r"\.(wasm|onnx)$|python_stdlib", u)]
        if heavy and not near:
            early[url] = heavy
    assert problems == {}, report(problems)
    assert watched.failed == [], f"failed requests: {watched.failed}"
    assert early == {}, f"runtimes or models loaded with no widget that needs them near the view: {early}"
