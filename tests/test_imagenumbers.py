""""An image is numbers" (site_widgets/imagenumbers/, on production.md).

- Its DOM-free model in Node against PyTorch: softmax and cross-entropy on the shipped
  model's real logits for real photos (onnxruntime in Python), for every label, and on
  logits large enough to overflow e^z; what one byte becomes for the network against
  torchvision's ToTensor + Normalize; the zoom's patch against NumPy slicing.
- The drawn teddy it starts with is cropped by the classifier's preprocess.js exactly as
  Python crops the same pixels.
- The address state, with clear notes for values it cannot use.
- The widget in Chromium, one visit: nothing loads until the pointer comes to it, then the
  network scores the drawn teddy; a real photo given, the zoom moved by pointer and keyboard,
  a label picked: the drawn numbers are Python's pixels and onnxruntime's logits; a file that
  is no image refused with the reason; back to the teddy, scored as onnxruntime scores it.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from playwright.sync_api import expect

from tests.support import ROOT, run_node_modules

WIDGET = ROOT / "site_widgets" / "imagenumbers"
PREPROCESS = ROOT / "site_widgets" / "classifier"
MANIFEST = ROOT / "docs" / "assets" / "models" / "bears.json"
# The page runs the model in WebAssembly, Python natively: the float summation order differs
# (the photo below: logits 2e-6 apart, measured; both runs are deterministic, one thread).
LOGIT_TOL = 1e-3


def node(script: str, payload=None):
    return run_node_modules(WIDGET, ("model", "state"), script, payload)


@pytest.fixture(scope="module")
def manifest():
    return json.loads(MANIFEST.read_text())


def python_view(paths):
    """Python's crop bytes and the shipped model's outputs by name, for each photo."""
    from export.runtime import run_all
    from export.predict import Model

    model = Model(MANIFEST)
    pixels = np.stack([model.pixels(p) for p in paths]).astype(np.float32)
    outputs = dict(zip(model.outputs, run_all(model.session, pixels)))
    return np.rint(pixels * 255).astype(np.uint8), outputs


def test_softmax_and_cross_entropy_are_pytorchs_on_the_models_real_logits(bears_dir, manifest):
    photos = [sorted((bears_dir / lab).glob("*.jpg"))[i] for lab in manifest["labels"] for i in (0, 7)]
    _, out = python_view(photos)
    logits = out["logits"].astype(np.float64).tolist()
    logits += [[800.0, 0.0, -800.0], [-1000.0, -1000.0, -999.0]]  # e^z overflows / underflows in the first steps
    got = node("""console.log(JSON.stringify(input.map((z) => ({ s: model.softmaxSteps(z),
      ce: z.map((_, k) => model.crossEntropy(z, k)) }))));""", logits)
    z = torch.tensor(logits, dtype=torch.float64)
    want_p = torch.softmax(z, dim=1).numpy()
    for k in range(len(manifest["labels"])):
        want_ce = F.cross_entropy(z, torch.full((len(z),), k), reduction="none").numpy()
        np.testing.assert_allclose([g["ce"][k] for g in got], want_ce, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose([g["s"]["probs"] for g in got], want_p, rtol=1e-12, atol=1e-300)
    for g, row in zip(got[:-2], logits):  # the written-out steps, where e^z is a number
        np.testing.assert_allclose(g["s"]["exps"], np.exp(row), rtol=1e-14)
        assert g["s"]["sum"] == pytest.approx(np.exp(row).sum(), rel=1e-14)
    # the graph's own softmax output is the softmax of its logits output
    np.testing.assert_allclose(out["probabilities"], torch.softmax(torch.tensor(out["logits"]), 1).numpy(), atol=1e-6)
    assert len({int(np.argmax(r)) for r in out["logits"]}) > 1  # real, varied scores


def test_a_byte_becomes_what_torchvision_gives_the_network(manifest):
    from torchvision.transforms import functional as TF

    pre = manifest["preprocess"]
    img = torch.arange(256, dtype=torch.uint8).repeat(3, 1).reshape(3, 16, 16)
    want = TF.normalize(TF.convert_image_dtype(img, torch.float32), pre["mean"], pre["std"])[0].flatten().tolist()
    got = node("console.log(JSON.stringify([...Array(256).keys()].map((b) => model.normalise(b, input.mean[0], input.std[0]))));", pre)
    assert got == want  # bit for bit: both in float32


def test_the_zoom_patch_is_numpy_slicing_clipped_at_the_edges():
    rng = np.random.default_rng(0)
    size, r = 224, 3
    crop = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    points = [(0, 0), (112, 112), (223, 5), (220, 223)]
    got = node("""const rgb = Uint8Array.from(input.bytes);
      console.log(JSON.stringify(input.points.map(([x, y]) => model.patch(rgb, input.size, x, y, input.r))));""",
               {"bytes": crop.flatten().tolist(), "points": points, "size": size, "r": r})
    for (x, y), rows in zip(points, got):
        y0, x0 = max(0, y - r), max(0, x - r)
        want = crop[y0:y + r + 1, x0:x + r + 1]
        assert np.array([[c["rgb"] for c in row] for row in rows]).tolist() == want.tolist()
        assert rows[0][0]["x"] == x0 and rows[0][0]["y"] == y0


def drawn_teddy(manifest):
    """The widget's built-in picture (model.js) as a PIL image, and its crop by preprocess.js."""
    got = run_node_modules(WIDGET, ("model",), """
      const pre = await import(input.pre);
      const im = model.syntheticImage();
      const p = pre.prepare(im.rgba, im.width, im.height, input.preprocess);
      console.log(JSON.stringify({rgba: Array.from(im.rgba), width: im.width, height: im.height, crop: Array.from(p.rgb)}));""",
                           {"pre": (PREPROCESS / "preprocess.js").as_uri(), "preprocess": manifest["preprocess"]})
    img = Image.frombytes("RGBA", (got["width"], got["height"]), bytes(got["rgba"])).convert("RGB")
    return img, np.array(got["crop"], dtype=np.uint8)


