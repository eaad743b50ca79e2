"""The site once loaded keeps working offline (service worker), in real Chromium, from
the sub-path /lesson2/: every page by direct navigation and by instant navigation,
its figures and widgets, search, a widget's runtime after one use online, and a
rebuild that replaces the cache. The direct visits are made with the reader's system in
dark mode, and axe-core's colour rules check each page there (test_site_a11y.py).

The walk, the two runtimes' tests and the rebuild start from one browser in which the site
was opened once and saved (the saved_context fixture: saving takes about 10 s, and each test
made its own); each test opens its own page there. The no-worker test makes its own.

Offline is Playwright's context.set_offline(True): the page and its service worker
both lose the network, as in a classroom whose Wi-Fi drops."""

from __future__ import annotations

import hashlib
import json
import re
import time

import pytest
from playwright.sync_api import expect

from tests.conftest import Watch
from tests.support import ROOT, build_site, run_node_modules
from tests.test_site_a11y import COLOUR_RULES, report, scheme_violations


STATE = "document.documentElement.dataset.offline"
ARTICLE = ".md-content article"  # search results are <article>s too
HEAVY = re.compile(r"^assets/vendor/|\.(onnx|wasm)$|python_stdlib\.zip$")
# registry.json: widget name -> module, imported only when a page has one.
WIDGET_MODULES = {name: spec["module"] for name, spec in
                  json.loads((ROOT / "site_widgets/registry.json").read_text())["widgets"].items()}


def manifest(site_root):
    return json.loads((site_root / "assets/offline/precache.json").read_text())


def page_urls(site) -> list[str]:
    locs = re.findall(r"<loc>([^<]+)</loc>", (site.root / "sitemap.xml").read_text())
    assert locs, "sitemap.xml lists no page"
    return [site.url + loc.split("/lesson2/", 1)[1] for loc in locs]


def wait_saved(page):
    """Wait until register.js reports the site saved (after the load event), and check it is."""
    page.wait_for_function(f"['ready', 'partial', 'failed', 'unavailable'].includes({STATE})", timeout=60000)
    assert page.evaluate(STATE) == "ready"


def cache_urls(page, name_part: str) -> list[str]:
    return page.evaluate("""async (part) => {
        const names = (await caches.keys()).filter((n) => n.includes(part));
        const urls = [];
        for (const n of names) for (const r of await (await caches.open(n)).keys()) urls.push(r.url);
        return urls; }""", name_part)


def wait_until(page, js: str, arg=None, timeout: float = 30):
    """Poll an async page function until it returns true (wait_for_function does not await promises)."""
    end = time.monotonic() + timeout
    while not page.evaluate(js, arg):
        assert time.monotonic() < end, f"timed out waiting for {js}"
        time.sleep(0.2)


def open_controlled(page, url):
    """Open the home page, let the worker save the site, then open `url`: a page loaded
    after the worker is active is controlled by it (it does not claim the first one)."""
    page.goto(url.split("/lesson2/")[0] + "/lesson2/")
    wait_saved(page)
    assert page.evaluate("navigator.serviceWorker.controller") is None
    page.goto(url)
    assert page.evaluate("navigator.serviceWorker.controller !== null")


@pytest.fixture(scope="module")
def saved_context(browser, site):
    """A reader's browser that has opened the site once, online, and let the worker save it (about
    10 s): the pages it opens from then on are controlled by the worker. Shared by the tests that
    start from there; the reader's system is in dark mode (the walk's axe check is the dark scheme's,
    and Material keeps the scheme of the first visit)."""
    context = browser.new_context(viewport={"width": 1200, "height": 900}, color_scheme="dark")
    first = Watch(context.new_page())
    try:
        open_controlled(first.page, site.url)
        first.page.close()
        yield context
    finally:
        context.close()
    first.assert_clean()


@pytest.fixture
def reader(saved_context, site):
    """A new page of the saved browser, online, watched as `watched` does (nothing leaves 127.0.0.1, no
    unexpected console error), and checked to be controlled by the worker once it opens a page."""
    saved_context.set_offline(False)
    watch = Watch(saved_context.new_page())
    yield watch
    watch.page.close()
    saved_context.set_offline(False)  # also after a failure half-way, for the next test
    watch.assert_clean()


