"""Benchmark of the in-browser bear classifier (not part of the test pass).

    python -m tests.bench.classifier [--sessions 5] [--rounds 8] [--per-round 5] [--cold 3]
    python -m tests.bench.classifier --levers      # also the candidate models and session options

Builds the site, serves it from a sub-path with gzip (as GitHub Pages does) and measures in
headless Chromium, with native ONNX Runtime (Python) on the same files, same photo and the
same session settings as the reference, measured in the same run, round by round:

- inference: the model runs in the widget's module worker (site_widgets/onnx/engine.js), so
  the page, Playwright and this process do not share its thread; `run` is session.run
  measured inside the worker, `trip` what the page waits (message, copy, run, answer).
  Each figure comes from several FRESH browser sessions (new browser process: new wasm
  compile and tier-up); per session, after warm-up, candidates take turns in short rounds so
  that a burst of load elsewhere on the machine hits all of them alike, and after each
  browser round native ONNX Runtime runs the same round (the browser idles meanwhile).
  Reported: the median of all runs (p50), p90, the spread of the per-session medians
  (min-max, and (max - min) / median), and browser/native as the median of per-round ratios.
  - 1 thread: service workers blocked (the first visit, or a browser without them), so
    nothing else runs in the page's process while it is timed;
  - isolated: the site's service worker installed and waited for, then the page loaded under
    it (cross-origin isolated by the worker's COOP/COEP headers): onnxruntime-web's threads.
- CPU time per run: on a shared machine the wall-clock figures move with everyone else's load
  (here, two runs a few minutes apart: native p50 21 and 25 ms, browser 74 and 91 ms, session
  medians 50% apart), so the bench also reads, from /proc, the CPU time the model's threads
  used per run (the worker's DedicatedWorker threads in the renderer; the Python process for
  native). That does not count the slices other processes take: the same two runs gave
  48.0 and 50.0 ms in the browser, 13.0 and 13.3 ms native (session medians within 6%).
- cold first result: a fresh browser opens the page, the photo is given through the file
  picker; time until the result shows, and the bytes the server sent. The widget loads its
  model when the reader comes near it (here at once: it is within a screen's height of the top)
  and warms it up, so two honest figures:
  - at page open: the photo is given as soon as the widget has mounted, so nearly all of the
    set-up comes after it (the worst case). The first visit (1 thread), and a page already
    controlled by the service worker (isolated; its pthread workers start too) whose runtime
    and model are not cached yet;
  - first_visit_dwell: the reader has been at the widget for --dwell seconds before giving the
    photo (what a reader who reads, then picks a photo, meets), service workers allowed as in a
    reader's browser: the site's starts saving the pages 3 s after load, during the wait.
  Each with the set-up's breakdown, the warm-up runs done before the photo (their times: the
  tier-up series), and the workers' CPU time from the photo to the result (load-independent).

Targets (issue 10), for the shipped default variant: browser p50 <= 20 ms, cold first
result <= 1.0 s, shipped file <= 5 MB. Writes JSON under runs/bench/.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from playwright.sync_api import sync_playwright

from export.measure import percentile
from export.runtime import session as native_session
from export.pixels import load_pixels
from tests.support import CHROMIUM, CHROMIUM_ARGS, ROOT, build_site, start_server
from training import paths

MODELS = ROOT / "docs" / "assets" / "models"
BEARS = Path(paths.BEARS)
TARGET_P50_MS, TARGET_FIRST_S, TARGET_BYTES = 20.0, 1.0, 5e6
STATE = "document.documentElement.dataset.offline"


@dataclass
class Candidate:
    """One model file + session settings to time. `manifest` is a site-root path in the served site."""
    name: str
    manifest: str
    model_path: Path  # the file, for native ONNX Runtime and its size
    crop: int
    arch: str  # the body, so export.candidates can match the row to its candidates
    variant: str | None = None
    options: dict = field(default_factory=dict)  # onnx/manifest.js sessionOptions overrides
    native_config: dict | None = None  # the session config entries native ONNX Runtime gets
    note: str = ""


SETUP = """async ([cands, inputs]) => {
  const root = new URL("../", location.href);  // the page is <site>/production/
  const { OnnxClient } = await import(new URL("assets/widgets/onnx/client.js", root).href);
  const onnx = new OnnxClient(new Worker(new URL("assets/widgets/onnx/worker.js", root), { type: "module" }));
  const decode = (b64) => new Float32Array(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer);
  const out = {};
  const feeds = {};
  for (const c of cands) {
    const t = performance.now();
    const info = await onnx.load({ key: c.name, manifest: new URL(c.manifest, root).href, variant: c.variant, options: c.options });
    const loadMs = performance.now() - t;
    feeds[c.name] = { [info.manifest.input.name]: { type: "float32", dims: [1, 3, c.crop, c.crop], data: decode(inputs[c.crop]) } };
    out[c.name] = { threads: info.threads, timings: info.timings, load_ms: loadMs };
  }
  window.__bench = { onnx, feeds, names: cands.map((c) => c.name) };
  return out;
}"""

# A candidate's first run after its session is created (the runs that follow, one by one, are the
# warm-up series: how V8 tiers the wasm code up).
FIRST = """async (name) => {
  const { onnx, feeds } = window.__bench;
  const first = await onnx.run(name, feeds[name]);
  return { ms: first.ms, probs: Array.from(Object.values(first.outputs)[0].data) };
}"""

# One candidate's turn in a round: `perRound` runs.
TURN = """async ([name, perRound]) => {
  const { onnx, feeds } = window.__bench;
  const run = [], rtt = [];
  for (let i = 0; i < perRound; i++) {
    const t = performance.now();
    const res = await onnx.run(name, feeds[name]);
    rtt.push(performance.now() - t);
    run.push(res.ms);
  }
  return { run, rtt };
}"""

TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def worker_cpu_ms(profile: str) -> float:
    """CPU time used so far by the dedicated-worker threads (the model's worker and, with
    threads, onnxruntime-web's pthreads) of the renderers of the browser using `profile`. CPU
    time, unlike wall time, does not count the slices other processes on the machine take."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            if "--type=renderer" not in cmd or profile not in cmd:
                continue
            for tid in os.listdir(f"/proc/{pid}/task"):
                task = Path(f"/proc/{pid}/task/{tid}")
                if (task / "comm").read_text().startswith("DedicatedWorker"):
                    fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                    total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total * TICK_MS


def photo() -> Path:
    files = sorted((BEARS / "grizzly").glob("*.jpg"))
    if not files:
        raise SystemExit(f"no photos at {BEARS} (set LESSON2_BEARS)")
    return files[0]


def pixels_b64(img: Path, crops: set[int], preprocess: dict) -> tuple[dict, dict]:
    """crop -> the photo's float32 pixels (Python's preprocessing), as base64 for the page and as arrays."""
    arrays = {c: load_pixels([img], {**preprocess, "resize": c, "crop": c}) for c in crops}
    return {c: base64.b64encode(a.astype(np.float32).tobytes()).decode() for c, a in arrays.items()}, arrays


def shipped_candidates() -> list[Candidate]:
    m = json.loads((MODELS / "bears.json").read_text())
    name = m["default"]
    v = m["variants"][name]
    return [Candidate(f"shipped {name}", "assets/models/bears.json", MODELS / v["model"], m["preprocess"]["crop"],
                      m["arch"], variant=name, native_config=v.get("session_config"), note="as the widget runs it")]


def wait_saved(page) -> None:
    page.wait_for_function(f"['ready', 'partial', 'failed', 'unavailable'].includes({STATE})", timeout=120_000)
    if page.evaluate(STATE) != "ready":
        raise RuntimeError(f"the service worker did not save the site: {page.evaluate(STATE)}")


def open_page(pw, url: str, isolated: bool, profile: str):
    """A fresh browser (its own profile folder) on the production page: service workers blocked
    (1 thread), or the page loaded under the installed service worker (cross-origin isolated)."""
    context = pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                    service_workers="allow" if isolated else "block")
    page = context.new_page()
    if isolated:
        page.goto(url)
        wait_saved(page)
    page.goto(url + "production/")
    page.wait_for_selector("[data-widget=classifier][data-mounted=yes]")
    if isolated:
        wait_saved(page)  # the page's own registration check is done too: nothing else runs while timing
    if page.evaluate("self.crossOriginIsolated") is not isolated:
        raise RuntimeError(f"expected crossOriginIsolated={isolated}")
    return context, page


