"""The shared ONNX worker (site_widgets/onnx/: engine.js in a module worker, client.js on the
page) in headless Chromium, with the committed model: what the classifier uses and what a
page that computes activations in batches will use.

- load from a manifest (sha256-checked), run named inputs, the same model again is the same
- batches: outputs equal one call per item, progress after each call, cancellable between
  calls with an AbortSignal, the worker usable afterwards
- errors keep their name (IntegrityError) and say when a download failed
- warm-up runs go on in the background after a load with `warm`, give way to a run asked for
  meanwhile, and change no output
"""

from __future__ import annotations

import json

from tests.support import ROOT

SCRIPT = """async () => {
  const root = new URL("../", location.href);
  const { OnnxClient } = await import(new URL("assets/widgets/onnx/client.js", root).href);
  const onnx = new OnnxClient(new Worker(new URL("assets/widgets/onnx/worker.js", root), { type: "module" }));
  const manifest = new URL("assets/models/bears.json", root).href;
  const out = {};
  try {
    const info = await onnx.load({ key: "bears", manifest });
    const again = await onnx.load({ key: "bears", manifest });
    const crop = info.manifest.preprocess.crop, per = 3 * crop * crop, n = 5;
    out.info = { variant: info.variant, threads: info.threads, inputs: info.inputNames, outputs: info.outputNames,
                 same: again.timings.total_ms === info.timings.total_ms };
    const data = new Float32Array(n * per);
    for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 1000) / 1000;
    const input = info.manifest.input.name, output = info.manifest.output.name;
    const singles = [];
    for (let i = 0; i < n; i++) {
      const r = await onnx.run("bears", { [input]: { type: "float32", dims: [1, 3, crop, crop], data: data.slice(i * per, (i + 1) * per) } });
      singles.push(...r.outputs[output].data);
    }
    const progress = [];
    const all = await onnx.batches("bears", { [input]: { type: "float32", dims: [n, 3, crop, crop], data } },
                                   { batch: 2, onProgress: (p) => progress.push(p.done) });
    out.batches = { dims: all.outputs[output].dims, calls: all.ms.length, progress,
                    maxDiff: Math.max(...Array.from(all.outputs[output].data, (v, i) => Math.abs(v - singles[i]))) };
    // Cancel after the first call of a long batch job.
    const big = new Float32Array(40 * per);
    const controller = new AbortController();
    const seen = [];
    try {
      await onnx.batches("bears", { [input]: { type: "float32", dims: [40, 3, crop, crop], data: big } },
                         { batch: 1, signal: controller.signal, onProgress: (p) => { seen.push(p.done); controller.abort(); } });
      out.cancel = "not cancelled";
    } catch (err) {
      out.cancel = err.name;
    }
    const after = await onnx.run("bears", { [input]: { type: "float32", dims: [1, 3, crop, crop], data: data.slice(0, per) } });
    out.afterCancel = { seen, ok: Math.abs(after.outputs[output].data[0] - singles[0]) < 1e-6 };
    // Warm-up: up to 20 runs on a black image in the background; a run asked for meanwhile goes first.
    await onnx.load({ key: "warm", manifest, warm: 20 });
    const during = await onnx.run("warm", { [input]: { type: "float32", dims: [1, 3, crop, crop], data: data.slice(0, per) } });
    const warmth = await onnx.warmth("warm");
    out.warm = { ...warmth, same: Math.max(...Array.from(during.outputs[output].data, (v, i) => Math.abs(v - singles[i]))),
                 released: await onnx.release("warm") };
    // A manifest whose sha256 does not match: refused with its name kept.
    try {
      await onnx.load({ key: "bad", manifest: URL.createObjectURL(new Blob([JSON.stringify({ ...info.manifest,
        variants: { x: { ...info.entry, model: new URL(info.entry.model, manifest).href, sha256: "00".repeat(32) } }, default: "x" })],
        { type: "application/json" })) });
      out.integrity = "accepted";
    } catch (err) {
      out.integrity = [err.name, err.download];
    }
    try {
      await onnx.load({ key: "gone", manifest: new URL("assets/models/nothing.json", root).href });
    } catch (err) {
      out.missing = [err.message, err.download];
    }
    out.released = await onnx.release("bears");
  } finally {
    onnx.terminate();
  }
  return out;
}"""


def test_load_run_batches_cancel_and_errors(watched, site):
    page = watched.page
    watched.allow_console_error(r"404")
    page.goto(site.url + "production/")
    page.wait_for_selector("[data-widget=classifier][data-mounted=yes]")
    got = page.evaluate(SCRIPT)
    assert got["info"]["threads"] == 1 and got["info"]["same"] is True
    manifest = json.loads((ROOT / "docs" / "assets" / "models" / "bears.json").read_text())
    # every output the graph has (probabilities first; the decision rule's, the trainer's feature map...)
    assert got["info"]["inputs"] == [manifest["input"]["name"]] and got["info"]["outputs"] == list(manifest["outputs"])
    b = got["batches"]
    assert b["dims"] == [5, 3] and b["calls"] == 3 and b["progress"] == [2, 4, 5]
    assert b["maxDiff"] < 1e-5, b
    assert got["cancel"] == "AbortError"
    assert got["afterCancel"]["ok"] and len(got["afterCancel"]["seen"]) == 1
    assert got["integrity"] == ["IntegrityError", False]
    assert "could not load" in got["missing"][0] and "HTTP 404" in got["missing"][0] and got["missing"][1] is True
    assert got["released"] is True
    w = got["warm"]
    assert w["same"] < 1e-6 and w["released"] is True, w
    # The run waited for at most the warm-up in progress (and its look at the queue), not for 20.
    assert len(w["warm_ms"]) <= 3 and w["runs"] >= len(w["warm_ms"]) + 1, w
