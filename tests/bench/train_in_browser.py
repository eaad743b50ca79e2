"""Benchmark: the "Train your own in the browser" page on every real bear photo (not a test).

    python -m tests.bench.train_in_browser [--out runs/bench/train_in_browser.json] [--bears DIR]

Builds the site, puts the production network with its feature output in place of the
committed model (tests/trainer_body.py from_committed: the committed weights, or the
published model itself once it has the output), serves it cross-origin isolated (the headers
the site's service worker adds, so the page gets several threads) and, in headless Chromium,
opens the bears folder (black/, grizzly/, teddy/; the project's split, seed 42), waits for
the activations and the learning-rate finder, then trains the head with the defaults. From
the page: photos_train, photos_valid, valid_accuracy, features_per_s (decode, crop and the
body, photos per second with the threads the page got), head_fit_s (the one-cycle fit, lr
finder excluded), lrfind_s, oof_s, longest_task_ms (the longest main-thread task, from a
PerformanceObserver; the page's own load excluded, longest_task_ms_by_step says where each
was), uploads (requests that carried anything of the reader's: must be 0).

The Python pipeline on the same machine in the same run, for comparison: the same ONNX file
in native ONNX Runtime with the same threads on the same photos (PIL decode and crop,
export/pixels.py) -> python_features_per_s; PyTorch's head fit (training/bears/loop.py,
same settings) on the page's own activations -> python_head_fit_s, python_valid_accuracy.

Targets (issue 11): valid_accuracy >= 0.95, features_per_s >= 10, head_fit_s <= 2,
longest_task_ms <= 200, uploads == 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from tests.support import CHROMIUM, CHROMIUM_ARGS, ISOLATION, ROOT, build_site, start_server
from tests.test_trainer_page import cached_features
from tests.trainer_body import from_committed
from training.paths import BEARS

# Main-thread tasks over 50 ms, and what the page was doing when each began (the trainer's data-busy;
# "after X": drawing X's results, once X is done).
LONG_TASKS = """window.__tasks = []; window.__phases = [[0, "page load"]];
new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__tasks.push([e.startTime, e.duration]); })
  .observe({ type: "longtask", buffered: true });