class NativeRunner:
    """Native ONNX Runtime on the same files, inputs, session config and thread count."""

    def __init__(self, cands: list[Candidate], arrays: dict, threads: int, warmup: int = 5):
        self.sessions = {c.name: native_session(c.model_path, threads=threads, config=c.native_config) for c in cands}
        self.feeds = {c.name: {self.sessions[c.name].get_inputs()[0].name: arrays[c.crop][:1]} for c in cands}
        self.probs = {n: s.run(None, self.feeds[n])[0][0].tolist() for n, s in self.sessions.items()}
        for n, s in self.sessions.items():
            for _ in range(warmup):
                s.run(None, self.feeds[n])

    def turn(self, name: str, per_round: int) -> dict:
        """Wall time of each run, and the process's CPU time per run (ONNX Runtime's threads included)."""
        times = []
        cpu = time.process_time()
        for _ in range(per_round):
            t = time.perf_counter()
            self.sessions[name].run(None, self.feeds[name])
            times.append((time.perf_counter() - t) * 1000)
        return {"run": times, "cpu_ms": (time.process_time() - cpu) * 1000 / per_round}


def warm_up(page, profile: str, name: str, n: int) -> dict:
    """The first run and the n after it, one at a time: wall time inside the worker and the worker's
    CPU time (10 ms ticks; unlike wall time, not stretched by other processes' load)."""
    cpu = worker_cpu_ms(profile)
    first = page.evaluate(FIRST, name)
    out = {"first_ms": first["ms"], "probs": first["probs"], "first_cpu_ms": worker_cpu_ms(profile) - cpu,
           "warm": [], "warm_cpu_ms": []}
    for _ in range(n):
        cpu = worker_cpu_ms(profile)
        out["warm"].append(page.evaluate(TURN, [name, 1])["run"][0])
        out["warm_cpu_ms"].append(worker_cpu_ms(profile) - cpu)
    return out


