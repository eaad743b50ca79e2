"""Accessibility of every page, light and dark, checked by axe-core (npm, run in Chromium)
after the widgets have mounted: alt text, labels, names of buttons and links, heading
order, ARIA use, and colour contrast (WCAG AA) of text, code and the widgets.

Each page is checked on a visit another test makes anyway (a whole-site visit costs
30-50 s on the CI's two cores): in the light scheme on test_site_pages.py's visit, in
the dark scheme on test_site_offline.py's offline visit (every page loaded afresh with
the reader's system in dark mode; the service worker serves the same files, checked by
hash there). Here: the helper both use, and a planted problem it must report.

Two findings belong to Material for MkDocs' own markup, not to this site, and are the
only ones allowed: its search dialog has no accessible name, and every code block's copy
toolbar is a navigation landmark with the same name."""

from tests.support import ROOT


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
THEME_OWN = {"aria-dialog-name": ".md-search", "landmark-unique": ".md-code__nav"}


def violations(page) -> list[str]:
    page.add_script_tag(content=AXE.read_text())
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .flatMap((v) => v.nodes.map((n) => ({rule: v.id, target: n.target.join(' '), why: n.failureSummary})))""")
    return [f"{v['rule']} at {v['target']}: {v['why']}" for v in found
            if not (v["rule"] in THEME_OWN and THEME_OWN[v["rule"]] in v["target"])]


SCHEMES = {"light": "default", "dark": "slate"}  # the reader's system setting -> Material's scheme


def scheme_violations(page, scheme: str) -> list[str]:
    """axe's findings on a page loaded with the system in `scheme`, once its widgets have mounted."""
    assert AXE.is_file(), "axe-core missing: bash .ci/setup installs the npm packages"
    assert page.get_attribute("body", "data-md-color-scheme") == SCHEMES[scheme], page.url
    page.wait_for_timeout(300)  # widgets finish drawing after they mount
    return violations(page)


def report(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{u}\n  " + "\n  ".join(v) for u, v in problems.items())


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
