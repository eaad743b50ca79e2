"""Benchmark of the SGD page and widget, in headless Chromium (not part of the test pass).

    python -m tests.bench.sgd_widget [--runs 5] [--dwell 5] [--out runs/bench/sgd_widget.json]

Python starts loading when the reader approaches the widget (it comes within a screen of
the view, or the pointer or focus enters it), not before. Each run launches a fresh browser
(cold HTTP and code caches; one discarded run first fills the server's gzip cache, as a CDN
has it), opens the SGD page of the built site at its top, served from a sub-path with gzip
(as GitHub Pages serves it), and waits until the page has loaded and the service worker has
saved the site for offline reading. Two kinds of run, alternating:

- cold: the reader scrolls to the widget and presses Play at once (Python starts loading then);
- warm: the reader scrolls to the widget, reads for --dwell seconds, then presses Play.

Reported, as medians with the spread [min-max] over runs:

- bytes the page transfers before the reader approaches the widget (target: <= 300 KB),
  and that none of them is Pyodide's; bytes after
- bytes the service worker fetches after the load event to keep the site for offline
  reading (precache + sw.js), on their own line: the run waits until they are in, and the
  server's hits are split by who asked (the page, or the worker: the page's request events
  do not show the worker's, its context's do). The runtime is fetched by the page's Python
  worker, through the service worker (it keeps a copy): counted in "after", with the share
  that went through it on its own line
- Play -> first animated frame (target: <= 0.5 s)
- cold Play -> Python ready (target: <= 1.2 x Node's loadPyodide), and where that time went
  (the worker's own timings: its script, the runtime's files, loadPyodide, the sandbox)
- warm Play -> Python ready (target: <= 1 s; 0 when Python was ready before Play)

Reference measured in the same run, between the browser runs: loading the Pyodide package
under Node, as npm ships it (the reference of the target), and with the standard library
the site serves (its start-up modules compiled: site_widgets/linfit/mkdocs_stdlib.py).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

from playwright.sync_api import sync_playwright

from tests.support import CHROMIUM, CHROMIUM_ARGS, ROOT, build_site, start_server

W = '[data-widget="linfit"]'
PYODIDE = "/assets/vendor/pyodide/"


def node_pyodide_load_ms(stdlib: Path | None = None) -> float:
    opts = json.dumps({"stdLibURL": str(stdlib)} if stdlib else {})
    js = ('import { loadPyodide } from "pyodide"; const t = performance.now(); '
          f'await loadPyodide({opts}); console.log(performance.now() - t);')
    out = subprocess.run(["node", "--input-type=module", "-e", js], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def split_hits(hits, worker_paths):
    """Server hits -> (the page's, the service worker's); the worker's are known by path
    (a path the worker fetched twice takes two hits; both copies have the same size)."""
    left = Counter(worker_paths)
    page, worker = [], []
    for h in hits:
        if left[h.path] > 0:
            left[h.path] -= 1
            worker.append(h)
        else:
            page.append(h)
    return page, worker


def sent(hits) -> int:
    return sum(h.sent_bytes for h in hits)


def raw(hits) -> int:
    return sum(h.raw_bytes for h in hits)


MARKS = """() => Object.fromEntries(performance.getEntriesByType('mark').filter(m => m.name.startsWith('linfit:'))
    .map(m => [m.name, {t: performance.timeOrigin + m.startTime, detail: m.detail}]))"""


def breakdown(marks: dict) -> dict:
    """The worker's start-up, in ms after Play (epoch times from the worker, the page's marks)."""
    play = marks["linfit:start"]["t"]
    detail = marks["linfit:python-ready"]["detail"] or {}
    out = {f"worker {k}": v - play for k, v in detail.get("phases", {}).items()}
    out.update({f"fetched {k}": v[1] - play for k, v in detail.get("fetches", {}).items()})
    return out


def load_page(browser, site):
    """sgd/ at its top, loaded, the offline copy saved; returns (page, worker_paths, offline state)."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    worker_paths = []  # requests of the service worker: not page events, context events
    page.context.on("request", lambda r: r.service_worker and worker_paths.append(unquote(urlsplit(r.url).path)))
    site.clear()
    page.goto(site.url + "sgd/", wait_until="networkidle")
    page.wait_for_selector(f'{W}[data-mounted="yes"]')
    page.wait_for_load_state("networkidle")
    # Saving the site for offline reading starts after the load event; let it finish so it
    # is measured (on its own line) and does not run into the Play timings.
    page.wait_for_function("['ready', 'partial', 'failed', 'unavailable']"
                           ".includes(document.documentElement.dataset.offline)", timeout=120000)
    return page, worker_paths, page.evaluate("document.documentElement.dataset.offline")