new MutationObserver(() => { const t = document.querySelector(".trn"); const last = window.__phases.at(-1)[1];
  const b = (t && t.dataset.busy) || (/^(after |page load|photos given)/.test(last) ? last : `after ${last}`);
  if (last !== b) window.__phases.push([performance.now(), b]); })
  .observe(document, { subtree: true, attributes: true, attributeFilter: ["data-busy"] });"""
WAIT = 1_800_000


def site_with_body(tmp: Path):
    """The built site with the feature-output body, served isolated -> (server, httpd, manifest)."""
    root = tmp / "site"
    server, httpd = start_server(root, headers=ISOLATION)
    build_site(root, site_url=server.url)
    path = from_committed(tmp / "models")
    for f in path.parent.iterdir():
        shutil.copy(f, root / "assets" / "models" / f.name)
    return server, httpd, json.loads(path.read_text())


def uploads(requests: list, origin: str) -> list[str]:
    return [f"{r.method} {r.url}" for r in requests
            if r.method != "GET" or r.post_data or not (r.url.startswith(origin) or r.url.startswith(("blob:", "data:")))]


def long_tasks(got) -> dict:
    """The longest main-thread task, and the longest per step of the page (where it began)."""
    tasks, phases = got
    per = {}
    for start, ms in tasks:
        phase = [name for t, name in phases if t <= start][-1]
        per[phase] = max(per.get(phase, 0), round(ms))
    given = next(t for t, name in phases if name == "photos given")
    return {"longest_task_ms": max((ms for start, ms in tasks if start >= given), default=0),
            "longest_task_ms_by_step": per}


def in_browser(server, manifest: dict, bears: Path) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ctx = browser.new_context(service_workers="block", accept_downloads=True)
        requests = []
        ctx.on("request", lambda r: requests.append(r))
        ctx.add_init_script(LONG_TASKS)
        page = ctx.new_page()
        page.goto(server.url + "train-in-browser/")
        page.wait_for_selector("[data-widget=trainer][data-mounted=yes]")
        page.evaluate("window.__phases.push([performance.now(), 'photos given'])")  # page load is not the trainer's
        t0 = time.perf_counter()
        page.set_input_files("input[webkitdirectory]", str(bears))
        page.wait_for_selector("section[data-step=lrfind][data-suggested]", timeout=WAIT)
        page.wait_for_function("() => document.querySelector('.trn').dataset.busy === ''")
        to_lr = time.perf_counter() - t0
        ext = page.eval_on_selector("section[data-step=activations]", "e => ({...e.dataset})")
        t1 = time.perf_counter()
        page.click("section[data-step=fit] button.md-button--primary")
        page.wait_for_selector("section[data-step=clean][data-ranked=true]", timeout=WAIT)
        page.wait_for_function("() => document.querySelector('.trn').dataset.busy === ''")
        fit_and_oof = time.perf_counter() - t1
        page.wait_for_timeout(1000)  # the last drawing; what follows (downloads, reading the cache) is the bench's
        tasks = long_tasks(page.evaluate("[window.__tasks, window.__phases]"))
        with page.expect_download() as d:
            page.click("section[data-step=use] button:has-text('Download run.json')")
        run = json.loads(Path(d.value.path()).read_text())
        shas = {p["file"]: p["sha256"] for p in run["photos"]}
        feats = cached_features(page, manifest, shas)
        out = {
            "threads": int(ext["threads"]), "cross_origin_isolated": page.evaluate("crossOriginIsolated"),
            "photos_train": run["split"]["train"], "photos_valid": run["split"]["valid"],
            "valid_accuracy": run["metrics"]["accuracy"], "features_computed": int(ext["computed"]),
            "features_cached": int(ext["cached"]), "features_s": int(ext["ms"]) / 1000,
            "features_per_s": int(ext["computed"]) / (int(ext["ms"]) / 1000),
            "head_fit_s": run["fit"]["seconds"], "fit": {k: run["fit"][k] for k in ("epochs", "max_lr", "bs", "dropout", "wd")},
            "bring_to_lrfind_s": to_lr, "fit_and_oof_wall_s": fit_and_oof,
            **tasks,
            "uploads": len(uploads(requests, server.url)),
        }
        browser.close()
    return out, run, feats


def python_pipeline(manifest: dict, models: Path, bears: Path, run: dict, feats: dict, threads: int) -> dict:
    import onnxruntime as ort
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from export.pixels import load_pixels
    from training.bears.loop import fit_one_cycle
    from training.bears.model import new_head

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    sess = ort.InferenceSession(str(models / manifest["variants"][manifest["default"]]["model"]), opts)
    files = [bears / p["file"] for p in run["photos"]]
    t0 = time.perf_counter()
    for i in range(0, len(files), 4):  # the page's batch
        sess.run([manifest["features"]["name"]], {manifest["input"]["name"]: load_pixels(files[i:i + 4], manifest["preprocess"])})
    feat_s = time.perf_counter() - t0
    x = torch.from_numpy(np.stack([feats[p["file"]] for p in run["photos"]]))
    y = torch.tensor([run["labels"].index(p["label"]) for p in run["photos"]])
    tr = [i for i, p in enumerate(run["photos"]) if p["split"] == "train"]
    va = [i for i, p in enumerate(run["photos"]) if p["split"] == "valid"]
    f = run["fit"]
    torch.manual_seed(42)
    torch.set_num_threads(threads)
    head = new_head(x.shape[1], len(run["labels"]), p=f["dropout"])
    hist = {"batches": [], "epochs": []}
    t1 = time.perf_counter()
    fit_one_cycle(head, [list(head.parameters())], [f["max_lr"]], f["epochs"],
                  DataLoader(TensorDataset(x[tr], y[tr]), batch_size=f["bs"], shuffle=True, generator=torch.Generator().manual_seed(42)),
                  DataLoader(TensorDataset(x[va], y[va]), batch_size=256), "frozen", hist, wd=f["wd"], progress=False)
    return {"python_features_per_s": len(files) / feat_s, "python_head_fit_s": time.perf_counter() - t1,
            "python_valid_accuracy": hist["epochs"][-1]["accuracy"], "python_threads": threads}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "bench" / "train_in_browser.json")
    p.add_argument("--bears", type=Path, default=Path(BEARS), help="label folders of photos (default $LESSON2_BEARS)")
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        server, httpd, manifest = site_with_body(Path(tmp))
        try:
            page, run, feats = in_browser(server, manifest, a.bears)
        finally:
            httpd.shutdown()
        py = python_pipeline(manifest, Path(tmp) / "models", a.bears, run, feats, page["threads"])
    out = {**page, **py, "cpu_count": os.cpu_count(), "body": manifest.get("dev") or manifest["model"],
           "targets": {"valid_accuracy": ">= 0.95", "features_per_s": ">= 10", "head_fit_s": "<= 2",
                       "longest_task_ms": "<= 200", "uploads": "== 0"}}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
