"""Accessibility of every page, light and dark, checked by axe-core (npm, run in Chromium)
after the widgets have mounted: alt text, labels, names of buttons and links, heading
order, ARIA use, and colour contrast (WCAG AA) of text, code and the widgets.

Two findings belong to Material for MkDocs' own markup, not to this site, and are the
only ones allowed: its search dialog has no accessible name, and every code block's copy
toolbar is a navigation landmark with the same name."""

import re

import pytest

from tests.support import ROOT


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
THEME_OWN = {"aria-dialog-name": ".md-search", "landmark-unique": ".md-code__nav"}


def page_urls(site):
    locs = re.findall(r"<loc>([^<]+)</loc>", (site.root / "sitemap.xml").read_text())
    return [site.url + loc.split("/lesson2/", 1)[1] for loc in locs]


def violations(page) -> list[str]:
    page.add_script_tag(content=AXE.read_text())
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .flatMap((v) => v.nodes.map((n) => ({rule: v.id, target: n.target.join(' '), why: n.failureSummary})))""")
    return [f"{v['rule']} at {v['target']}: {v['why']}" for v in found
            if not (v["rule"] in THEME_OWN and THEME_OWN[v["rule"]] in v["target"])]


# The light scheme is checked on test_site_pages.py's visit of every page (one visit, not two).
@pytest.mark.parametrize("scheme", ["dark"])
def test_every_page_passes_axe(browser, site, scheme):
    assert AXE.is_file(), "axe-core missing: bash .ci/setup installs the npm packages"
    context = browser.new_context(viewport={"width": 1200, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    problems = {}
    try:
        for url in page_urls(site):
            page.goto(url, wait_until="networkidle")
            want = "slate" if scheme == "dark" else "default"
            assert page.get_attribute("body", "data-md-color-scheme") == want
            page.wait_for_function("""[...document.querySelectorAll('[data-widget]')]
                .every((el) => ['yes', 'error'].includes(el.dataset.mounted))""", timeout=15000)
            page.wait_for_timeout(300)  # widgets finish drawing after they mount
            found = violations(page)
            if found:
                problems[url] = found
    finally:
        context.close()
    assert problems == {}, "\n".join(f"{u}\n  " + "\n  ".join(v) for u, v in problems.items())


def test_the_check_catches_a_real_problem(browser, site):
    """A planted image without alt text and an unlabelled input must be reported."""
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(site.url, wait_until="networkidle")
        page.evaluate("""() => { const a = document.querySelector('article');
            a.append(Object.assign(document.createElement('img'), {src: 'data:image/gif;base64,R0lGODlhAQABAAAAACw='}));
            a.append(Object.assign(document.createElement('input'), {type: 'text'})); }""")
        found = violations(page)
    finally:
        context.close()
    assert any(v.startswith("image-alt") for v in found) and any(v.startswith("label") for v in found), found