def session_pair(pw, url: str, cands: list[Candidate], inputs: dict, arrays: dict, isolated: bool, args) -> dict:
    """One fresh browser: set-up and warm-up, then rounds; after each browser round, the same
    round natively (the browser's worker idles meanwhile), so both see the same machine."""
    with tempfile.TemporaryDirectory(prefix="clf-bench-profile-") as profile:
        context, page = open_page(pw, url, isolated, profile)
        try:
            setup = page.evaluate(SETUP, [[{"name": c.name, "manifest": c.manifest, "variant": c.variant, "options": c.options,
                                            "crop": c.crop} for c in cands], {str(k): v for k, v in inputs.items()}])
            for c in cands:
                setup[c.name].update(warm_up(page, profile, c.name, args.warmup))
            threads = next(iter(setup.values()))["threads"]
            native = NativeRunner(cands, arrays, threads)
            rounds = []
            for r in range(args.rounds):
                rd = {"browser": {}, "native": {}, "load": os.getloadavg()[0]}
                for k in range(len(cands)):
                    name = cands[(k + r) % len(cands)].name
                    cpu = worker_cpu_ms(profile)
                    rd["browser"][name] = page.evaluate(TURN, [name, args.per_round])
                    rd["browser"][name]["cpu_ms"] = (worker_cpu_ms(profile) - cpu) / args.per_round
                    rd["native"][name] = native.turn(name, args.per_round)
                rounds.append(rd)
            page.evaluate("window.__bench.onnx.terminate()")
        finally:
            context.close()
    return {"setup": setup, "rounds": rounds, "threads": threads, "native_probs": native.probs}


def cpu_summary(per_session: list[list[float]]) -> dict:
    meds = [statistics.median(s) for s in per_session]
    mid = statistics.median(meds)
    return {"ms": mid, "session_ms": meds, "spread": (max(meds) - min(meds)) / mid if mid else 0.0}


