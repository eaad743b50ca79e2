"""Would another WebAssembly runtime meet the 20 ms target? The shipped body in TensorFlow.js (not a test).

    npm install --no-save @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0   # once; not a site dependency
    python -m tests.bench.classifier_runtimes [--sessions 3] [--runs 60]

tests/bench/classifier_ops.py shows the depthwise convolutions taking 39% of onnxruntime-web's
time for 9% of the work. TensorFlow.js's wasm backend runs convolutions with XNNPACK, whose
depthwise kernels are vectorised. This bench runs the same network in both, in headless
Chromium, one thread, on the page's main thread (like for like: no worker for either):

- onnxruntime-web: the shipped file and session settings, as the site serves them;
- TensorFlow.js 4.22 (wasm, SIMD): the shipped body rebuilt from the PyTorch weights (BatchNorm
  folded into the convolutions, NHWC), checked against PyTorch's features on the same input.

Each figure comes from --sessions fresh browsers per runtime, taken in turns; after --warmup
untimed runs, the median of --runs. Only the body is timed in TensorFlow.js (the head and the
decision rule are under 2% of onnxruntime-web's time, classifier_ops.py), so the comparison
slightly favours it. Writes runs/bench/classifier_runtimes.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from playwright.sync_api import sync_playwright

from tests.bench.classifier_ops import nested
from tests.support import CHROMIUM, CHROMIUM_ARGS, ROOT, SUBPATH, start_server
from training.bears.model import build_model
from training.bears.report import write_json

MODELS = ROOT / "docs" / "assets" / "models"
TFJS = ROOT / "node_modules" / "@tensorflow"
ORT = ROOT / "node_modules" / "onnxruntime-web" / "dist"
INSTALL = "npm install --no-save @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0"

# Both pages define bench(warmup, runs) -> {ms: [each timed run], ...}; their files sit beside them.
TFJS_PAGE = """<!doctype html><meta charset="utf-8"><title>tfjs</title>
<script src="tf-core.min.js"></script><script src="tf-backend-wasm.min.js"></script>
<script>
async function bench(warmup, runs) {
  tf.wasm.setWasmPaths(new URL("./", location.href).href);
  await tf.setBackend("wasm"); await tf.ready();
  const spec = await (await fetch("lite.json")).json();
  const all = new Float32Array(await (await fetch("lite.bin")).arrayBuffer());
  const T = ([o, shape]) => tf.tensor(all.subarray(o, o + shape.reduce((a, b) => a * b, 1)), shape);
  const prep = (c) => c && { ...c, W: T(c.w), B: T(c.b) };
  const layers = spec.layers.map((l) => ({ ...l, conv: prep(l.conv), expand: prep(l.expand), dw: prep(l.dw), project: prep(l.project) }));
  const conv = (x, c) => {
    const a = { x, filter: c.W, strides: c.stride, pad: "same", bias: c.B, activation: c.relu6 ? "relu6" : "linear" };
    return c.depthwise ? tf.fused.depthwiseConv2d(a) : tf.fused.conv2d(a);
  };
  const forward = (x) => tf.tidy(() => {
    for (const l of layers) {
      if (l.conv) { x = conv(x, l.conv); continue; }
      let y = l.expand ? conv(x, l.expand) : x;
      y = conv(conv(y, l.dw), l.project);
      x = l.skip ? tf.add(y, x) : y;
    }
    return tf.mean(x, [1, 2]);
  });
  const x = tf.tensor(spec.x, [1, spec.size, spec.size, 3]);
  const once = async () => { const y = forward(x); const d = await y.data(); y.dispose(); return d; };
  const got = await once();
  const diff = Math.max(...Array.from(got, (v, i) => Math.abs(v - spec.features[i])));
  for (let i = 0; i < warmup; i++) await once();
  const ms = [];
  for (let i = 0; i < runs; i++) { const t = performance.now(); await once(); ms.push(performance.now() - t); }
  return { ms, max_abs_diff_vs_pytorch: diff, simd: tf.env().getBool("WASM_HAS_SIMD_SUPPORT") };
}
</script>"""

ORT_PAGE = """<!doctype html><meta charset="utf-8"><title>ort</title>
<script type="module">
import * as ort from "./ort.wasm.min.mjs";
window.bench = async (warmup, runs) => {
  const spec = await (await fetch("ort.json")).json();
  ort.env.wasm.wasmPaths = new URL("./", location.href).href;
  ort.env.wasm.numThreads = 1;
  const bytes = new Uint8Array(await (await fetch(spec.model)).arrayBuffer());
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all",
                                                       extra: spec.extra });
  const n = spec.size;
  const feeds = { [s.inputNames[0]]: new ort.Tensor("float32", new Float32Array(3 * n * n).fill(0.5), [1, 3, n, n]) };
  for (let i = 0; i < warmup; i++) await s.run(feeds);
  const ms = [];
  for (let i = 0; i < runs; i++) { const t = performance.now(); await s.run(feeds); ms.push(performance.now() - t); }
  return { ms };
};
</script>"""


def folded(conv: torch.nn.Conv2d, bn: torch.nn.BatchNorm2d) -> tuple[np.ndarray, np.ndarray]:
    """Conv + BatchNorm (eval) -> one convolution's (weight, bias)."""
    scale = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach()
    w = (conv.weight.detach() * scale[:, None, None, None]).numpy()
    b = (bn.bias.detach() - bn.running_mean * scale).numpy()
    return w, b