def test_the_drawn_teddy_is_cropped_as_python_crops_it(manifest):
    from export.pixels import crop_pixels

    img, crop = drawn_teddy(manifest)
    want = np.rint(crop_pixels(img, manifest["preprocess"]) * 255).astype(np.uint8).transpose(1, 2, 0)
    crop = crop.reshape(want.shape)
    assert np.array_equal(crop, want)
    assert len(np.unique(crop.reshape(-1, 3), axis=0)) > 500  # a picture, not a flat colour


def test_state_from_the_address_with_clear_notes(manifest):
    labels = manifest["labels"]
    got = node("""const read = (q) => state.readState((n) => new URLSearchParams(q).get(n), input, 224);
      const a = read("pixel=10,200&label=teddy&show=inputs");
      const b = read("pixel=300,2&label=panda&show=hex");
      const c = read("pixel=abc");
      console.log(JSON.stringify({a, b, c, wa: state.writeState(a.state, input, 224), w0: state.writeState(read("").state, input, 224)}));""",
               labels)
    assert got["a"]["state"] == {"x": 10, "y": 200, "label": "teddy", "show": "inputs"} and got["a"]["notes"] == []
    assert got["b"]["state"] == {"x": 112, "y": 112, "label": labels[0], "show": "bytes"}
    notes = " ".join(got["b"]["notes"] + got["c"]["notes"])
    assert "pixel “300,2” is not x,y inside the 224 × 224 crop" in notes and "label “panda”" in notes
    assert "show “hex”" in notes and "pixel “abc”" in notes
    assert dict(got["wa"]) == {"pixel": "10,200", "label": "teddy", "show": "inputs"}
    assert all(v is None for _, v in got["w0"])  # the defaults leave the address clean


def cell_rgb(w):
    return {(int(c["x"]), int(c["y"])): [int(v) for v in c["rgb"].split(",")] for c in
            w.locator(".inum-cell").evaluate_all("els => els.map((e) => ({...e.dataset}))")}