def open_saved(page, url):
    page.goto(url)
    assert page.evaluate("navigator.serviceWorker.controller !== null"), "the saved site's worker does not control the page"


def check_page(page, site, url):
    """The page shows its article, its images decoded, and its widgets mounted."""
    expect(page.locator(ARTICLE + " h1").first).to_be_visible()
    page.wait_for_function("[...document.querySelectorAll('.md-content article img')].every((i) => i.complete)")
    broken = page.evaluate("[...document.querySelectorAll('.md-content article img')].filter((i) => !i.naturalWidth).map((i) => i.src)")
    assert broken == [], f"{url}: images that did not load offline: {broken}"
    widgets = page.locator("[data-widget]")
    for i in range(widgets.count()):
        w = widgets.nth(i)
        name = w.get_attribute("data-widget")
        if not (site.root / "assets/widgets" / WIDGET_MODULES.get(name, "-")).is_file():
            continue  # module still being written: nothing to mount yet
        page.wait_for_function("(el) => ['yes', 'error'].includes(el.dataset.mounted)", arg=w.element_handle(),
                               timeout=15000)
        assert w.get_attribute("data-mounted") == "yes", f"{url}: widget {name} did not mount offline"


def test_manifest_lists_the_built_files_with_their_hashes(built_site):
    m = manifest(built_site)
    assert (built_site / "sw.js").is_file()
    assert json.dumps(m, separators=(",", ":")) in (built_site / "sw.js").read_text()
    precache, runtime = dict(m["precache"]), dict(m["runtime"])
    for path, rev in [*precache.items(), *runtime.items()]:
        file = built_site / (path + "index.html" if path == "" or path.endswith("/") else path)
        assert hashlib.sha256(file.read_bytes()).hexdigest()[:16] == rev, path
    pages = {p.relative_to(built_site).as_posix() for p in built_site.rglob("*.html")}
    assert {(p[: -len("index.html")] if p.endswith("index.html") else p) for p in pages} <= set(precache)
    for needed in ["sitemap.xml", "search/search_index.json", "assets/widgets/mount.js", "assets/models/bears.json",
                   "assets/reports/index.json", "assets/sgd/fit.gif"]:
        assert needed in precache, needed
    for pattern in [r"^assets/javascripts/bundle\.\w+\.min\.js$", r"^assets/javascripts/workers/search\.\w+\.min\.js$",
                    r"^assets/stylesheets/main\.\w+\.min\.css$"]:
        assert any(re.search(pattern, p) for p in precache), pattern
    assert [p for p in precache if HEAVY.search(p)] == [], "heavy runtimes must not be fetched ahead"
    heavy_built = {p.relative_to(built_site).as_posix() for p in built_site.rglob("*")
                   if p.is_file() and HEAVY.search(p.relative_to(built_site).as_posix())}
    assert set(runtime) == heavy_built
    assert m["precache_bytes"] == sum((built_site / (p + "index.html" if p == "" or p.endswith("/") else p)).stat().st_size
                                      for p in precache)


