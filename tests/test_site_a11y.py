"""Accessibility of every page, light and dark, checked by axe-core (npm, run in Chromium)
after the widgets have mounted: alt text, labels, names of buttons and links, heading
order, ARIA use, and colour contrast (WCAG AA) of text, code and the widgets.

Each page is checked on a visit another test makes anyway (a whole-site visit costs
30-50 s on the CI's two cores): every rule in the light scheme on test_site_pages.py's
visit, and the rules that read colours (COLOUR_RULES) in the dark scheme on
test_site_offline.py's offline visit (every page loaded afresh with the reader's system in
dark mode; the service worker serves the same files, checked by hash there). The schemes
differ in colours only, not in markup (no page uses Material's #only-dark/#only-light
images; checked below), so the other rules would find the same things twice, at about a
CPU-second a page. Here: the helper both use, and planted problems it must report.

Two findings belong to Material for MkDocs' own markup, not to this site, and are the
only ones allowed: its search dialog has no accessible name, and every code block's copy
toolbar is a navigation landmark with the same name."""

from tests.support import ROOT


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
THEME_OWN = {"aria-dialog-name": ".md-search", "landmark-unique": ".md-code__nav"}


# axe-core's rules whose outcome depends on the colours of the page (the rest read the markup).
COLOUR_RULES = ["color-contrast", "link-in-text-block"]


def violations(page, rules: list[str] | None = None) -> list[str]:
    """axe's findings on the page: every rule, or only `rules`."""
    page.add_script_tag(content=AXE.read_text())
    found = page.evaluate("""async (rules) => (await axe.run(document, rules ? {resultTypes: ['violations'], runOnly: rules}
                                                                      : {resultTypes: ['violations']})).violations
        .flatMap((v) => v.nodes.map((n) => ({rule: v.id, target: n.target.join(' '), why: n.failureSummary})))""", rules)
    return [f"{v['rule']} at {v['target']}: {v['why']}" for v in found
            if not (v["rule"] in THEME_OWN and THEME_OWN[v["rule"]] in v["target"])]


SCHEMES = {"light": "default", "dark": "slate"}  # the reader's system setting -> Material's scheme


def scheme_violations(page, scheme: str, rules: list[str] | None = None) -> list[str]:
    """axe's findings (every rule, or only `rules`) on a page loaded with the system in `scheme`,
    once its widgets have mounted."""
    assert AXE.is_file(), "axe-core missing: bash .ci/setup installs the npm packages"
    assert page.get_attribute("body", "data-md-color-scheme") == SCHEMES[scheme], page.url
    page.wait_for_timeout(300)  # widgets finish drawing after they mount
    return violations(page, rules)


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


def test_the_colour_rules_catch_dark_text_on_the_dark_scheme(browser, site):
    """The dark pass's rules alone must still report text too dark to read in the dark scheme."""
    context = browser.new_context(color_scheme="dark", service_workers="block")
    page = context.new_page()
    try:
        page.goto(site.url, wait_until="networkidle")
        page.evaluate("""() => document.querySelector('article').append(Object.assign(
            document.createElement('p'), {textContent: 'hard to read', style: 'color: #222'}))""")
        found = scheme_violations(page, "dark", COLOUR_RULES)
    finally:
        context.close()
    assert [v for v in found if v.startswith("color-contrast")], found
    assert not [v for v in found if v.split(" ")[0] not in COLOUR_RULES], found


def test_no_page_has_markup_for_one_scheme_only():
    """What the dark pass leaves out is only sound while both schemes show the same markup."""
    pages = sorted((ROOT / "docs").rglob("*.md"))
    assert pages
    assert [p.name for p in pages if "#only-dark" in p.read_text() or "#only-light" in p.read_text()] == []