def summary(times: list[float], per_session: list[list[float]]) -> dict:
    meds = [statistics.median(s) for s in per_session if s]
    mid = statistics.median(meds)
    return {"n": len(times), "p50_ms": percentile(times, 50), "p90_ms": percentile(times, 90), "min_ms": min(times),
            "session_p50_ms": meds, "session_p50_min": min(meds), "session_p50_max": max(meds),
            "spread": (max(meds) - min(meds)) / mid if mid else 0.0}


def measure_latency(pw, url: str, cands: list[Candidate], img: Path, preprocess: dict, args) -> dict:
    inputs, arrays = pixels_b64(img, {c.crop for c in cands}, preprocess)
    raw = {False: [], True: []}
    for s in range(args.sessions):
        for isolated in (False, True):
            res = session_pair(pw, url, cands, inputs, arrays, isolated, args)
            raw[isolated].append(res)
            b = {n: (round(statistics.median(t for rd in res["rounds"] for t in rd["browser"][n]["run"]), 1),
                     round(statistics.median(rd["browser"][n]["cpu_ms"] for rd in res["rounds"]), 1)) for n in res["setup"]}
            print(f"  session {s + 1}/{args.sessions} {'isolated' if isolated else '1 thread'} ({res['threads']} threads, "
                  f"load {os.getloadavg()[0]:.1f}): browser run p50, CPU ms per run {b}", flush=True)
    return {c.name: latency_row(c, raw) for c in cands}


def latency_row(c: Candidate, raw: dict) -> dict:
    row = {"bytes": c.model_path.stat().st_size, "crop": c.crop, "arch": c.arch, "note": c.note, "options": c.options,
           "native_config": c.native_config}
    for isolated, sessions in raw.items():
        runs = [[t for rd in s["rounds"] for t in rd["browser"][c.name]["run"]] for s in sessions]
        trips = [[t for rd in s["rounds"] for t in rd["browser"][c.name]["rtt"]] for s in sessions]
        natives = [[t for rd in s["rounds"] for t in rd["native"][c.name]["run"]] for s in sessions]
        # Browser / native, turn by turn (each pair ran within a second or two of each other).
        ratios = [statistics.median(rd["browser"][c.name]["run"]) / statistics.median(rd["native"][c.name]["run"])
                  for s in sessions for rd in s["rounds"]]
        cpu_b = [[rd["browser"][c.name]["cpu_ms"] for rd in s["rounds"]] for s in sessions]
        cpu_n = [[rd["native"][c.name]["cpu_ms"] for rd in s["rounds"]] for s in sessions]
        run, nat = summary(sum(runs, []), runs), summary(sum(natives, []), natives)
        setups = [s["setup"][c.name] for s in sessions]
        row["isolated" if isolated else "single"] = {
            "threads": sessions[0]["threads"], "run": run, "round_trip": summary(sum(trips, []), trips), "native": nat,
            "ratio_p50": run["p50_ms"] / nat["p50_ms"], "ratio_rounds_median": statistics.median(ratios),
            "ratio_rounds_min_max": [min(ratios), max(ratios)],
            # CPU time per run (all threads), per session: the median of its rounds.
            "cpu": {"browser": cpu_summary(cpu_b), "native": cpu_summary(cpu_n)},
            "first_run_ms": [x["first_ms"] for x in setups], "warmup_ms": [x["warm"] for x in setups],
            "first_run_cpu_ms": [x["first_cpu_ms"] for x in setups], "warmup_cpu_ms": [x["warm_cpu_ms"] for x in setups],
            "session_create_ms": [x["timings"]["session_create_ms"] for x in setups],
            "load_ms": [x["load_ms"] for x in setups],
            "max_prob_diff_vs_native": max(abs(a - b) for s, x in zip(sessions, setups)
                                           for a, b in zip(x["probs"], s["native_probs"][c.name])),
            "loadavg": [rd["load"] for s in sessions for rd in s["rounds"]],
        }
    return row


RESULT = """() => { const el = document.querySelector('.clf'), r = el.querySelector('.clf-result');
  const mark = performance.getEntriesByName('classifier:approach')[0];
  return { phase: el.dataset.phase, top: el.dataset.top, threads: +el.dataset.threads, total: +r.dataset.totalMs,
           infer: +r.dataset.inferMs, model: +el.dataset.modelMs, timings: JSON.parse(el.dataset.modelTimings),
           runs_before: +r.dataset.runsBefore, warm_ms: JSON.parse(r.dataset.warmMs || '[]'),
           approach_ms: mark ? mark.startTime : null, now_ms: performance.now() }; }"""


