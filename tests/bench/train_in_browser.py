"""Benchmark: the "Train your own in the browser" page on every real bear photo (not a test).

    python -m tests.bench.train_in_browser [--out runs/bench/train_in_browser.json] [--bears DIR] [--photos 2000]
                                           [--threads 2]

Builds the site, puts the production network with its feature output in place of the
committed model (tests/trainer_body.py from_committed: the committed weights, or the
published model itself once it has the output), serves it cross-origin isolated (the headers
the site's service worker adds, so the page gets several threads) and, in headless Chromium,
opens the bears folder (black/, grizzly/, teddy/; the project's split, seed 42), waits for
the activations and the learning-rate finder, then trains the head with the defaults. From
the page: photos_train, photos_valid, valid_accuracy, features_per_s (decode, crop and the
body, photos per second with the threads the page got), head_fit_s (the one-cycle fit, lr
finder excluded), bring_to_lrfind_s, fit_and_oof_wall_s, longest_task_ms (the longest main-thread task, from a
PerformanceObserver; the page's own load excluded, longest_task_ms_by_step says where each
was), uploads (requests that carried anything of the reader's: must be 0).

The Python pipeline on the same machine in the same run, for comparison: the same ONNX file
in native ONNX Runtime with the same threads on the same photos (PIL decode and crop,
export/pixels.py) -> python_features_per_s; PyTorch's head fit (training/bears/loop.py,
same settings) on the page's own activations -> python_head_fit_s, python_valid_accuracy.

Where the activations' time goes (the machine is shared, so wall times are noisy):
- features_profile: the page's own breakdown (extract.js): decode and resize in the decoding
  worker, the body's session.run, round trips, the body waiting for crops, IndexedDB; ms per photo
- features_cpu_ms_per_photo: CPU time per renderer thread from /proc while the photos were read and their
  activations computed (utime + stime: other processes' slices are not in it), grouped as
  main thread / each Web Worker / Chromium's thread pool (where createImageBitmap decodes) /
  other, in ms per photo computed; features_per_s_cpu_bound: the rate if the busiest thread
  (the body's) had a core of its own, i.e. what an idle machine with enough cores would give
- --threads N runs the body on N threads instead of the page's choice (one on two cores):
  compare features_cpu_ms_per_photo (the body's worker and its pthreads) and the rates
- python_*: the same for native ONNX Runtime (PIL pixels and session.run timed apart, wall
  and CPU), on the same photos with the same threads; also on 1 thread
- load_average at the start and end of the browser part
Memory: peak_tab_memory_mb, the tab's renderer process at its largest (resident set, sampled
every half second). --photos 2000 tops the photos up to the page's limit with re-encoded
copies (each its own content, so all but the bear folder's few exact copies are computed) to show that 2,000 fit.
Long tasks: besides the longest main-thread task (longtask API), the long animation frames'
script attribution says whose they were: longest_script_ms is the longest run of the
site's own code (an event handler, a callback), longest_task_attribution what ran in the
frame of the longest task (the time outside any script is Chromium's own work: with a folder
of 700 files, building the file list before the change event fires).

Targets (issue 11): valid_accuracy >= 0.95, features_per_s >= 10, head_fit_s <= 2,
longest_task_ms <= 200, uploads == 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import threading
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
window.__frames = [];
new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__frames.push({ start: e.startTime, ms: e.duration,
  render: e.renderStart,
  scripts: e.scripts.map((x) => ({ invoker: x.invoker, source: x.sourceURL, start: x.startTime, ms: x.duration })) }); })
  .observe({ type: "long-animation-frame", buffered: true });
new MutationObserver(() => { const t = document.querySelector(".trn"); const last = window.__phases.at(-1)[1];
  const b = (t && t.dataset.busy) || (/^(after |page load|photos given)/.test(last) ? last : `after ${last}`);
  if (last !== b) window.__phases.push([performance.now(), b]); })
  .observe(document, { subtree: true, attributes: true, attributeFilter: ["data-busy"] });"""