def test_a_photo_zoomed_and_scored_is_pythons_pixels_and_logits(watched, site, bears_dir, manifest, tmp_path):
    photo = sorted((bears_dir / "grizzly").glob("*.jpg"))[3]
    crops, out = python_view([photo])
    crop = crops[0].transpose(1, 2, 0)  # (224, 224, 3) bytes
    labels, pre = manifest["labels"], manifest["preprocess"]
    page = watched.page
    page.goto(site.url + "production/?pixel=10,20&show=inputs")
    w = page.locator('[data-widget="imagenumbers"]')
    expect(w).to_have_attribute("data-phase", "ready", timeout=20000)
    assert (w.get_attribute("data-x"), w.get_attribute("data-y"), w.get_attribute("data-show")) == ("10", "20", "inputs")
    assert w.get_attribute("data-source") == "drawn" and w.get_attribute("data-scored") == "no"  # nothing loaded yet
    for x in (5, 60):  # the reader moves the pointer over the widget: the network loads and scores the drawn teddy
        w.locator(".inum-zoom").hover(position={"x": x, "y": 5})
    expect(w).to_have_attribute("data-scored", "yes", timeout=60000)
    # One model on the page: the classifier's worker serves both widgets.
    models = [u.url.rsplit("/", 2)[-2] for u in page.workers if u.url.endswith("/worker.js")]
    assert models == ["classifier"], models

    page.set_input_files("input.inum-file", str(photo))
    expect(w).to_have_attribute("data-source", "photo", timeout=20000)
    expect(w).to_have_attribute("data-scored", "yes", timeout=20000)

    # The zoom: a click on the crop, then the arrow keys (Shift: 8 pixels).
    canvas = w.locator("canvas.inum-crop")
    box = canvas.bounding_box()
    canvas.click(position={"x": box["width"] * 100.5 / 224, "y": box["height"] * 60.5 / 224})
    assert (w.get_attribute("data-x"), w.get_attribute("data-y")) == ("100", "60")
    for key in ["ArrowRight", "ArrowRight", "Shift+ArrowDown", "ArrowLeft", "ArrowDown"]:
        page.keyboard.press(key)
    x, y = 101, 69
    assert (w.get_attribute("data-x"), w.get_attribute("data-y")) == (str(x), str(y))
    cells = cell_rgb(w)
    assert len(cells) == 49 and all(cells[(cx, cy)] == crop[cy, cx].tolist() for cx, cy in cells)
    inputs = ((crop[y, x].astype(np.float32) / np.float32(255) - np.float32(pre["mean"][0])) / np.float32(pre["std"][0]))
    rows = w.locator(".inum-detail tr[data-channel]").evaluate_all("els => els.map((e) => ({...e.dataset}))")
    assert [int(r["byte"]) for r in rows] == crop[y, x].tolist()
    assert [float(r["input"]) for r in rows] == pytest.approx(inputs.tolist(), abs=1e-7)
    here = w.locator(".inum-cell.inum-here span").all_text_contents()
    assert here == [f"{v:.2f}".replace("-", "\u2212") for v in inputs]  # the zoom writes the network's inputs
    w.locator("select.inum-select").select_option("bytes")
    assert w.locator(".inum-cell.inum-here span").all_text_contents() == [str(v) for v in crop[y, x]]

    # The scores: onnxruntime's logits, the softmax and the loss of the label picked.
    w.get_by_label("teddy", exact=True).check()
    expect(w).to_have_attribute("data-label", "teddy")
    shown = w.locator(".inum-scores tr[data-label]").evaluate_all("els => els.map((e) => ({...e.dataset}))")
    assert [r["label"] for r in shown] == labels
    z = np.array([float(r["logit"]) for r in shown])
    np.testing.assert_allclose(z, out["logits"][0], atol=LOGIT_TOL)
    zt = torch.tensor(z, dtype=torch.float64)
    np.testing.assert_allclose([float(r["prob"]) for r in shown], torch.softmax(zt, 0).numpy(), rtol=1e-12)
    loss = float(w.locator(".inum-loss").get_attribute("data-loss"))
    k = labels.index("teddy")
    assert loss == pytest.approx(F.cross_entropy(zt[None], torch.tensor([k])).item(), rel=1e-12)
    python_loss = F.cross_entropy(torch.tensor(out["logits"]), torch.tensor([k])).item()
    assert loss == pytest.approx(python_loss, abs=LOGIT_TOL)
    page.wait_for_function("new URLSearchParams(location.search).get('label') === 'teddy'")  # once the pointer rests
    query = parse_qs(urlsplit(page.url).query)
    assert query["pixel"] == [f"{x},{y}"] and query["label"] == ["teddy"] and "show" not in query

    # A file that is no image is refused with the reason; the photo stays.
    (tmp_path / "notes.jpg").write_text("not a photo at all")
    page.set_input_files("input.inum-file", str(tmp_path / "notes.jpg"))
    expect(w.locator(".widget-error")).to_contain_text("is a text file, not an image")
    assert w.get_attribute("data-source") == "photo" and cell_rgb(w)[(x, y)] == crop[y, x].tolist()

    # Back to the drawn teddy: its scores are onnxruntime's for the same pixels.
    from export.pixels import crop_pixels
    from export.predict import Model
    from export.runtime import run_all

    teddy = Model(MANIFEST)
    teddy_px = crop_pixels(drawn_teddy(manifest)[0], teddy.preprocess)[None]
    teddy_out = dict(zip(teddy.outputs, run_all(teddy.session, teddy_px)))
    w.get_by_role("button", name="Use the drawn teddy").click()
    expect(w).to_have_attribute("data-source", "drawn")
    expect(w).to_have_attribute("data-scored", "yes", timeout=20000)
    z = [float(v) for v in w.locator(".inum-scores tr[data-label]").evaluate_all("els => els.map((e) => e.dataset.logit)")]
    np.testing.assert_allclose(z, teddy_out["logits"][0], atol=LOGIT_TOL)