class Weights:
    """One float32 blob; each tensor is [offset, shape] into it."""

    def __init__(self):
        self.parts, self.size = [], 0

    def add(self, a: np.ndarray) -> list:
        a = np.ascontiguousarray(a, dtype=np.float32)
        self.parts.append(a.tobytes())
        self.size += a.size
        return [self.size - a.size, list(a.shape)]


def conv_spec(weights: Weights, conv, bn, relu6: bool, depthwise: bool = False) -> dict:
    w, b = folded(conv, bn)
    # PyTorch (out, in/groups, kh, kw) -> TensorFlow (kh, kw, in, out); depthwise (kh, kw, channels, 1)
    w = w.transpose(2, 3, 0, 1) if depthwise else w.transpose(2, 3, 1, 0)
    return {"w": weights.add(w), "b": weights.add(b), "stride": int(conv.stride[0]), "relu6": relu6, "depthwise": depthwise}


def lite_spec(net, size: int, folder: Path) -> None:
    """An EfficientNet-Lite body (efficientnet_lite_pytorch) -> lite.json + lite.bin in `folder`, with
    PyTorch's pooled features for a seeded input, for the parity check."""
    weights = Weights()
    layers = [{"conv": conv_spec(weights, net._conv_stem, net._bn0, True)}]
    for blk in net._blocks:
        a = blk._block_args
        layers.append({"expand": conv_spec(weights, blk._expand_conv, blk._bn0, True) if a.expand_ratio != 1 else None,
                       "dw": conv_spec(weights, blk._depthwise_conv, blk._bn1, True, depthwise=True),
                       "project": conv_spec(weights, blk._project_conv, blk._bn2, False),
                       "skip": bool(blk.id_skip and a.stride == 1 and a.input_filters == a.output_filters)})
    layers.append({"conv": conv_spec(weights, net._conv_head, net._bn1, True)})
    x = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.no_grad():
        features = net.extract_features(x).mean((2, 3))[0]
    (folder / "lite.bin").write_bytes(b"".join(weights.parts))
    (folder / "lite.json").write_text(json.dumps({"size": size, "layers": layers,
                                                  "x": x.permute(0, 2, 3, 1).flatten().tolist(),
                                                  "features": features.tolist()}))