def cold_first_result(pw, site, img: Path, controlled: bool, dwell_s: float | None = None, sw: bool = False) -> dict:
    """Fresh browser; the page opens (under the service worker if `controlled`) and the reader gives a
    photo: at once when the widget has mounted (`dwell_s` None: everything but the page itself comes
    after the photo; the widget is in view, so its model load starts at mount too), or after reading
    at the widget for `dwell_s` seconds (the model was loaded and warmed up on approach meanwhile).
    `sw`: service workers allowed on a first visit (the site's starts saving itself 3 s after load)."""
    with tempfile.TemporaryDirectory(prefix="clf-bench-cold-") as profile:
        context = pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                        service_workers="allow" if controlled or sw else "block")
        try:
            page = context.new_page()
            if controlled:
                page.goto(site.url)
                wait_saved(page)
            n = len(site.hits)
            opened = time.perf_counter()
            page.goto(site.url + "production/", wait_until="commit")
            page.wait_for_selector("[data-widget=classifier][data-mounted=yes]", timeout=120_000)
            mounted = time.perf_counter()
            if dwell_s:
                page.wait_for_timeout(dwell_s * 1000)
            status = page.get_attribute(".clf-status", "data-state")  # ready, or still loading
            offline = page.evaluate(STATE)  # the service worker: saving the site meanwhile, or not
            cpu = worker_cpu_ms(profile)
            t0 = time.perf_counter()
            page.set_input_files("input.clf-file", str(img))
            page.wait_for_function("document.querySelector('.clf').dataset.runs === '1'", timeout=120_000)
            wall = time.perf_counter() - t0
            cpu = worker_cpu_ms(profile) - cpu
            st = page.evaluate(RESULT)
            page.wait_for_timeout(300)
            hits = site.hits[n:]
        finally:
            context.close()
    if st["phase"] != "done":
        raise RuntimeError(f"cold run did not classify: {st}")
    return {"wall_s": wall, "in_page_s": st["total"] / 1000, "model_ready_s": st["model"] / 1000,
            "first_inference_ms": st["infer"], "threads": st["threads"], "top": st["top"], "model_timings": st["timings"],
            "bytes_sent": sum(h.sent_bytes for h in hits), "bytes_raw": sum(h.raw_bytes for h in hits),
            "files": {h.path.rsplit("/", 1)[-1]: h.sent_bytes for h in hits},
            # New: when the photo was given, what the model had done by then, and what it cost.
            "dwell_s": dwell_s, "status_at_photo": status, "offline_at_photo": offline, "open_to_mount_s": mounted - opened,
            "open_to_result_s": t0 - opened + wall,
            "runs_before": st["runs_before"], "warm_ms": st["warm_ms"],
            "worker_cpu_ms": cpu}  # CPU time of the page's workers from the photo to the result


COLD_KINDS = {  # name -> (controlled by the service worker, seconds at the widget before the photo, service workers allowed)
    "first_visit": (False, None, False), "controlled": (True, None, True),
    # A reader's real first visit: the site's service worker registers and saves the pages meanwhile.
    "first_visit_dwell": (False, "dwell", True),
}


def cold_runs(pw, site, img: Path, args) -> dict:
    """Every kind of cold first result, args.cold times each, kinds interleaved (load bursts hit all)."""
    out = {kind: [] for kind in COLD_KINDS}
    for _ in range(args.cold):
        for kind, (controlled, dwell, sw) in COLD_KINDS.items():
            out[kind].append(cold_first_result(pw, site, img, controlled, args.dwell if dwell else None, sw))
    return out


