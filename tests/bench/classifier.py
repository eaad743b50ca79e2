"""Benchmark of the in-browser bear classifier (not part of the test pass).

    python -m tests.bench.classifier [--runs 60] [--cold 3] [--out runs/bench/classifier.json]

Builds the site, serves it from a sub-path with gzip (as GitHub Pages does), and
measures in headless Chromium, next to native ONNX Runtime (Python, one thread)
on the same model files and the same real photo, in the same run:

- session-create time in the browser (model bytes -> ready session), per variant: the
  first one in a fresh browser (includes initialising the wasm runtime) and a second one
- inference latency p50/p90 over `runs` single-image runs, fp32 and int8, browser
  (onnxruntime-web, wasm, 1 thread: no cross-origin isolation) and native; the ratio
- cold first use: a fresh browser opens the page, the photo is given through the
  file picker; time until the result shows, and the bytes the server sent for it

Targets (issue 4): browser p50 <= 20 ms and <= 3x native; first result <= 1.5 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from export.measure import latency, percentile
from export.parity import run_onnx, session
from export.pixels import load_pixels
from tests.support import CHROMIUM, CHROMIUM_ARGS, ROOT, build_site, start_server
from tests.test_classifier_browser import serve_isolated
from training import paths

MODELS = ROOT / "docs" / "assets" / "models"
BEARS = Path(paths.BEARS)
TARGET_P50_MS, TARGET_RATIO, TARGET_FIRST_S = 20.0, 3.0, 1.5

BROWSER_LATENCY = """async ([variant, data, runs, warmup]) => {
  const siteRoot = new URL("../", location.href);
  const rt = await import(new URL("assets/widgets/classifier/runtime.js", siteRoot).href);
  const model = await rt.loadModel({ siteRoot, manifestUrl: new URL("assets/models/bears.json", siteRoot), variant });
  const input = Float32Array.from(data);
  const times = [];
  let probs = null;
  for (let i = 0; i < warmup + runs; i++) {
    const r = await rt.classify(model, input);
    if (i >= warmup) times.push(r.ms);
    probs = Array.from(r.probs);
  }
  await model.session.release();
  // Again, now that the wasm runtime is initialised and the files are cached: create alone.
  const again = await rt.loadModel({ siteRoot, manifestUrl: new URL("assets/models/bears.json", siteRoot), variant });
  await again.session.release();
  return { timings: model.timings, warm: again.timings, threads: model.threads, times, probs };
}"""


def photo() -> Path:
    path = sorted((BEARS / "grizzly").glob("*.jpg"))[0]
    if not path.exists():
        raise SystemExit(f"no photos at {BEARS} (set LESSON2_BEARS)")
    return path


def browser_latency(pw, url: str, variant: str, pixels, runs: int) -> dict:
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        page = browser.new_page()
        page.goto(url + "production/")
        out = page.evaluate(BROWSER_LATENCY, [variant, pixels.ravel().tolist(), runs, 5])
    finally:
        browser.close()
    t = out["times"]
    return {"runs": len(t), "threads": out["threads"], "p50_ms": percentile(t, 50), "p90_ms": percentile(t, 90),
            "min_ms": min(t), "session_create_ms": out["timings"]["session_create_ms"],
            "session_create_warm_ms": out["warm"]["session_create_ms"],
            "model_ready_ms": out["timings"]["total_ms"], "probs": out["probs"]}


def cold_first_use(pw, site, path: Path) -> dict:
    """Fresh browser (cold HTTP and code caches), page open, then the reader gives a photo."""
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        page = browser.new_page()
        page.goto(site.url + "production/", wait_until="networkidle")
        page.wait_for_selector("[data-widget=classifier][data-mounted=yes]")
        n = len(site.hits)
        t0 = time.perf_counter()
        page.set_input_files("input.clf-file", str(path))
        page.wait_for_function("document.querySelector('.clf').dataset.runs === '1'", timeout=120_000)
        wall = time.perf_counter() - t0
        state = page.evaluate("""() => { const el = document.querySelector('.clf');
          return { phase: el.dataset.phase, top: el.dataset.top, variant: el.dataset.variant,
                   total: +el.querySelector('.clf-result').dataset.totalMs, model: +el.dataset.modelMs }; }""")
        page.wait_for_timeout(300)
        hits = site.hits[n:]
    finally:
        browser.close()
    if state["phase"] != "done":
        raise RuntimeError(f"cold run did not classify: {state}")
    return {"wall_s": wall, "in_page_s": state["total"] / 1000, "model_ready_s": state["model"] / 1000,
            "top": state["top"], "variant": state["variant"],
            "bytes_sent": sum(h.sent_bytes for h in hits), "bytes_raw": sum(h.raw_bytes for h in hits),
            "files": {h.path.rsplit("/", 1)[-1]: h.sent_bytes for h in hits}}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=60, help="timed single-image runs per variant (>= 50)")
    p.add_argument("--cold", type=int, default=3, help="cold first-use repetitions (median reported)")
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "bench" / "classifier.json")
    args = p.parse_args(argv)

    manifest = json.loads((MODELS / "bears.json").read_text())
    img = photo()
    pixels = load_pixels([img], manifest["preprocess"])
    with tempfile.TemporaryDirectory() as tmp:
        site, httpd = start_server(build_site(Path(tmp) / "site"))
        results = {"photo": img.name, "default_variant": manifest["default"], "variants": {}, "cold": []}
        with sync_playwright() as pw:
            cold_first_use(pw, site, img)  # discarded: fills the server's gzip path and the OS file cache
            for name, v in manifest["variants"].items():
                path = MODELS / v["model"]
                # Native runs the file with the same session config the page uses (the manifest's).
                config = v.get("session_config")
                native = latency(path, pixels, runs=args.runs, threads=1, config=config)
                web = browser_latency(pw, site.url, name, pixels, args.runs)
                native_probs = run_onnx(session(path, config=config), pixels)[0].tolist()
                if config:  # ...and, for reference, with its fused int8 kernels
                    native_fused = latency(path, pixels, runs=args.runs, threads=1)
                results["variants"][name] = {
                    "session_config": config,
                    "native_fused_int8_kernels": native_fused if config else None,
                    "bytes": v["bytes"], "valid_accuracy": v.get("valid_accuracy"),
                    "native": native, "browser": {k: x for k, x in web.items() if k != "probs"},
                    "ratio_p50": web["p50_ms"] / native["p50_ms"],
                    "max_prob_diff_browser_vs_native": max(abs(a - b) for a, b in zip(web["probs"], native_probs)),
                }
            for _ in range(args.cold):
                results["cold"].append(cold_first_use(pw, site, img))
            # Where the host sends COOP/COEP (not GitHub Pages), the page may use threads.
            url, iso = serve_isolated(site.root)
            name = manifest["default"]
            v = manifest["variants"][name]
            web = browser_latency(pw, url, name, pixels, args.runs)
            native = latency(MODELS / v["model"], pixels, runs=args.runs, threads=web["threads"],
                             config=v.get("session_config"))
            results["isolated"] = {"variant": name, "threads": web["threads"], "native": native,
                                   "browser": {k: x for k, x in web.items() if k != "probs"},
                                   "ratio_p50": web["p50_ms"] / native["p50_ms"]}
            iso.shutdown()
        httpd.shutdown()

    cold = results["cold"]
    results["cold_median"] = {k: statistics.median(c[k] for c in cold) for k in ("wall_s", "in_page_s", "bytes_sent", "bytes_raw")}
    d = results["variants"][manifest["default"]]
    results["targets"] = {
        "browser_p50_ms<=20": [d["browser"]["p50_ms"], d["browser"]["p50_ms"] <= TARGET_P50_MS],
        "ratio_to_native<=3": [d["ratio_p50"], d["ratio_p50"] <= TARGET_RATIO],
        "first_result_s<=1.5": [results["cold_median"]["wall_s"], results["cold_median"]["wall_s"] <= TARGET_FIRST_S],
    }
    print_table(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return results


def print_table(r: dict) -> None:
    print(f"\nclassifier benchmark (photo {r['photo']}; browser: headless Chromium, onnxruntime-web wasm)")
    print(f"{'variant':8} {'MB':>5} {'valid acc':>9} {'create ms':>11} {'web p50':>8} {'web p90':>8} "
          f"{'native p50':>10} {'native p90':>10} {'ratio':>6} {'max |dp|':>9}")
    for name, v in r["variants"].items():
        b, n = v["browser"], v["native"]
        acc = f"{100 * v['valid_accuracy']:.2f}%" if v["valid_accuracy"] is not None else "-"
        print(f"{name:8} {v['bytes'] / 1e6:5.2f} {acc:>9} {b['session_create_ms']:5.0f}/{b['session_create_warm_ms']:<5.0f} {b['p50_ms']:8.1f} {b['p90_ms']:8.1f} "
              f"{n['p50_ms']:10.2f} {n['p90_ms']:10.2f} {v['ratio_p50']:5.1f}x {v['max_prob_diff_browser_vs_native']:9.1e}")
    print("(create ms: first in a fresh browser, incl. wasm runtime start / again with the runtime warm; "
          "ratio = browser p50 / native p50, native running the file with the manifest's session config)")
    for name, v in r["variants"].items():
        if v.get("native_fused_int8_kernels"):
            f = v["native_fused_int8_kernels"]
            print(f"{name}: native with fused int8 kernels (the CPU default): p50 {f['p50_ms']:.2f} ms, "
                  f"p90 {f['p90_ms']:.2f} ms; browser/native-fused {v['browser']['p50_ms'] / f['p50_ms']:.1f}x")
    i = r["isolated"]
    print(f"{i['variant']}, cross-origin isolated page ({i['threads']} threads): browser p50 {i['browser']['p50_ms']:.1f} ms, "
          f"p90 {i['browser']['p90_ms']:.1f} ms; native {i['threads']} threads p50 {i['native']['p50_ms']:.2f} ms; "
          f"ratio {i['ratio_p50']:.1f}x")
    c = r["cold_median"]
    print(f"cold first use (default {r['default_variant']}, median of {len(r['cold'])}): first result {c['wall_s']:.2f} s "
          f"after giving the photo (in-page {c['in_page_s']:.2f} s); transferred {c['bytes_sent'] / 1e6:.2f} MB "
          f"({c['bytes_raw'] / 1e6:.2f} MB before gzip)")
    for k, (val, ok) in r["targets"].items():
        print(f"  target {k:22} {val:8.2f}  {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
