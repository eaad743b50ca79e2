"""The trainer page's DOM-free parts in Node (no browser): body.js, myhead.js, state.js.

- body.js reads everything about the body from the manifest (crop, resize, feature map,
  input name) and says clearly when the site's model has no feature output
- myhead.js keeps the reader's head for the classifier, says when storage is full, and a
  head only fits the body (by SHA-256) it was trained on
- state.js runs the loop on real photo files (bring -> split -> activations -> lr finder ->
  fit -> out-of-fold ranking -> retrain) with the storage in memory; the activations come
  from a stand-in for the Web Workers (Node has none), which fails once like a failed model
  download: the page says so, keeps the photos, and Retry carries on; Cancel says it was
  cancelled; a photo the browser cannot decode is left out and the split made again;
  the session is saved and a new page restores it

The same steps with the real workers and the real network run in tests/test_trainer_page.py.
"""

from __future__ import annotations

import pytest

from tests.support import ROOT, run_node_modules

TRAINER = ROOT / "site_widgets" / "trainer"


def node(script: str, payload=None, names=("body", "myhead", "state", "store")):
    return run_node_modules(TRAINER, names, "const out = (v) => console.log(JSON.stringify(v));\n" + script, payload)


def manifest(crop=224, features=True) -> dict:
    m = {"model": "m.onnx", "sha256": "ab" * 32, "default": "fp32", "variants": {"fp32": {"model": "m.onnx", "sha256": "ab" * 32}},
         "labels": ["a", "b"], "arch": "efficientnet_lite0", "input": {"name": "image"},
         "preprocess": {"resize": crop, "crop": crop, "mean": [0.5] * 3, "std": [0.5] * 3, "normalization": "inside the graph"}}
    if features:
        m["features"] = {"name": "features", "shape": ["N", 8, 5, 5], "channels": 8, "height": 5, "width": 5}
    return m


def test_the_body_follows_the_manifest():
    got = node("""
      const b = body.readBody(input.m160, "https://x/assets/models/bears.json");
      const outside = body.readBody({...input.m160, preprocess: {...input.m160.preprocess, normalization: "by the caller"}}, "u");
      const px = body.standardize(Float32Array.from([0, 0.5, 1, 0, 0.5, 1]), 2, {mean: [0.5, 0.5, 0], std: [0.5, 0.25, 1]});
      let missing = null;
      try { body.readBody(input.old, "u"); } catch (e) { missing = [e.name, e.message]; }
      out({crop: b.crop, resize: b.resize, nFeatures: b.nFeatures, features: b.features, input: b.inputName,
           pre: b.describe.preprocess, missing, inside: b.normalize, outside: outside.normalize, px: Array.from(px)});""", {"m160": manifest(160), "old": manifest(features=False)})
    assert (got["crop"], got["resize"], got["nFeatures"], got["input"]) == (160, 160, 8, "image")
    assert got["features"] == {"name": "features", "channels": 8, "height": 5, "width": 5}
    assert got["pre"]["mean"] == [0.5] * 3  # head.json records the body's preprocessing as published
    # the published graphs normalize their 0..1 input; a manifest that says otherwise is followed
    assert got["inside"] is None and got["outside"] == {"mean": [0.5] * 3, "std": [0.5] * 3}
    assert got["px"] == [-1, 0, 2, -2, 0.5, 1]
    assert got["missing"][0] == "BodyError" and "no feature output" in got["missing"][1]


def test_my_head_is_kept_for_the_classifier_and_fits_only_its_body():
    got = node("""
      const mem = new Map();
      const ok = {getItem: (k) => mem.get(k) ?? null, setItem: (k, v) => mem.set(k, v), removeItem: (k) => mem.delete(k)};
      const full = {...ok, setItem: () => { throw new DOMException("full", "QuotaExceededError"); }};
      const head = {format: "lesson2-head/1", labels: ["cat", "dog"], n_features: 2, weight: [[1, 0], [0, 1]], bias: [0, 0],
                    body: {sha256: "s1", features: {name: "features", channels: 2, height: 1, width: 1}}};
      const saved = myhead.saveMyHead(head, ok);
      const loaded = myhead.loadMyHead(ok);
      const probs = Array.from(myhead.headProbs(loaded, Float32Array.from([2, 0])));
      out({saved, refused: myhead.saveMyHead(head, full), blocked: myhead.saveMyHead(head, () => { throw new Error("no"); }),
           labels: loaded.labels, fits: myhead.fits(loaded, "s1"), other: myhead.fits(loaded, "s2"), probs,
           broken: (ok.setItem(myhead.MY_HEAD_KEY, "{"), myhead.loadMyHead(ok))});""")
    assert got["saved"] == {"ok": True, "problem": None} and got["labels"] == ["cat", "dog"]
    assert got["refused"]["ok"] is False and "full" in got["refused"]["problem"]
    assert got["blocked"]["ok"] is False and "store" in got["blocked"]["problem"]
    assert (got["fits"], got["other"], got["broken"]) == (True, False, None)
    assert got["probs"] == pytest.approx([0.8808, 0.1192], abs=1e-4)