def serve_site(tmp: Path, cands: list[Candidate]):
    """The built site, plus the candidates' files under assets/bench/ (not part of the build)."""
    site_root = build_site(tmp / "site")
    for c in cands:
        if c.manifest.startswith("assets/bench/"):
            src = Path(c.model_path).parent
            dest = site_root / Path(c.manifest).parent
            dest.mkdir(parents=True, exist_ok=True)
            for f in src.iterdir():
                if f.suffix in (".onnx", ".json") and not (dest / f.name).exists():
                    shutil.copy(f, dest / f.name)
    return start_server(site_root)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sessions", type=int, default=5, help="fresh browser sessions per thread setting")
    p.add_argument("--rounds", type=int, default=8, help="rounds per session; candidates take turns in each")
    p.add_argument("--per-round", type=int, default=5, help="timed runs per candidate per round")
    p.add_argument("--warmup", type=int, default=20, help="untimed runs per candidate after its first")
    p.add_argument("--cold", type=int, default=3, help="cold first-result repetitions per kind (median reported)")
    p.add_argument("--dwell", type=float, default=5.0,
                   help="seconds the reader is at the widget before the photo, in the approach-loaded cold runs")
    p.add_argument("--levers", action="store_true", help="also time the lever candidates (tests/bench/classifier_levers.py)")
    p.add_argument("--out", type=Path, default=None, help="JSON output (default runs/bench/classifier[_levers].json)")
    args = p.parse_args(argv)
    out = args.out or ROOT / "runs" / "bench" / ("classifier_levers.json" if args.levers else "classifier.json")

    m = json.loads((MODELS / "bears.json").read_text())
    img = photo()
    with tempfile.TemporaryDirectory() as tmp:
        cands = shipped_candidates()
        if args.levers:
            from tests.bench.classifier_levers import lever_candidates
            cands += lever_candidates(Path(tmp) / "models", m)
        site, httpd = serve_site(Path(tmp), cands)
        results = {"photo": img.name, "default_variant": m["default"], "machine": machine(), "args": vars(args) | {"out": str(out)}}
        try:
            with sync_playwright() as pw:
                cold_first_result(pw, site, img, False)  # discarded: fills the server's gzip cache and the OS file cache
                results["latency"] = measure_latency(pw, site.url, cands, img, m["preprocess"], args)
                results["cold"] = cold_runs(pw, site, img, args)
        finally:
            httpd.shutdown()
    results["machine_after"] = machine()
    shipped = results["latency"][cands[0].name]
    first = statistics.median(c["wall_s"] for c in results["cold"]["first_visit"])
    dwell = statistics.median(c["wall_s"] for c in results["cold"]["first_visit_dwell"])
    results["targets"] = {
        "browser_p50_ms<=20 (1 thread)": [shipped["single"]["run"]["p50_ms"], shipped["single"]["run"]["p50_ms"] <= TARGET_P50_MS],
        "browser_p50_ms<=20 (isolated)": [shipped["isolated"]["run"]["p50_ms"], shipped["isolated"]["run"]["p50_ms"] <= TARGET_P50_MS],
        # The load-independent form of the first: what one inference costs the worker's thread.
        "browser_cpu_ms<=20 (1 thread)": [shipped["single"]["cpu"]["browser"]["ms"], shipped["single"]["cpu"]["browser"]["ms"] <= TARGET_P50_MS],
        "first_result_s<=1.0": [first, first <= TARGET_FIRST_S],  # photo given at page open: the worst case
        f"first_result_s<=1.0 (after {args.dwell:g} s at the widget)": [dwell, dwell <= TARGET_FIRST_S],
        "shipped_MB<=5": [shipped["bytes"] / 1e6, shipped["bytes"] <= TARGET_BYTES],
    }
    print_table(results)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nwrote {out}")
    return results


def machine() -> dict:
    return {"cores": os.cpu_count(), "loadavg": os.getloadavg()}


def cpu_text(c: dict) -> str:
    b, n = c["browser"], c["native"]
    return f"{b['ms']:.1f}/{n['ms']:.1f} ({100 * b['spread']:.0f}%/{100 * n['spread']:.0f}%)"


def spread_text(s: dict) -> str:
    return f"{s['session_p50_min']:.1f}-{s['session_p50_max']:.1f} ({100 * s['spread']:.0f}%)"