def one_run(pw, site, dwell_s: float | None) -> dict:
    """dwell_s None: a cold run (approach and Play at once); else Play dwell_s after approaching."""
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        page, worker_paths, offline = load_page(browser, site)
        n, k = len(site.hits), len(worker_paths)
        before_page, before_worker = split_hits(site.hits[:n], worker_paths[:k])
        early = page.get_attribute(W, "data-python")  # None: Python not asked for yet
        if dwell_s is not None:
            page.locator(W).scroll_into_view_if_needed()
            page.wait_for_timeout(dwell_s * 1000)
        page.click(".linfit-play")  # scrolls the widget into view first, then presses
        page.wait_for_selector(f'{W}[data-python="ready"]', timeout=60000)
        page.wait_for_selector(f'{W}[data-source="python"][data-playing="false"]', timeout=60000)
        marks = page.evaluate(MARKS)
        after = site.hits[n:]
        _, after_worker = split_hits(after, worker_paths[k:])
        ready = marks["linfit:python-ready"]["t"] - marks["linfit:start"]["t"]
        marks.setdefault("linfit:approach", marks["linfit:start"])  # Play itself was the approach
        return {
            "kind": "cold" if dwell_s is None else "warm",
            "python_before_approach": early,
            "pyodide_bytes_before_approach": sent(h for h in before_page if PYODIDE in h.path),
            "bytes_before_approach": sent(before_page),
            "raw_bytes_before_approach": raw(before_page),
            "offline_state": offline,
            "precache_files": len(before_worker),
            "precache_bytes": sent(before_worker),
            "raw_precache_bytes": raw(before_worker),
            "bytes_after": sent(after),
            "raw_bytes_after": raw(after),
            "worker_bytes_after": sent(after_worker),
            "first_frame_ms": marks["linfit:first-frame"]["t"] - marks["linfit:start"]["t"],
            "python_ready_ms": max(0.0, ready),
            "approach_to_ready_ms": marks["linfit:python-ready"]["t"] - marks["linfit:approach"]["t"],
            "approach_before_play_ms": marks["linfit:start"]["t"] - marks["linfit:approach"]["t"],
            "breakdown": breakdown(marks),
        }
    finally:
        browser.close()


def stats(values) -> dict:
    values = list(values)
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def spread(s: dict, scale: float = 1, unit: str = "ms", digits: int = 0) -> str:
    f = lambda v: f"{v / scale:.{digits}f}"  # noqa: E731
    return f"{f(s['median'])} {unit} [{f(s['min'])}-{f(s['max'])}]"