def test_every_page_search_and_figures_work_offline_and_pass_axe_in_dark(reader, site):
    page = reader.page
    urls = page_urls(site)
    open_saved(page, site.url)
    m = manifest(site.root)
    saved = cache_urls(page, f"precache:{m['version']}")
    assert sorted(saved) == sorted(site.url + p for p, _ in m["precache"])
    page.context.set_offline(True)

    # Direct navigation (a reload, a typed address, a bookmark); each page is also checked by axe-core's
    # colour rules once it shows (the dark scheme's check: one visit serves both).
    dark_problems = {}
    for url in urls:
        page.goto(url)
        check_page(page, site, url)
        if found := scheme_violations(page, "dark", COLOUR_RULES):
            dark_problems[url] = found

    # Instant navigation: Material fetches the next page and swaps it in, without a reload.
    page.goto(site.url)
    page.evaluate("window.__sameDocument = true")
    seen = [page.url]
    while page.locator("a.md-footer__link--next").count():
        before = page.url
        page.locator("a.md-footer__link--next").click()
        page.wait_for_function("(prev) => location.href !== prev && "  # swapped in: Material updates the head too
                               "document.querySelector('link[rel=canonical]').href === location.href.split('#')[0]", arg=before)
        seen.append(page.url.split("#")[0])  # navigation.tracking adds the section in view
        check_page(page, site, seen[-1])
    assert page.evaluate("window.__sameDocument === true"), "a page was reloaded instead of swapped in"
    assert sorted(seen) == sorted(urls)

    # Search, from the saved index, in Material's search worker.
    page.goto(site.url + "glossary/")
    page.evaluate("window.__sameDocument = true")
    page.locator(".md-search__input").click()
    expect(page.locator("#__search")).to_be_checked()
    page.locator(".md-search__input").press_sequentially("gradient", delay=30)
    results = page.locator(".md-search-result__item")
    expect(results.first).to_be_visible(timeout=15000)
    assert "gradient" in results.first.inner_text().lower()
    results.first.locator("a").first.click()
    expect(page.locator(ARTICLE + " h1").first).to_be_visible()
    assert page.evaluate("window.__sameDocument === true")

    # A query and a fragment still find the saved page.
    sgd = site.url + "sgd/"
    anchor = page.evaluate("async (u) => { const d = new DOMParser().parseFromString(await (await fetch(u)).text(), "
                           "'text/html'); return d.querySelector('.md-content article h2[id]').id; }", sgd)
    page.goto(f"{sgd}?h=loss#{anchor}")
    check_page(page, site, page.url)
    assert page.evaluate("location.hash") == f"#{anchor}"

    # Not part of the site and no network: a clear offline page, with a way back.
    reader.allow_console_error(r"status of 503 \(Offline\)")
    page.goto(site.url + "not-a-page/")
    expect(page.locator("h1")).to_have_text("You are offline")
    page.get_by_role("link", name=m["pages"][0][1], exact=True).click()
    expect(page.locator(ARTICLE + " h1").first).to_be_visible()
    page.context.set_offline(False)

    heavy = [u for u in reader.requests + reader.worker_requests if HEAVY.search(u.split("/lesson2/", 1)[-1])]
    assert heavy == [], f"runtimes fetched though no widget was used: {heavy}"
    assert dark_problems == {}, "axe, dark scheme:\n" + report(dark_problems)


def test_python_still_starts_offline_after_one_use_online(reader, site):
    page = reader.page
    w = '[data-widget="linfit"]'
    open_saved(page, site.url + "sgd/")
    expect(page.locator(w)).to_have_attribute("data-mounted", "yes", timeout=15000)
    page.click(".linfit-play")
    expect(page.locator(w)).to_have_attribute("data-python", "ready", timeout=60000)
    files = [p for p, _ in manifest(site.root)["runtime"] if p.startswith("assets/vendor/pyodide/")]
    wait_until(page, """async (files) => {
        const keys = (await (await caches.open((await caches.keys()).find((n) => n.endsWith(':runtime')))).keys())
            .map((r) => r.url);
        return files.every((f) => keys.some((k) => k.includes(f + '?rev='))); }""", files)

    page.context.set_offline(True)
    n = len(site.hits)
    page.reload()
    expect(page.locator(w)).to_have_attribute("data-mounted", "yes", timeout=15000)
    page.click(".linfit-play")
    expect(page.locator(w)).to_have_attribute("data-python", "ready", timeout=60000)
    expect(page.locator(w)).to_have_attribute("data-source", "python", timeout=60000)
    # The browser's own update check of sw.js (after a navigation) escapes DevTools' offline
    # emulation; everything the page and its worker fetch must not reach the server.
    assert [h.path for h in site.hits[n:] if not h.path.endswith("/sw.js")] == [], "fetched while offline"
    page.context.set_offline(False)