STATE_LOOP = """
const files = input.photos.map((p) => new File([Buffer.from(p.b64, "base64")], p.name));
const byLabel = new Map();
const entries = input.photos.map((p, i) => ({ file: files[i], path: `mine/${p.label}/${p.name}` }));
const F = 8;
// The workers' stand-in: label-dependent activations; fails the first call like a failed download;
// reports one photo as undecodable.
let calls = 0, inspectCalls = 0;
const extractor = {
  async run(photos, { cache, signal, onProgress }) {
    calls++;
    if (calls === 1) { const e = new Error("bears.onnx: HTTP 503"); e.download = true; throw e; }
    const features = new Map(), failed = new Map();
    let computed = 0;
    for (const p of photos) {
      signal.throwIfAborted();
      const lab = input.labelOf[p.sha256];
      if (p.sha256 === input.undecodable) { failed.set(p.sha256, "the browser could not decode it"); continue; }
      const cached = await cache.get(p.sha256);
      if (cached) { features.set(p.sha256, cached); continue; }
      const v = new Float32Array(F);
      for (let j = 0; j < F; j++) v[j] = (j % 3 === lab ? 2 : 0) + ((parseInt(p.sha256.slice(2 * j, 2 * j + 2), 16) / 255) - 0.5);
      await cache.put(p.sha256, v);
      features.set(p.sha256, v); computed++;
      onProgress({ done: features.size, total: photos.length });
    }
    return { features, failed, cached: features.size - computed, computed, ms: 10 };
  },
  // the reading worker failing to start (offline, say): the files are read on the page instead
  async inspect() { inspectCalls++; throw Object.assign(new Error("the model worker could not start"), { download: true }); },
  dispose() {},
};
const backend = store.memoryBackend();
const theBody = body.readBody(input.manifest, "https://x/assets/models/bears.json");
const mk = () => new state.TrainerState({ body: theBody, extractor, cache: store.activationCache(backend, { modelSha256: theBody.sha256, crop: 224, nFeatures: F }),
  sessions: store.sessionStore(backend), saveHead: () => ({ ok: true }),
  cleaner: (list) => ({ state: { marks: new Map([[list.top_losses[0].file, { action: "delete" }]]) } }) });
const st = mk();
await st.bring(entries, { replace: true });
const afterFail = { error: st.s.error, lastStep: st.s.lastStep, photos: st.s.photos.length, split: Boolean(st.s.split) };
await st.retry();
const afterRetry = { error: st.s.error, photos: st.s.photos.length, left: st.s.check.left.map((l) => l.kind),
                     train: st.s.split.train.length, valid: st.s.split.valid.length, suggested: st.s.lr?.suggested_lr ?? null };
await st.fit();
const fit = { acc: st.s.interp.accuracy, ranked: st.s.suspects.top_losses.length, head: st.s.headJson?.labels };
await st.retrain();
const retrain = { before: st.s.before?.marks, after: st.s.after?.interp.n };
// Cancel: a fit stopped as it runs
const running = st.fit();
st.cancel();
await running;
const cancelled = st.s.notice;
const again = mk();
await again.restore();
out({ afterFail, afterRetry, fit, retrain, cancelled, restored: again.s.restored?.session?.files.length ?? null, calls, inspectCalls });
"""


def test_the_state_runs_the_loop_on_real_files_with_a_failed_download_and_a_cancel(bears_dir):
    import base64
    import hashlib

    labels = ["black", "grizzly", "teddy"]
    photos = []
    for k, lab in enumerate(labels):
        for f in sorted((bears_dir / lab).glob("*.jpg"))[:12]:
            b = f.read_bytes()
            photos.append({"name": f.name, "label": lab, "b64": base64.b64encode(b).decode(), "sha": hashlib.sha256(b).hexdigest(), "k": k})
    payload = {"photos": photos, "labelOf": {p["sha"]: p["k"] for p in photos}, "undecodable": photos[5]["sha"]}
    payload["manifest"] = manifest()
    got = node(STATE_LOOP, payload, names=("state", "store", "body"))
    assert got["afterFail"]["lastStep"] == "extracting"  # what shows the Retry button
    assert "could not be downloaded" in got["afterFail"]["error"] and "Retry" in got["afterFail"]["error"]
    assert got["afterFail"]["photos"] == 36 and got["afterFail"]["split"]  # nothing lost
    r = got["afterRetry"]
    assert r["error"] is None and r["photos"] == 35 and r["left"] == ["undecodable"]
    assert r["train"] + r["valid"] == 35 and r["suggested"] > 0
    assert 0 <= got["fit"]["acc"] <= 1 and got["fit"]["ranked"] == 35 and got["fit"]["head"] == labels
    assert got["retrain"]["before"] == 1 and got["retrain"]["after"] in (r["valid"], r["valid"] - 1)  # one photo deleted
    assert "ancel" in got["cancelled"]
    assert got["restored"] == 35 and got["calls"] == 2
    assert got["inspectCalls"] == 2  # the reading worker was asked (36 files: 2 requests), then the page read them
