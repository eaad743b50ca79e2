"""Where the browser's time per photo goes: onnxruntime-web's own profile of the shipped model (not a test).

    python -m tests.bench.classifier_ops [--runs 40] [--out runs/bench/classifier_ops.json]
    python -m tests.bench.classifier_ops --out docs/assets/reports/inference_ops.json   # what production.md cites

The same onnxruntime-web package and wasm file the site serves, in Node (V8, as in Chromium, but
an older V8: its times run higher than the browser's, so read the shares, not the milliseconds),
one thread, the page's session settings, a batch of one at the page's crop. After --warmup runs
(V8 optimises the hot wasm functions, tests/bench/classifier.py's "warm-up series") it times --runs
runs twice: without the profiler (the reference) and with it, and groups the profiler's node times
by kind of operation:

- pointwise: 1x1 convolutions (a matrix multiplication: onnxruntime's SIMD SGEMM kernel);
- depthwise KxK sN: one filter per channel, stride N (no matrix multiplication to lean on);
- full KxK: the first convolution (3 input channels);
- other: normalisation, pooling, the head and the decision rule.

For each kind: milliseconds per run, share of the total, multiply-adds per run, and the rate
(multiply-adds per second). What it shows: which kernels a smaller or different network would
have to avoid; the browser benchmark (tests/bench/classifier.py) is the figure for the target.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
from collections import defaultdict
from pathlib import Path

from tests.support import ROOT
from training.bears.report import write_json

MODELS = ROOT / "docs" / "assets" / "models"
ORT = ROOT / "node_modules" / "onnxruntime-web" / "dist" / "ort.wasm.min.mjs"

SCRIPT = r"""
import fs from "node:fs";
const args = JSON.parse(fs.readFileSync(0, "utf8"));
const ort = await import(args.ort);
ort.env.wasm.numThreads = 1;
ort.env.logLevel = "error";
const bytes = fs.readFileSync(args.model);
const x = (n) => new ort.Tensor("float32", new Float32Array(3 * n * n).fill(0.25), [1, 3, n, n]);
async function timed(profile) {
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all",
    enableProfiling: profile, extra: args.extra });
  const feeds = { [s.inputNames[0]]: x(args.crop) };
  for (let i = 0; i < args.warmup; i++) await s.run(feeds);
  const ms = [];
  for (let i = 0; i < args.runs; i++) { const t = performance.now(); await s.run(feeds); ms.push(performance.now() - t); }
  if (profile) { process.stdout.write("\n@@PROFILE@@\n"); s.endProfiling(); }
  await s.release();
  return ms;
}
const plain = await timed(false);
const profiled = await timed(true);
process.stdout.write("\n@@TIMES@@" + JSON.stringify({ plain, profiled, node: process.version }) + "\n");
"""


def nested(flat: dict) -> dict:
    """{"session.disable_quant_qdq": "1"} -> {"session": {"disable_quant_qdq": "1"}} (as onnx/manifest.js does)."""
    out: dict = {}
    for key, value in flat.items():
        *parents, last = key.split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = str(value)
    return out


def kind(event: dict) -> tuple[str, float]:
    """A profiled node -> (its kind, multiply-adds)."""
    a = event["args"]
    if "Conv" not in a["op_name"]:
        return "other", 0.0
    x, w = (list(s.values())[0] for s in a["input_type_shape"][:2])
    out = list(a["output_type_shape"][0].values())[0]
    macs = out[1] * out[2] * out[3] * w[1] * w[2] * w[3]
    if w[2] == w[3] == 1:
        return "pointwise", macs
    if w[1] == 1 and w[0] == x[1] > 1:
        return f"depthwise {w[2]}x{w[3]} s{round(x[2] / out[2])}", macs
    return f"full {w[2]}x{w[3]}", macs


def breakdown(events: list[dict], skip_runs: int) -> dict:
    """Node times of the runs after the first `skip_runs` profiled ones, by kind, per run."""
    runs = sorted(e["ts"] for e in events if e.get("name") == "model_run")
    start = runs[skip_runs] if skip_runs < len(runs) else float("inf")
    n = len(runs) - skip_runs
    us, macs = defaultdict(float), defaultdict(float)
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time") and e["ts"] >= start:
            k, m = kind(e)
            us[k] += e["dur"]
            macs[k] += m
    total = sum(us.values())
    return {k: {"ms": us[k] / 1e3 / n, "share": us[k] / total, "mmac": macs[k] / 1e6 / n,
                "gmac_per_s": (macs[k] / us[k] / 1e3) if macs[k] else None}
            for k in sorted(us, key=us.get, reverse=True)}


def families(kinds: dict) -> dict:
    """Kinds summed by their first word (all depthwise strides and sizes together): time, share of time,
    share of the multiply-adds, rate."""
    total_mmac = sum(r["mmac"] for r in kinds.values())
    out: dict = defaultdict(lambda: {"ms": 0.0, "share": 0.0, "mmac": 0.0})
    for k, r in kinds.items():
        f = out[k.split()[0]]
        f["ms"] += r["ms"]
        f["share"] += r["share"]
        f["mmac"] += r["mmac"]
    return {k: {**f, "mac_share": f["mmac"] / total_mmac, "gmac_per_s": f["mmac"] / f["ms"] if f["mmac"] else None}
            for k, f in out.items()}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="python -m tests.bench.classifier_ops", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=40, help="timed runs per session (each session: plain, then profiled)")
    p.add_argument("--warmup", type=int, default=20, help="untimed runs first: V8 optimises the hot wasm functions")
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "bench" / "classifier_ops.json")
    args = p.parse_args(argv)
    m = json.loads((MODELS / "bears.json").read_text())
    v = m["variants"][m["default"]]
    payload = {"ort": ORT.as_uri(), "model": str(MODELS / v["model"]), "crop": m["preprocess"]["crop"],
               "extra": nested(v.get("session_config") or {}), "warmup": args.warmup, "runs": args.runs}
    proc = subprocess.run(["node", "--input-type=module", "-e", SCRIPT], input=json.dumps(payload),
                          capture_output=True, text=True, timeout=600, check=True)
    profile_text, times_text = proc.stdout.split("@@PROFILE@@", 1)[1].split("@@TIMES@@", 1)
    events = json.loads(profile_text[profile_text.index("["):profile_text.rindex("]") + 1])
    times = json.loads(times_text)
    kinds = breakdown(events, args.warmup)
    result = {"model": v["model"], "crop": payload["crop"], "node": times["node"], "threads": 1,
              "p50_ms_plain": statistics.median(times["plain"]), "p50_ms_profiled": statistics.median(times["profiled"]), "kinds": kinds,
              "families": families(kinds)}
    print(f"{v['model']} at {payload['crop']} px, onnxruntime-web wasm in Node {times['node']}, 1 thread: "
          f"p50 {result['p50_ms_plain']:.1f} ms (profiled {result['p50_ms_profiled']:.1f} ms)")
    print(f"{'kind':18} {'ms/run':>7} {'share':>6} {'MMAC':>7} {'GMAC/s':>7}")
    for k, r in kinds.items():
        rate = f"{r['gmac_per_s']:7.2f}" if r["gmac_per_s"] else "      -"
        print(f"{k:18} {r['ms']:7.2f} {100 * r['share']:5.1f}% {r['mmac']:7.1f} {rate}")
    print("  ".join(f"{k}: {100 * f['share']:.0f}% of the time, {100 * f['mac_share']:.0f}% of the work"
                    for k, f in result["families"].items()))
    print(f"wrote {write_json(args.out, result)}")
    return result


if __name__ == "__main__":
    main()