def test_classifier_still_works_offline_after_one_use_online(reader, site, bears_dir):
    """The kept model passes the classifier's SHA-256 check when it comes from the cache."""
    photo = sorted((bears_dir / "grizzly").glob("*.jpg"))[0]
    page = reader.page
    open_saved(page, site.url + "production/")
    picker = page.locator('[data-widget="classifier"] input[type=file]').first
    picker.set_input_files(str(photo))
    page.wait_for_function("document.querySelector('.clf').dataset.runs === '1'", timeout=60000)
    assert page.get_attribute(".clf", "data-phase") == "done"
    top = page.get_attribute(".clf", "data-top")
    model = json.loads((site.root / "assets/models/bears.json").read_text())
    wanted = ["ort.wasm.min.mjs", "ort-wasm-simd-threaded.wasm", model["variants"][model["default"]]["model"]]
    wait_until(page, """async (files) => {
        const name = (await caches.keys()).find((n) => n.endsWith(':runtime'));
        const keys = (await (await caches.open(name)).keys()).map((r) => r.url);
        return files.every((f) => keys.some((k) => k.includes('/' + f + '?rev='))); }""", wanted)

    page.context.set_offline(True)
    page.reload()
    expect(page.locator('[data-widget="classifier"]')).to_have_attribute("data-mounted", "yes", timeout=15000)
    page.locator('[data-widget="classifier"] input[type=file]').first.set_input_files(str(photo))
    page.wait_for_function("document.querySelector('.clf').dataset.runs === '1'", timeout=60000)
    assert page.get_attribute(".clf", "data-phase") == "done"
    assert page.get_attribute(".clf", "data-top") == top
    page.context.set_offline(False)


def test_a_rebuild_brings_a_new_cache_and_the_new_content(reader, site, tmp_path):
    """Build again (with a repository link in the header) for the session's server, serve
    the session's build first, then swap the files on the server as a deploy does. The
    reader's browser keeps the session's build (last of the tests that use it)."""
    old_root = site.root
    new_root = build_site(tmp_path / "b", site_url=site.url, env={"REPO_URL": "https://example.org/bears/lesson2"})
    old, new = manifest(old_root)["version"], manifest(new_root)["version"]
    assert old != new
    page = reader.page
    try:
        open_saved(page, site.url)
        assert page.locator(".md-source").count() == 0
        assert any(f"precache:{old}" in n for n in page.evaluate("caches.keys()"))

        site.root = new_root  # the deploy
        page.reload()  # online: the page comes from the network, new at once
        expect(page.locator(".md-source").first).to_be_attached()
        wait_until(page, """async ([o, n]) => { const k = await caches.keys();
            return k.some((x) => x.endsWith(':' + n)) && !k.some((x) => x.endsWith(':' + o)); }""", [old, new], 60)

        page.context.set_offline(True)
        page.reload()
        expect(page.locator(".md-source").first).to_be_attached()
        page.goto(site.url + "sgd/")
        expect(page.locator(".md-source").first).to_be_attached()
    finally:
        site.root = old_root  # the other tests' site again


def test_without_service_workers_the_site_says_so_quietly(browser, site):
    """Where a browser refuses service workers (some private modes, policies), the site
    works online as before and only an info line says offline reading is unavailable."""
    context = browser.new_context(service_workers="block")
    watch = Watch(context.new_page())
    infos = []
    watch.page.on("console", lambda m: m.type == "info" and infos.append(m.text))
    try:
        watch.page.goto(site.url + "sgd/")
        watch.page.wait_for_function(f"['ready', 'partial', 'failed', 'unavailable'].includes({STATE})", timeout=30000)
        assert watch.page.evaluate(STATE) in ("failed", "unavailable")
        expect(watch.page.locator('[data-widget="linfit"]')).to_have_attribute("data-mounted", "yes")
    finally:
        context.close()
    assert any("Offline reading is not available" in t for t in infos), infos
    watch.assert_clean()