WAIT = 1_800_000
NATIVE_PHOTOS = 700  # the native reference's photos at most (enough for a rate; --photos 2000 need not triple it)


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


def attribution(task: tuple, frames: list, origin: str) -> dict | None:
    """What ran in the long animation frame holding `task` (start, ms): the scripts (the site's
    carry its path), the rendering, and the time outside any script (Chromium's own work)."""
    start, ms = task
    frame = next((f for f in frames if f["start"] <= start + 1 and start + ms <= f["start"] + f["ms"] + 1), None)
    if not frame:
        return None
    scripts = [{"invoker": x["invoker"], "source": x["source"].replace(origin, "") or "(none)", "ms": round(x["ms"])}
               for x in frame["scripts"]]
    rendering = frame["start"] + frame["ms"] - frame["render"] if frame["render"] else 0
    return {"task_ms": round(ms), "frame_ms": round(frame["ms"]), "scripts": scripts, "rendering_ms": round(rendering),
            "outside_scripts_ms": round(max(0, ms - sum(x["ms"] for x in frame["scripts"])))}


def long_tasks(got, origin: str) -> dict:
    """The longest main-thread task, the longest per step of the page (where it began), and
    whose work they were (long animation frames' script attribution; the page's load excluded).
    file_input_task: the longest task between handing the files to the input and the page's
    reading them (Chromium building the FileList; the page's change handler is its one script)."""
    tasks, phases, frames = got
    given = next(t for t, name in phases if name == "photos given")
    step = lambda start: [name for t, name in phases if t <= start][-1]  # noqa: E731
    per, ours_per = {}, {}
    for start, ms in tasks:
        per[step(start)] = max(per.get(step(start), 0), round(ms))
    ours = [x for f in frames for x in f["scripts"] if x["source"].startswith(origin) and x["start"] >= given]
    for x in ours:
        ours_per[step(x["start"])] = max(ours_per.get(step(x["start"]), 0), round(x["ms"]))
    top = max(ours, key=lambda x: x["ms"], default=None)
    after = [t for t in tasks if t[0] >= given]
    longest = max(after, key=lambda t: t[1], default=None)
    file_input = max((t for t in after if step(t[0]) == "photos given"), key=lambda t: t[1], default=None)
    return {"longest_task_ms": round(longest[1]) if longest else 0, "longest_task_ms_by_step": per,
            "longest_task_attribution": longest and {"step": step(longest[0]), **(attribution(longest, frames, origin) or {})},
            "file_input_task": file_input and attribution(file_input, frames, origin),
            "longest_script_ms": round(top["ms"]) if top else 0, "longest_script_ms_by_step": ours_per,
            "longest_script": top and {"ms": round(top["ms"]), "invoker": top["invoker"],
                                       "source": top["source"].replace(origin, ""), "step": step(top["start"])}}


TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def renderer_cpu(profile: str) -> dict:
    """CPU ms used so far by each thread of the renderers of the browser using `profile`
    (utime + stime from /proc; a thread that ended is gone from it) -> {"pid/tid name": ms}."""
    out = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if f"--user-data-dir={profile}" not in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                continue
            if b"--type=renderer" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
            for tid in os.listdir(f"/proc/{pid}/task"):
                task = Path(f"/proc/{pid}/task/{tid}")
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                out[f"{pid}/{tid} {(task / 'comm').read_text().strip()}"] = (int(fields[11]) + int(fields[12])) * TICK_MS
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return out