def summarise(cold, warm, node_stock, node_site, dwell) -> tuple[dict, list]:
    both = cold + warm
    S = {k: stats(r[k] for r in both) for k in ("bytes_before_approach", "raw_bytes_before_approach",
                                               "precache_bytes", "bytes_after", "raw_bytes_after",
                                               "worker_bytes_after", "first_frame_ms")}
    S["cold_ready_ms"] = stats(r["python_ready_ms"] for r in cold)
    S["warm_ready_ms"] = stats(r["python_ready_ms"] for r in warm)
    S["warm_approach_to_ready_ms"] = stats(r["approach_to_ready_ms"] for r in warm)
    S["node_stock_ms"], S["node_site_ms"] = stats(node_stock), stats(node_site)
    ratio = S["cold_ready_ms"]["median"] / S["node_stock_ms"]["median"]
    early = sorted({str(r["python_before_approach"]) for r in both} | {str(r["pyodide_bytes_before_approach"]) for r in both})
    rows = [
        ("page bytes before approach (gzip)", spread(S["bytes_before_approach"], 1000, "KB"), "<= 300 KB",
         S["bytes_before_approach"]["max"] <= 300_000),
        ("  of which Pyodide / Python state", " / ".join(early), "0 / None", early == ["0", "None"]),
        ("page bytes before approach (raw)", spread(S["raw_bytes_before_approach"], 1000, "KB"), "", None),
        ("precache for offline (after load, gzip)", spread(S["precache_bytes"], 1000, "KB"), "", None),
        ("bytes after approach (gzip)", spread(S["bytes_after"], 1e6, "MB", 2), "", None),
        ("bytes after approach (raw)", spread(S["raw_bytes_after"], 1e6, "MB", 2), "", None),
        ("  of which through the service worker", spread(S["worker_bytes_after"], 1e6, "MB", 2), "(kept)", None),
        ("Play -> first animated frame", spread(S["first_frame_ms"]), "<= 500 ms", S["first_frame_ms"]["median"] <= 500),
        ("cold Play -> Python ready", spread(S["cold_ready_ms"]), "<= 1.2 x Node", ratio <= 1.2),
        (f"warm Play ({dwell:g} s after approach) -> ready", spread(S["warm_ready_ms"]), "<= 1000 ms",
         S["warm_ready_ms"]["median"] <= 1000),
        ("  warm: approach -> ready (background)", spread(S["warm_approach_to_ready_ms"]), "", None),
        ("Node loadPyodide, npm's stdlib (reference)", spread(S["node_stock_ms"]), "", None),
        ("Node loadPyodide, the site's stdlib", spread(S["node_site_ms"]), "", None),
        ("ratio cold ready / Node reference", f"{ratio:.2f}", "<= 1.2", ratio <= 1.2),
    ]
    return S, rows


def print_breakdown(cold) -> None:
    keys = sorted({k for r in cold for k in r["breakdown"]}, key=lambda k: statistics.median(
        r["breakdown"][k] for r in cold if k in r["breakdown"]))
    print("  cold start, ms after Play (median [min-max]):")
    for k in keys:
        print(f"    {k:<36} {spread(stats(r['breakdown'][k] for r in cold if k in r['breakdown']))}")


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5, help="runs of each kind (default %(default)s)")
    p.add_argument("--dwell", type=float, default=5.0, help="seconds between approach and Play in warm runs")
    p.add_argument("--out", default="runs/bench/sgd_widget.json")
    args = p.parse_args(argv)

    root = Path(tempfile.mkdtemp()) / "site"
    site, httpd = start_server(root)
    build_site(root, site_url=site.url)
    site_stdlib = root / "assets/vendor/pyodide/python_stdlib.zip"
    cold, warm, node_stock, node_site = [], [], [], []
    with sync_playwright() as pw:
        one_run(pw, site, None)  # discarded: fills the server's gzip cache (Pages serves compressed files from cache)
        for _ in range(args.runs):
            cold.append(one_run(pw, site, None))
            node_stock.append(node_pyodide_load_ms())
            warm.append(one_run(pw, site, args.dwell))
            node_site.append(node_pyodide_load_ms(site_stdlib))
    httpd.shutdown()

    S, rows = summarise(cold, warm, node_stock, node_site, args.dwell)
    result = {"cold": cold, "warm": warm, "node_stock_ms": node_stock, "node_site_ms": node_site, "summary": S,
              "dwell_s": args.dwell, "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    offline = ", ".join(sorted({r["offline_state"] for r in cold + warm}))
    print(f"SGD widget, {args.runs} cold and {args.runs} warm runs, median [min-max] (offline copy: {offline})")
    for name, value, target, ok in rows:
        print(f"  {name:<42} {value:>26}  {target:<14} {'' if ok is None else ('met' if ok else 'NOT met')}")
    print_breakdown(cold)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