def footer_next(page) -> str:
    """Click the footer's link to the next page; -> the URL it leads to."""
    link = page.locator("a.md-footer__link--next")
    target = link.evaluate("(a) => a.href")
    link.click()
    page.wait_for_function("(u) => location.href.split('#')[0] === u", arg=target)
    return target


def test_a_first_visit_gets_threads_from_its_next_page_once(browser, site):
    """The first page of a visit loaded before the worker existed, and instant navigation would keep
    every later page in that document: not isolated, one thread all visit. Once the worker is active,
    the next link is a full load that the worker serves isolated; instant navigation resumes there.
    Once per tab: where the headers did not isolate, links must not keep reloading (here: a reload
    that bypasses the worker, as Shift+Reload does, gives an unisolated page again in the same tab)."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    watch = Watch(context.new_page())
    page = watch.page
    try:
        page.goto(site.url)
        wait_saved(page)
        assert page.evaluate("crossOriginIsolated") is False
        page.evaluate("window.__sameDocument = true")
        footer_next(page)
        expect(page.locator(ARTICLE + " h1").first).to_be_visible()
        assert page.evaluate("window.__sameDocument") is None, "the page was swapped in, not loaded"
        assert page.evaluate("crossOriginIsolated && typeof SharedArrayBuffer === 'function'")
        page.evaluate("window.__sameDocument = true")
        footer_next(page)
        assert page.evaluate("window.__sameDocument === true"), "instant navigation did not resume"
        assert page.evaluate("crossOriginIsolated")

        page.context.new_cdp_session(page).send("Page.reload", {"ignoreCache": True})
        page.wait_for_function("navigator.serviceWorker.controller === null && !crossOriginIsolated")
        wait_saved(page)  # the worker is active again for this page: the tab has had its try
        page.evaluate("window.__sameDocument = true")
        footer_next(page)
        assert page.evaluate("window.__sameDocument === true") and not page.evaluate("crossOriginIsolated")
    finally:
        context.close()
    watch.assert_clean()


def test_only_a_plain_click_to_another_page_of_the_site_is_a_full_load():
    got = run_node_modules(ROOT / "site_widgets" / "offline", ("isolate",), """
      const root = new URL("http://127.0.0.1/lesson2/");
      const here = new URL("http://127.0.0.1/lesson2/sgd/?h=x");
      const link = (href, attrs = {}) => ({ href, target: attrs.target || "", hasAttribute: (n) => n in attrs,
                                            closest: function () { return this; } });
      const click = (a, ev = {}) => isolate.fullNavigation({ button: 0, target: a, ...ev }, root, here);
      console.log(JSON.stringify({
        another_page: click(link("http://127.0.0.1/lesson2/production/")),
        with_a_section: click(link("http://127.0.0.1/lesson2/production/#try-it")),
        home: click(link("http://127.0.0.1/lesson2/")),
        same_page_section: click(link("http://127.0.0.1/lesson2/sgd/?h=x#loss")),
        outside_the_site: click(link("http://127.0.0.1/other/")),
        other_origin: click(link("https://example.org/lesson2/production/")),
        new_tab: click(link("http://127.0.0.1/lesson2/production/", { target: "_blank" })),
        download: click(link("http://127.0.0.1/lesson2/assets/x.json", { download: "" })),
        a_file: click(link("http://127.0.0.1/lesson2/assets/models/bears.json")),
        a_page_file: click(link("http://127.0.0.1/lesson2/404.html")),
        ctrl: click(link("http://127.0.0.1/lesson2/production/"), { ctrlKey: true }),
        middle: click(link("http://127.0.0.1/lesson2/production/"), { button: 1 }),
        handled: click(link("http://127.0.0.1/lesson2/production/"), { defaultPrevented: true }),
        not_a_link: isolate.fullNavigation({ button: 0, target: { closest: () => null } }, root, here),
      }));""")
    assert got == {"another_page": True, "with_a_section": True, "home": True, "same_page_section": False,
                   "outside_the_site": False, "other_origin": False, "new_tab": False, "download": False,
                   "a_file": False, "a_page_file": True,
                   "ctrl": False, "middle": False, "handled": False, "not_a_link": False}
