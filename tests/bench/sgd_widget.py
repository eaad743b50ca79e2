"""Benchmark of the SGD page and widget, in headless Chromium (not part of the test pass).

    python -m tests.bench.sgd_widget [--runs 5] [--out runs/bench/sgd_widget.json]

Each run launches a fresh browser (cold HTTP and code caches; one discarded run
first fills the server's gzip cache, as a CDN has it), opens the SGD page
of the built site served from a sub-path with gzip (as GitHub Pages serves it),
then presses Play and reads the widget's performance marks. Printed per run and
as medians:

- bytes the page transfers before the widget starts (target: <= 300 KB), and after
- bytes the service worker fetches after the load event to keep the site for offline
  reading (precache + sw.js), on their own line, not in "before start": the run waits
  until they are in, and the server's hits are split by who asked (the page, or the
  worker: the page's request events do not show the worker's, its context's do).
  After start, the runtime is fetched by the page's Python worker; once the service
  worker is active that goes through it (it keeps a copy): counted in "after start",
  with the share that went through it on its own line
- time from pressing Play to the first animated frame (target: <= 0.5 s)
- time from pressing Play to Python ready (target: <= 3 s)

Reference measured in the same run: loading the same Pyodide package under Node.
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


def node_pyodide_load_ms() -> float:
    js = ('import { loadPyodide } from "pyodide"; const t = performance.now(); '
          'await loadPyodide(); console.log(performance.now() - t);')
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


def one_run(pw, site) -> dict:
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        page = browser.new_page()
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
        offline = page.evaluate("document.documentElement.dataset.offline")
        n, k = len(site.hits), len(worker_paths)
        before_page, before_worker = split_hits(site.hits[:n], worker_paths[:k])
        page.click(".linfit-play")
        page.wait_for_selector(f'{W}[data-python="ready"]', timeout=60000)
        page.wait_for_selector(f'{W}[data-source="python"][data-playing="false"]', timeout=60000)
        marks = page.evaluate("""() => Object.fromEntries(performance.getEntriesByType('mark')
            .filter(m => m.name.startsWith('linfit:')).map(m => [m.name, m.startTime]))""")
        after = site.hits[n:]  # the widget's runtime: fetched by the page, or through the worker, which keeps it
        _, after_worker = split_hits(after, worker_paths[k:])
        return {
            "bytes_before_start": sent(before_page),
            "raw_bytes_before_start": raw(before_page),
            "offline_state": offline,
            "precache_files": len(before_worker),
            "precache_bytes": sent(before_worker),
            "raw_precache_bytes": raw(before_worker),
            "bytes_after_start": sent(after),
            "raw_bytes_after_start": raw(after),
            "worker_bytes_after_start": sent(after_worker),
            "first_frame_ms": marks["linfit:first-frame"] - marks["linfit:start"],
            "python_ready_ms": marks["linfit:python-ready"] - marks["linfit:start"],
        }
    finally:
        browser.close()


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--out", default="runs/bench/sgd_widget.json")
    args = p.parse_args(argv)

    root = Path(tempfile.mkdtemp()) / "site"
    site, httpd = start_server(root)
    build_site(root, site_url=site.url)
    with sync_playwright() as pw:
        one_run(pw, site)  # discarded: fills the server's gzip cache (Pages serves compressed files from cache)
        runs = [one_run(pw, site) for _ in range(args.runs)]
    httpd.shutdown()
    node_ms = [node_pyodide_load_ms() for _ in range(3)]

    med = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k != "offline_state"}
    result = {"runs": runs, "median": med, "node_pyodide_load_ms": node_ms,
              "ratio_python_ready_to_node_load": med["python_ready_ms"] / statistics.median(node_ms),
              "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    rows = [
        ("page bytes before start (gzip)", f"{med['bytes_before_start'] / 1000:.0f} KB", "<= 300 KB",
         med["bytes_before_start"] <= 300_000),
        ("page bytes before start (raw)", f"{med['raw_bytes_before_start'] / 1000:.0f} KB", "", None),
        ("precache for offline (after load, gzip)", f"{med['precache_bytes'] / 1000:.0f} KB", "", None),
        ("precache for offline (after load, raw)",
         f"{med['raw_precache_bytes'] / 1000:.0f} KB", f"{med['precache_files']:.0f} files", None),
        ("bytes after start (gzip)", f"{med['bytes_after_start'] / 1e6:.2f} MB", "", None),
        ("bytes after start (raw)", f"{med['raw_bytes_after_start'] / 1e6:.2f} MB", "", None),
        ("  of which through the service worker", f"{med['worker_bytes_after_start'] / 1e6:.2f} MB", "(kept)", None),
        ("Play -> first animated frame", f"{med['first_frame_ms']:.0f} ms", "<= 500 ms", med["first_frame_ms"] <= 500),
        ("Play -> Python ready", f"{med['python_ready_ms']:.0f} ms", "<= 3000 ms", med["python_ready_ms"] <= 3000),
        ("Pyodide load under Node (reference)", f"{statistics.median(node_ms):.0f} ms", "", None),
        ("ratio browser ready / Node load", f"{result['ratio_python_ready_to_node_load']:.2f}", "", None),
    ]
    print(f"SGD widget, median of {args.runs} cold runs (offline copy: {', '.join(sorted({r['offline_state'] for r in runs}))})")
    for name, value, target, ok in rows:
        print(f"  {name:<38} {value:>10}  {target:<11} {'' if ok is None else ('met' if ok else 'NOT met')}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