def print_table(r: dict) -> None:
    la, lb = r["machine"]["loadavg"], r["machine_after"]["loadavg"]
    a = r["args"]
    print(f"\nclassifier benchmark: photo {r['photo']}; headless Chromium, onnxruntime-web wasm in a module worker; "
          f"{a['sessions']} fresh browser sessions x {a['rounds'] * a['per_round']} timed runs per setting; "
          f"load average {la[0]:.1f} before, {lb[0]:.1f} after ({r['machine']['cores']} cores)")
    print(f"{'candidate':28} {'MB':>5} {'thr':>3} {'run p50':>8} {'p90':>6} {'session p50s (spread)':>22} "
          f"{'trip p50':>8} {'native p50':>10} {'ratio':>6} {'CPU ms web/native (spread)':>27} {'1st run':>8}")
    for name, row in r["latency"].items():
        for key in ("single", "isolated"):
            x = row[key]
            print(f"{name[:28]:28} {row['bytes'] / 1e6:5.2f} {x['threads']:>3} {x['run']['p50_ms']:8.1f} {x['run']['p90_ms']:6.1f} "
                  f"{spread_text(x['run']):>22} {x['round_trip']['p50_ms']:8.1f} {x['native']['p50_ms']:10.2f} "
                  f"{x['ratio_rounds_median']:5.1f}x {cpu_text(x['cpu']):>27} {statistics.median(x['first_run_ms']):8.0f}")
    for name, row in r["latency"].items():
        for key in ("single", "isolated"):
            series = [[x] + w for x, w in zip(row[key]["first_run_cpu_ms"], row[key]["warmup_cpu_ms"])]
            med = [statistics.median(s[i] for s in series) for i in range(min(map(len, series)))]
            print(f"warm-up series, {name} {row[key]['threads']} thr: worker CPU ms of the 1st, 2nd... run after the "
                  f"session is created (median over sessions): {[round(x) for x in med]}")
    print("(run: session.run inside the worker; trip: what the page waits; native: ONNX Runtime in Python, same file, "
          "settings and threads, one turn after each browser turn; ratio: median over turns of browser/native; CPU ms: CPU time "
          "per run of all the model's threads (the worker's, from /proc), median over sessions, spread of session medians; 1st run: the first inference after the session is created)")
    for kind, runs in r["cold"].items():
        w = [c["wall_s"] for c in runs]
        c0 = runs[0]
        when = f"photo after {c0['dwell_s']:g} s at the widget" if c0.get("dwell_s") else "photo given at page open"
        print(f"cold first result, {kind.replace('_', ' ')}, {when} ({c0['threads']} thread{'s' if c0['threads'] > 1 else ''}): "
              f"median {statistics.median(w):.2f} s ({min(w):.2f}-{max(w):.2f} over {len(w)}); model ready "
              f"{statistics.median(c['model_ready_s'] for c in runs):.2f} s, first inference "
              f"{statistics.median(c['first_inference_ms'] for c in runs):.0f} ms; transferred "
              f"{statistics.median(c['bytes_sent'] for c in runs) / 1e6:.2f} MB")
        t = {k: statistics.median(c["model_timings"][k] for c in runs) for k in runs[0]["model_timings"]}
        print(f"    model set-up (medians, ms): manifest + model fetch {t['fetch_ms']:.0f}, sha256 {t['verify_ms']:.0f}, "
              f"wasm runtime start {t['runtime_ms']:.0f} (in parallel; waited {t['wait_runtime_ms']:.0f} more), "
              f"session create {t['session_create_ms']:.0f}, total {t['total_ms']:.0f}")
        print(f"    at the photo: model {'/'.join(sorted({str(c['status_at_photo']) for c in runs}))}, "
              f"offline copy {'/'.join(sorted({str(c['offline_at_photo']) for c in runs}))}, "
              f"runs before it {[c['runs_before'] for c in runs]}, warm-up series {[[round(x) for x in c['warm_ms']] for c in runs]}; "
              f"workers' CPU from photo to result {statistics.median(c['worker_cpu_ms'] for c in runs):.0f} ms (median); "
              f"page open to result {statistics.median(c['open_to_result_s'] for c in runs):.2f} s")
    for k, (val, ok) in r["targets"].items():
        print(f"  target {k:30} {val:8.2f}  {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