def cpu_per_photo(before: dict, after: dict, photos: int) -> dict:
    """Per-thread CPU between two renderer_cpu readings, grouped, in ms per photo computed."""
    used = {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0) > 0}
    main = sum(v for k, v in used.items() if k.split("/")[0] == k.split("/")[1].split()[0])
    workers = sorted((v for k, v in used.items() if "DedicatedWorker" in k), reverse=True)
    pool = sum(v for k, v in used.items() if "ThreadPool" in k)
    per = lambda ms: round(ms / max(photos, 1), 1)  # noqa: E731
    return {"main_thread": per(main), "workers": [per(w) for w in workers], "thread_pool": per(pool),
            "other": per(sum(used.values()) - main - sum(workers) - pool), "all": per(sum(used.values())),
            "busiest_thread_s": round(max(used.values(), default=0) / 1000, 2)}


class PeakMemory:
    """The largest resident memory of one renderer process of the browser using `profile`
    (the tab: its page and workers), sampled every half second while the `with` block runs."""

    def __init__(self, profile: str):
        self.profile, self.peak_mb, self.stop = profile, 0.0, threading.Event()

    def sample(self) -> None:
        while not self.stop.wait(0.5):
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                    if "--type=renderer" in cmd and f"--user-data-dir={self.profile}" in cmd:
                        rss = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("VmRSS"))
                        self.peak_mb = max(self.peak_mb, int(rss.split()[1]) / 1024)
                except (FileNotFoundError, ProcessLookupError, StopIteration):
                    continue

    def __enter__(self):
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def photo_folder(bears: Path, n: int | None, tmp: Path) -> Path:
    """`bears` itself, or (n above its photo count) a copy topped up to n photos, each extra one
    a photo of the same label re-encoded (JPEG quality 90, 89... on each round through the photos):
    its own content, so its own activations."""
    from PIL import Image

    photos = sorted(bears.glob("*/*.jpg"))
    if not n or n <= len(photos):
        return bears
    out = tmp / "photos"
    for f in photos:
        (out / f.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(f, out / f.parent.name / f.name)
    for i in range(n - len(photos)):
        f = photos[i % len(photos)]
        with Image.open(f) as im:
            im.convert("RGB").save(out / f.parent.name / f"copy{i}-{f.name}", quality=90 - i // len(photos))
    return out


THREADS = """threads => new MutationObserver((_, obs) => { const el = document.querySelector("[data-widget=trainer]");
  if (el) { el.dataset.threads = String(threads); obs.disconnect(); } }).observe(document, { childList: true, subtree: true })"""


def drive(page, server, bears: Path, profile: str) -> dict:
    """The reader's steps, timed: photos in, activations, lr finder; then the default fit."""
    page.goto(server.url + "train-in-browser/")
    page.wait_for_selector("[data-widget=trainer][data-mounted=yes]")
    page.evaluate("window.__phases.push([performance.now(), 'photos given'])")  # page load is not the trainer's
    t0, cpu0, load0 = time.perf_counter(), renderer_cpu(profile), os.getloadavg()
    with PeakMemory(profile) as memory:
        page.set_input_files("input[webkitdirectory]", str(bears))
        page.wait_for_selector("section[data-step=activations][data-done=true]", timeout=WAIT)
        cpu1, load1 = renderer_cpu(profile), os.getloadavg()
        page.wait_for_selector("section[data-step=lrfind][data-suggested]", timeout=WAIT)
        page.wait_for_function("() => document.querySelector('.trn').dataset.busy === ''")
        to_lr = time.perf_counter() - t0
        t1 = time.perf_counter()
        page.click("section[data-step=fit] button.md-button--primary")
        page.wait_for_selector("section[data-step=clean][data-ranked=true]", timeout=WAIT)
        page.wait_for_function("() => document.querySelector('.trn').dataset.busy === ''")
        fit_and_oof = time.perf_counter() - t1
    page.wait_for_timeout(1000)  # the last drawing; what follows (downloads, reading the cache) is the bench's
    ext = page.eval_on_selector("section[data-step=activations]", "e => ({...e.dataset})")
    computed = int(ext["computed"])
    cpu = cpu_per_photo(cpu0, cpu1, computed)
    return {"threads": int(ext["threads"]), "cross_origin_isolated": page.evaluate("crossOriginIsolated"),
            "features_computed": computed, "features_cached": int(ext["cached"]), "features_s": int(ext["ms"]) / 1000,
            "features_per_s": computed / (int(ext["ms"]) / 1000),
            "features_per_s_cpu_bound": round(computed / cpu["busiest_thread_s"], 1) if cpu["busiest_thread_s"] else None,
            "features_profile": json.loads(ext.get("profile") or "null"), "features_cpu_ms_per_photo": cpu,
            "load_average": {"start": [round(x, 1) for x in load0], "activations_done": [round(x, 1) for x in load1]},
            "bring_to_lrfind_s": to_lr, "fit_and_oof_wall_s": fit_and_oof, "peak_tab_memory_mb": round(memory.peak_mb),
            **long_tasks(page.evaluate("[window.__tasks, window.__phases, window.__frames]"), server.url)}


def in_browser(server, manifest: dict, bears: Path, tmp: Path, threads: int | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    profile = str(tmp / "profile")
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                    service_workers="block", accept_downloads=True)
        requests = []
        ctx.on("request", lambda r: requests.append(r))
        ctx.add_init_script(LONG_TASKS)
        if threads:  # the body's threads, instead of what the page picks (settings.js bodyThreads)
            ctx.add_init_script(f"({THREADS})({int(threads)})")
        page = ctx.new_page()
        out = drive(page, server, bears, profile)
        with page.expect_download() as d:
            page.click("section[data-step=use] button:has-text('Download run.json')")
        run = json.loads(Path(d.value.path()).read_text())
        shas = {p["file"]: p["sha256"] for p in run["photos"]}
        feats = cached_features(page, manifest, shas)
        out = {"photos_train": run["split"]["train"], "photos_valid": run["split"]["valid"],
               "valid_accuracy": run["metrics"]["accuracy"], **out, "head_fit_s": run["fit"]["seconds"],
               "fit": {k: run["fit"][k] for k in ("epochs", "max_lr", "bs", "dropout", "wd")},
               "uploads": len(uploads(requests, server.url))}
        ctx.close()
    return out, run, feats


def native_features(manifest: dict, models: Path, files: list[Path], threads: int) -> dict:
    """Native ONNX Runtime on the photos, batches of 4 as the page: PIL pixels and session.run
    timed apart, wall and CPU (this process's, ONNX Runtime's threads included), ms per photo."""
    import onnxruntime as ort

    from export.pixels import load_pixels

    entry = manifest["variants"][manifest["default"]]
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    for k, v in (entry.get("session_config") or {}).items():
        opts.add_session_config_entry(k, v)
    sess = ort.InferenceSession(str(models / entry["model"]), opts, providers=["CPUExecutionProvider"])
    feed, out = manifest["input"]["name"], [manifest["features"]["name"]]
    wall = {"pixels": 0.0, "run": 0.0}
    cpu = {"pixels": 0.0, "run": 0.0}
    for i in range(0, len(files), 4):  # the page's batch
        t, c = time.perf_counter(), time.process_time()
        x = load_pixels(files[i:i + 4], manifest["preprocess"])
        t1, c1 = time.perf_counter(), time.process_time()
        sess.run(out, {feed: x})
        wall["pixels"] += t1 - t
        cpu["pixels"] += c1 - c
        wall["run"] += time.perf_counter() - t1
        cpu["run"] += time.process_time() - c1
    per = lambda d: {k: round(1000 * v / len(files), 1) for k, v in d.items()}  # noqa: E731
    return {"threads": threads, "photos": len(files), "per_s": len(files) / sum(wall.values()),
            "per_s_cpu_bound": len(files) / sum(cpu.values()), "wall_ms_per_photo": per(wall), "cpu_ms_per_photo": per(cpu)}


def python_pipeline(manifest: dict, models: Path, bears: Path, run: dict, feats: dict, threads: int) -> dict:
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from training.bears.loop import fit_one_cycle
    from training.bears.model import new_head

    files = [bears / p["file"] for p in run["photos"]]
    native = {"page_threads": native_features(manifest, models, files[:NATIVE_PHOTOS], threads)}
    if threads != 1:
        native["1_thread"] = native_features(manifest, models, files[:200], 1)
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
    return {"python_features_per_s": native["page_threads"]["per_s"], "python_features": native,
            "python_head_fit_s": time.perf_counter() - t1,
            "python_valid_accuracy": hist["epochs"][-1]["accuracy"], "python_threads": threads}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "bench" / "train_in_browser.json")
    p.add_argument("--bears", type=Path, default=Path(BEARS), help="label folders of photos (default $LESSON2_BEARS)")
    p.add_argument("--photos", type=int, default=None,
                   help="top the photos up to this many with re-encoded copies (e.g. 2000, the page's limit)")
    p.add_argument("--threads", type=int, default=None, help="the body's threads instead of the page's choice")
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        bears = photo_folder(a.bears, a.photos, Path(tmp))
        server, httpd, manifest = site_with_body(Path(tmp))
        try:
            page, run, feats = in_browser(server, manifest, bears, Path(tmp), a.threads)
        finally:
            httpd.shutdown()
        py = python_pipeline(manifest, Path(tmp) / "models", bears, run, feats, page["threads"])
    out = {**page, **py, "cpu_count": os.cpu_count(), "body": manifest.get("dev") or manifest["model"],
           "targets": {"valid_accuracy": ">= 0.95", "features_per_s": ">= 10", "head_fit_s": "<= 2",
                       "longest_task_ms": "<= 200", "longest_script_ms": "<= 200 (the site's own code)", "uploads": "== 0"}}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))
    print_table(out)


