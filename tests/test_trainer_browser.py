"""The trainer core in headless Chromium (no site build: site_widgets/ served as it is).

- idb.js, store.js's IndexedDB backend: activations (one by one, and a batch in one
  transaction) and the session survive closing and reopening the database (what a reload does)
- the DOM-free modules run in a module Web Worker, as the page will run them: a split, a
  seeded head fit and a SHA-256 there equal the same calls in Node (the fit's losses to the
  last bit or two: JavaScript engines may round Math.exp and Math.log differently)
"""

from __future__ import annotations

import pytest

from tests.support import ROOT, start_server
from tests.test_trainer_core import node


@pytest.fixture(scope="module")
def widgets_page(browser):
    site, httpd = start_server(ROOT / "site_widgets")
    page = browser.new_page()
    page.goto(site.url + "trainer/store.js")  # any same-origin document: modules are imported from the page
    yield page, site.url + "trainer/"
    page.close()
    httpd.shutdown()


def test_indexeddb_backend_keeps_activations_and_the_session_across_reopening(widgets_page):
    page, _ = widgets_page
    got = page.evaluate("""async () => {
      const { openIdb } = await import("./idb.js");
      const store = await import("./store.js");
      indexedDB.deleteDatabase("trainer-test");
      const be = await openIdb("trainer-test");
      const cache = store.activationCache(be, {modelSha256: "m", crop: 224, nFeatures: 3});
      const put = await cache.put("photo", new Float32Array([1, 2, 3]));
      const many = await cache.putMany([["p1", new Float32Array([4, 5, 6])], ["p2", new Float32Array([7, 8, 9])]]);
      const saved = await store.sessionStore(be).save(store.makeSession({modelSha256: "m", crop: 224, labels: ["a", "b"],
        files: [{file: "a/1.jpg", label: "a", sha256: "photo"}], marks: {"a/1.jpg": {action: "delete"}}, lr: 0.003}));
      be.close();
      const again = await openIdb("trainer-test");
      const feats = await store.activationCache(again, {modelSha256: "m", crop: 224, nFeatures: 3}).get("photo");
      const other = await store.activationCache(again, {modelSha256: "m", crop: 192}).get("photo");
      const both = await store.activationCache(again, {modelSha256: "m", crop: 224, nFeatures: 3}).getMany(["p1", "p2", "p3"]);
      const session = await store.sessionStore(again).load({modelSha256: "m"});
      again.close();
      indexedDB.deleteDatabase("trainer-test");
      return {put, many, both: Object.fromEntries([...both].map(([k, v]) => [k, Array.from(v)])), saved, feats: feats && Array.from(feats), isF32: feats instanceof Float32Array, other,
              session: session.session, state: cache.status().state};
    }""")
    assert got["put"] and got["saved"]["saved"] and got["state"] == "on"
    assert got["feats"] == [1, 2, 3] and got["isF32"] and got["other"] is None
    assert got["many"] and got["both"] == {"p1": [4, 5, 6], "p2": [7, 8, 9]}  # putMany: one transaction
    assert got["session"]["marks"] == {"a/1.jpg": {"action": "delete"}} and got["session"]["lr"] == 0.003


def test_the_core_runs_in_a_module_worker_as_in_node(widgets_page):
    page, base = widgets_page
    script = """
      const names = ["a/1.jpg", "a/2.jpg", "a/3.jpg", "b/1.jpg", "b/2.jpg", "b/3.jpg", "b/4.jpg"];
      const s = split.split(names, names.map((n) => n[0]), {validPct: 0.3, seed: 7});
      const F = 8;
      const feats = Float32Array.from({length: 7 * F}, (_, i) => Math.sin(i));
      const rows = data.dataset(feats, [0, 0, 0, 1, 1, 1, 1], F);
      const h = head.linearHead(F, 2, {seed: 3});
      const hist = await fit.fitOneCycle(h, {train: rows, epochs: 3, bs: 2, dropout: 0.2, seed: 5});
      const sha = await hash.sha256Hex(new TextEncoder().encode("bear"));
      const result = {valid: s.valid, losses: hist.batches.map((b) => b.loss), w: Array.from(h.weight), sha};
    """
    imports = "".join(f'import * as {m} from "{base}{m}.js";\n' for m in ("split", "data", "head", "fit", "hash"))
    got = page.evaluate("""([code]) => new Promise((resolve, reject) => {
      const url = URL.createObjectURL(new Blob([code], {type: "text/javascript"}));
      const w = new Worker(url, {type: "module"});
      w.onmessage = (e) => { w.terminate(); resolve(e.data); };
      w.onerror = (e) => reject(new Error(e.message));
    })""", [imports + "(async () => {" + script + "postMessage(result); })();"])
    want = node(script + "out(result);")
    assert (got["valid"], got["sha"]) == (want["valid"], want["sha"])
    # Math.exp and Math.log need not be correctly rounded: Chromium's V8 and Node's differ in the last bit
    assert got["losses"] == pytest.approx(want["losses"], rel=1e-12)
    assert got["w"] == pytest.approx(want["w"], rel=1e-6)