def site(folder: Path, manifest: dict) -> None:
    """Both pages, the runtimes' files and the model, flat in `folder`."""
    v = manifest["variants"][manifest["default"]]
    for f in ["tfjs-core/dist/tf-core.min.js", "tfjs-backend-wasm/dist/tf-backend-wasm.min.js",
              *(p.relative_to(TFJS).as_posix() for p in (TFJS / "tfjs-backend-wasm" / "dist").glob("*.wasm"))]:
        shutil.copy(TFJS / f, folder)
    for f in ["ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"]:
        shutil.copy(ORT / f, folder)
    shutil.copy(MODELS / v["model"], folder)
    (folder / "ort.json").write_text(json.dumps({"model": v["model"], "size": manifest["preprocess"]["crop"], "extra": nested(v.get("session_config") or {})}))
    (folder / "tfjs.html").write_text(TFJS_PAGE)
    (folder / "ort.html").write_text(ORT_PAGE)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="python -m tests.bench.classifier_runtimes", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sessions", type=int, default=3, help="fresh browsers per runtime, taken in turns")
    p.add_argument("--warmup", type=int, default=20, help="untimed runs first (V8 optimises the hot wasm functions)")
    p.add_argument("--runs", type=int, default=60, help="timed runs per browser")
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "bench" / "classifier_runtimes.json")
    args = p.parse_args(argv)
    if not (TFJS / "tfjs-backend-wasm" / "dist").is_dir():
        sys.exit(f"TensorFlow.js is not installed (it is not a dependency of the site). Once: {INSTALL}")
    manifest = json.loads((MODELS / "bears.json").read_text())
    size = manifest["preprocess"]["crop"]
    sessions: dict = {"onnxruntime-web": [], "tfjs-wasm": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        site(folder, manifest)
        lite_spec(build_model(manifest["arch"], len(manifest["labels"])).body.net.eval(), size, folder)
        server, httpd = start_server(folder)
        base = f"http://127.0.0.1:{httpd.server_address[1]}{SUBPATH}"
        try:
            with sync_playwright() as pw:
                for s in range(args.sessions):
                    for name, page in (("onnxruntime-web", "ort.html"), ("tfjs-wasm", "tfjs.html")):
                        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                        tab = browser.new_page()
                        tab.goto(base + page)
                        tab.wait_for_function("typeof bench === 'function'")
                        r = tab.evaluate("([w, n]) => bench(w, n)", [args.warmup, args.runs])
                        browser.close()
                        r["p50_ms"] = statistics.median(r["ms"])
                        sessions[name].append(r)
                        print(f"  session {s + 1}/{args.sessions} {name}: p50 {r['p50_ms']:.1f} ms", flush=True)
        finally:
            httpd.shutdown()
    result = {"arch": manifest["arch"], "crop": size, "threads": 1, "where": "page main thread, headless Chromium",
              "runtimes": {name: {"p50_ms": statistics.median(t for r in rs for t in r["ms"]),
                                  "session_p50_ms": [r["p50_ms"] for r in rs],
                                  **({"max_abs_diff_vs_pytorch": max(r["max_abs_diff_vs_pytorch"] for r in rs),
                                      "simd": rs[0]["simd"]} if name == "tfjs-wasm" else {})}
                           for name, rs in sessions.items()}}
    ort_ms, tf_ms = (result["runtimes"][k]["p50_ms"] for k in ("onnxruntime-web", "tfjs-wasm"))
    result["speedup"] = ort_ms / tf_ms
    print(f"{manifest['arch']} at {size} px, 1 thread: onnxruntime-web {ort_ms:.1f} ms, TensorFlow.js wasm (XNNPACK) "
          f"{tf_ms:.1f} ms ({result['speedup']:.2f}x); TensorFlow.js features vs PyTorch: max |diff| "
          f"{result['runtimes']['tfjs-wasm']['max_abs_diff_vs_pytorch']:.1e}; target <= 20 ms")
    print(f"wrote {write_json(args.out, result)}")
    return result


if __name__ == "__main__":
    main()