def print_table(r: dict) -> None:
    """The figures that matter, one line each."""
    cpu, prof = r["features_cpu_ms_per_photo"], (r["features_profile"] or {}).get("per_photo_ms", {})
    nat = r["python_features"]["page_threads"]
    rows = [
        ("load average (1, 5, 15 min) at start / activations done", f"{r['load_average']['start']} / {r['load_average']['activations_done']}"),
        ("features_per_s (page, wall)", f"{r['features_per_s']:.2f} on {r['threads']} thread(s)"),
        ("features_per_s_cpu_bound (page: the busiest thread's CPU)", r["features_per_s_cpu_bound"]),
        ("page ms/photo, wall: decode / resize / body run / body waiting / cache write",
         " / ".join(str(prof.get(k)) for k in ("decode", "resize", "run", "body_waiting", "cache_write"))),
        ("page CPU ms/photo: workers / thread pool / main / all", f"{cpu['workers']} / {cpu['thread_pool']} / {cpu['main_thread']} / {cpu['all']}"),
        ("native per_s (wall) / cpu-bound", f"{nat['per_s']:.2f} / {nat['per_s_cpu_bound']:.1f} on {nat['threads']} thread(s)"),
        ("native CPU ms/photo: PIL pixels / session.run", f"{nat['cpu_ms_per_photo']['pixels']} / {nat['cpu_ms_per_photo']['run']}"),
        ("longest_task_ms (all) / longest_script_ms (the site's code)", f"{r['longest_task_ms']} / {r['longest_script_ms']}"),
        ("longest task's attribution", json.dumps(r.get("longest_task_attribution"))),
        ("the file input's task (Chromium's FileList; our change handler is the script)", json.dumps(r.get("file_input_task"))),
        ("longest script of the site's", json.dumps(r.get("longest_script"))),
        ("peak tab memory (the renderer's resident set), MB", r["peak_tab_memory_mb"]),
        ("valid_accuracy / head_fit_s / uploads", f"{r['valid_accuracy']:.4f} / {r['head_fit_s']:.2f} / {r['uploads']}"),
    ]
    for k, v in rows:
        print(f"{k:75} {v}")


if __name__ == "__main__":
    main()
