"""The data cleaner leaves nothing behind when Material's instant navigation swaps its
page out: no window listener, no timer, no object URL, and a storage event from another
tab afterwards touches neither the old DOM (the element, which mount.js empties on unmount,
and the parts the widget had built in it) nor the console."""

from __future__ import annotations

import json

from tests.support import copy_photos
from tests.test_cleaner import open_folder, open_list


def window_listeners(page) -> dict[str, int]:
    """Event listeners on window, by type (Chrome DevTools Protocol: what the browser itself holds)."""
    cdp = page.context.new_cdp_session(page)
    try:
        win = cdp.send("Runtime.evaluate", {"expression": "window"})["result"]["objectId"]
        found = cdp.send("DOMDebugger.getEventListeners", {"objectId": win})["listeners"]
    finally:
        cdp.detach()
    out: dict[str, int] = {}
    for listener in found:
        out[listener["type"]] = out.get(listener["type"], 0) + 1
    return out


def nav_to(page, href_end: str):
    """Follow the site navigation's link, as a click (at this width the navigation is a closed
    drawer, so the click is dispatched to the link; Material's instant navigation takes it)."""
    page.locator(f'a.md-nav__link[href$="{href_end}"]').first.dispatch_event("click")
    page.wait_for_function("(h) => location.pathname.endsWith(h)", arg=href_end)


def test_leaving_the_page_ends_listeners_timers_and_object_urls(watched, site, bears_dir, tmp_path):
    data = copy_photos(bears_dir, tmp_path / "bears", 2)
    files = sorted(str(p.relative_to(data)) for p in data.rglob("*.jpg"))
    rows = [{"file": f, "label": f.split("/")[0], "pred": "black", "prob_pred": 0.6, "prob_label": 0.3, "loss": 3 - i / 10}
            for i, f in enumerate(files)]
    tl = tmp_path / "top_losses.json"
    tl.write_text(json.dumps({"on": "all", "data": str(data), "classes": ["black", "grizzly", "teddy"], "top_losses": rows}))

    page = watched.page
    page.goto(site.url + "glossary/")
    page.wait_for_selector(".md-content")
    page.evaluate("window.__sameDocument = true")
    before = window_listeners(page)

    nav_to(page, "cleaner/")
    page.wait_for_selector("[data-widget=cleaner][data-mounted=yes]")
    open_list(page, tl)
    page.wait_for_selector(".cln[data-phase=list]")
    open_folder(page, data)
    page.wait_for_function(f"document.querySelectorAll('.cln-item img[data-photo=shown]').length === {len(files)}")
    thumbs = page.eval_on_selector_all(".cln-item img", "els => els.map((e) => e.src)")
    page.locator(".cln-item button[data-act=delete]").first.click()
    with page.expect_download() as dl:
        page.locator(".cln-export button", has_text="Download decisions.csv").click()
    download_url = dl.value.url
    assert download_url.startswith("blob:")
    while_mounted = window_listeners(page)
    key = page.evaluate("Object.keys(localStorage).find((k) => k.endsWith('/marks'))")
    # the widget's element and what it built inside: the widget keeps references to the latter
    page.evaluate("window.__old = document.querySelector('.cln'); window.__oldParts = [window.__old, ...window.__old.children]")
    assert page.evaluate("window.__oldParts.length") > 1

    nav_to(page, "glossary/")
    assert page.evaluate("window.__sameDocument === true")  # swapped in place, not reloaded
    page.wait_for_function("!window.__old.isConnected")
    page.wait_for_timeout(200)
    # mount.js empties a swapped-out widget's element (Material may keep the old page's DOM
    # alive); the parts it held stay as they were when the widget ended
    assert page.evaluate("window.__old.children.length") == 0
    parts_html = "window.__oldParts.map((e) => e.outerHTML).join('\\n')"
    left_html = page.evaluate(parts_html)
    after = window_listeners(page)
    assert after == before, f"window listeners while mounted {while_mounted}, before {before}, after leaving {after}"

    # object URLs: thumbnails and the download's, revoked (a revoked URL cannot be fetched)
    watched.allow_console_error(r"^Failed to load resource: net::ERR_FILE_NOT_FOUND$")
    alive = page.evaluate("""async (urls) => { const ok = [];
      for (const u of urls) { try { await (await fetch(u)).blob(); ok.push(u); } catch { } } return ok; }""",
                          thumbs + [download_url])
    assert alive == [], f"object URLs still alive after leaving: {alive}"

    # another tab changes the saved marks: the page that is gone does not react
    other = page.context.new_page()
    other.goto(site.url + "glossary/")
    other.evaluate("""(key) => { const v = JSON.parse(localStorage.getItem(key)); localStorage.setItem(key, JSON.stringify(v));
      localStorage.setItem(key, JSON.stringify({...v, savedAt: 'elsewhere'})); localStorage.removeItem(key); }""", key)
    other.close()
    page.wait_for_timeout(300)
    assert page.evaluate(parts_html) == left_html
    assert watched.unexpected_errors() == []
