"""The classifier's DOM-free modules, run in Node against Python as the reference.

- preprocess.js resizes and crops bit-identically to PIL + torchvision
  (Resize(shorter side, bilinear, antialias) -> CenterCrop), on real photos and
  on random images of awkward sizes (odd, tiny, 1x1, extreme aspect ratios)
- flattenOnWhite equals Pillow's paste-with-alpha onto white
- sniff.js reads format, size, bit depth, colour model, frames, orientation and
  truncation from files PIL writes
- integrity.js hashes like hashlib; decision.js ranks and flags uncertainty, with the
  threshold from the manifest
- decode.js refuses by file size and by the memory a decode would take on this device
- state.js: every file given gets an answer, in order; a model that cannot load stops a batch
- onnx/manifest.js: variant choice, session options, threads
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from torchvision import transforms as T

from tests.support import ROOT, run_node_modules

WIDGET = ROOT / "site_widgets" / "classifier"
ONNX = ROOT / "site_widgets" / "onnx"


def node(script: str, payload=None) -> object:
    """Run an ES-module snippet with this widget's DOM-free modules imported (tests/support.py)."""
    return run_node_modules(WIDGET, ("preprocess", "sniff", "decision", "decode", "state"), script, payload, timeout=120)


def node_onnx(script: str, payload=None) -> object:
    return run_node_modules(ONNX, ("manifest", "integrity"), script, payload, timeout=60)


def pil_resize_crop(im: Image.Image, resize=224, crop=224) -> np.ndarray:
    tf = T.Compose([T.Resize(resize, interpolation=T.InterpolationMode.BILINEAR, antialias=True), T.CenterCrop(crop)])
    return np.asarray(tf(im))


def js_resize_crop(tmp_path: Path, images: list[Image.Image], resize=224, crop=224) -> list[np.ndarray]:
    specs = []
    for i, im in enumerate(images):
        f = tmp_path / f"{i}.rgba"
        np.asarray(im.convert("RGBA")).tofile(f)
        specs.append({"file": str(f), "w": im.width, "h": im.height, "out": str(tmp_path / f"{i}.rgb")})
    node("""
      for (const s of input.specs) {
        const rgba = new Uint8Array(fs.readFileSync(s.file));
        fs.writeFileSync(s.out, preprocess.resizeAndCrop(rgba, s.w, s.h, input.resize, input.crop).rgb);
      }
      console.log("[]");""", {"specs": specs, "resize": resize, "crop": crop})
    return [np.fromfile(s["out"], np.uint8).reshape(crop, crop, 3) for s in specs]


def test_resize_and_crop_equal_pil_on_real_photos(bears_dir, tmp_path):
    from training.bears.images import open_image

    photos = [open_image(p) for lab in ("black", "grizzly", "teddy") for p in sorted((bears_dir / lab).glob("*.jpg"))[:6]]
    for im, got in zip(photos, js_resize_crop(tmp_path, photos)):
        np.testing.assert_array_equal(got, pil_resize_crop(im))


@pytest.mark.parametrize("size", [(512, 384), (384, 512), (225, 300), (300, 224), (224, 224), (1, 1), (3, 7),
                                  (1023, 333), (2000, 1999), (5000, 40)])
def test_resize_and_crop_equal_pil_on_awkward_sizes(size, tmp_path):
    rng = np.random.default_rng(size[0] * 7919 + size[1])
    im = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    np.testing.assert_array_equal(js_resize_crop(tmp_path, [im])[0], pil_resize_crop(im))


def test_other_sizes_follow_torchvision_rounding(tmp_path):
    """resize != crop: odd leftover margins, offsets rounded with Python's round (halves to even)."""
    rng = np.random.default_rng(1)
    ims = [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for w, h in [(301, 203), (250, 301)]]
    for im, got in zip(ims, js_resize_crop(tmp_path, ims, resize=256, crop=224)):
        np.testing.assert_array_equal(got, pil_resize_crop(im, 256, 224))
    got = node("console.log(JSON.stringify([0.5, 1.5, 2.5, 3.49, 3.5, 4.51].map(preprocess.roundHalfEven)))", {})
    assert got == [round(x) for x in [0.5, 1.5, 2.5, 3.49, 3.5, 4.51]]


def test_known_limit_pillow_13_vertical_first(tmp_path):
    """Pillow 13 runs the vertical pass first for some tall images whose height shrinks a bit
    more than their width (python-pillow/Pillow#9549); preprocess.js always goes horizontal
    first. The two orders round differently by at most one level. Photos resized to a
    shorter side of 224 (the model's case, any camera size checked) are all horizontal-first."""
    im = Image.fromarray(np.random.default_rng(1).integers(0, 256, (999, 300, 3), dtype=np.uint8))
    got, want = js_resize_crop(tmp_path, [im], resize=256, crop=224)[0], pil_resize_crop(im, 256, 224)
    assert 0 < np.abs(got.astype(int) - want).max() <= 1


def test_flatten_on_white_equals_pillow_paste():
    rng = np.random.default_rng(2)
    rgba = rng.integers(0, 256, (40, 50, 4), dtype=np.uint8)
    rgba[:5, :, 3] = 255
    rgba[5:10, :, 3] = 0
    im = Image.fromarray(rgba, "RGBA")
    want = Image.new("RGB", im.size, (255, 255, 255))
    want.paste(im, mask=im.getchannel("A"))
    got = node("""const px = Uint8Array.from(input.px);
      const n = preprocess.flattenOnWhite(px);
      console.log(JSON.stringify({n, px: Array.from(px)}));""", {"px": rgba.ravel().tolist()})
    assert got["n"] == int((rgba[..., 3] < 255).sum())
    np.testing.assert_array_equal(np.array(got["px"], np.uint8).reshape(40, 50, 4)[..., :3], np.asarray(want))


def sniff_files(tmp_path: Path) -> dict[str, tuple[bytes, dict]]:
    """file name -> (bytes, fields sniff must report)."""
    rng = np.random.default_rng(3)
    rgb = Image.fromarray(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8))
    out = {}

    def save(name, im, expect, **kw):
        p = tmp_path / name
        im.save(p, **kw)
        out[name] = (p.read_bytes(), expect)

    save("a.jpg", rgb, {"format": "jpeg", "width": 40, "height": 30, "colorModel": "YCbCr", "truncated": False})
    save("gray.jpg", rgb.convert("L"), {"format": "jpeg", "colorModel": "grayscale"})
    save("cmyk.jpg", rgb.convert("CMYK"), {"format": "jpeg", "colorModel": "CMYK"})
    save("prog.jpg", rgb, {"format": "jpeg", "progressive": True, "truncated": False}, progressive=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    save("rot.jpg", rgb, {"format": "jpeg", "orientation": 6, "width": 30, "height": 40}, exif=exif)
    save("a.png", rgb, {"format": "png", "width": 40, "height": 30, "bitDepth": 8, "alpha": False, "truncated": False})
    save("rgba.png", rgb.convert("RGBA"), {"format": "png", "alpha": True})
    save("16.png", Image.fromarray(np.full((3, 5), 60000, np.uint16)), {"format": "png", "bitDepth": 16, "width": 5})
    save("anim.gif", rgb, {"format": "gif", "frames": 3, "width": 40}, save_all=True,
         append_images=[rgb.rotate(90), rgb.rotate(180)])
    save("still.gif", rgb, {"format": "gif", "frames": 1})
    save("a.webp", rgb, {"format": "webp", "width": 40, "height": 30}, lossless=True)
    save("a.bmp", rgb, {"format": "bmp", "width": 40, "height": 30})
    jpg = out["a.jpg"][0]
    out["cut.jpg"] = (jpg[: len(jpg) - 100], {"format": "jpeg", "truncated": True})
    out["tail.jpg"] = (jpg + b"trailing bytes after the end marker", {"format": "jpeg", "truncated": False})
    png = out["a.png"][0]
    out["cut.png"] = (png[:-20], {"format": "png", "truncated": True})
    out["empty"] = (b"", {"format": "empty"})
    out["t.txt"] = (b"just some text\n", {"format": "text"})
    out["s.svg"] = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', {"format": "svg"})
    out["h.heic"] = (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64), {"format": "heif"})
    out["a.avif"] = (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(64), {"format": "avif"})
    out["r.bin"] = (bytes(rng.integers(0, 256, 300, dtype=np.uint8)) + b"\x00", {"format": "unknown"})
    return out


def test_sniff_reads_what_pil_wrote(tmp_path):
    files = sniff_files(tmp_path)
    got = node("""const out = {};
      for (const [name, b64] of Object.entries(input)) out[name] = sniff.sniff(Buffer.from(b64, "base64"));
      console.log(JSON.stringify(out));""", {k: __import__("base64").b64encode(v[0]).decode() for k, v in files.items()})
    for name, (_, expect) in files.items():
        for key, value in expect.items():
            assert got[name].get(key) == value, f"{name}: {key} = {got[name].get(key)!r}, expected {value!r}"


def test_sha256():
    data = bytes(range(256)) * 16
    got = node_onnx("""
      const hex = await integrity.sha256Hex(Uint8Array.from(input.data));
      let refused = null;
      try { await integrity.verify(Uint8Array.from(input.data), "00".repeat(32)); } catch (e) { refused = e.message; }
      console.log(JSON.stringify({hex, refused}));""", {"data": list(data)})
    assert got["hex"] == hashlib.sha256(data).hexdigest()
    assert "failed its integrity check" in got["refused"]


def test_decision_rule_reads_the_manifest():
    got = node("""const m = {labels: ["black", "grizzly", "teddy"]};
      const d = (probs, man = m) => { const r = decision.decide(probs, man); return [r.top.label, r.uncertain, r.verdict]; };
      console.log(JSON.stringify({
        ranked: decision.rank(m.labels, [0.2, 0.7, 0.1]).map((r) => r.label),
        clear: d([0.1, 0.7, 0.2]), unsure: d([0.5, 0.3, 0.2]), edge: d([2 / 3, 1 / 6, 1 / 6]),
        stricter: d([0.1, 0.7, 0.2], {...m, decision: {clear_win: 0.75}})}));""", {})
    assert got["ranked"] == ["grizzly", "black", "teddy"]
    assert got["clear"] == ["grizzly", False, "grizzly (70.0%)"]
    assert got["unsure"][:2] == ["black", True] and got["unsure"][2].startswith("Uncertain: no label clearly wins")
    assert "needs 67%" in got["unsure"][2] and "(black, grizzly, teddy)" in got["unsure"][2]
    assert got["edge"][1] is False
    assert got["stricter"][1] is True and "needs 75%" in got["stricter"][2]


def test_a_model_with_a_decision_output_gives_the_answer():
    """A manifest with decision codes: the page shows the graph's answer, whatever the probabilities say."""
    got = node("""const m = {labels: ["black", "grizzly", "teddy"], decision: {output: "decision",
        codes: {black: 0, grizzly: 1, teddy: 2, none: 3, unsure: 4}, meaning: {none: "no bear here", unsure: "two labels"}}};
      const d = (code) => { const r = decision.decide([0.1, 0.7, 0.2], m, code);
                            return [r.answer, r.uncertain, r.verdict, r.short, r.meaning]; };
      let refused = null;
      try { decision.decide([0.1, 0.7, 0.2], m, 7); } catch (e) { refused = e.message; }
      console.log(JSON.stringify({named: d(1), none: d(3), unsure: d(4), black: d(0), old: d(null), refused}));""", {})
    assert got["named"] == ["grizzly", False, "grizzly (70.0%)", "grizzly (70.0%)", ""]
    assert got["none"] == ["none", True, "None of these", "none of these", "no bear here"]
    assert got["unsure"] == ["unsure", True, "Not sure: grizzly or teddy?", "not sure (grizzly or teddy?)", "two labels"]
    assert got["black"][:3] == ["black", False, "black (10.0%)"]  # the rule's label, not the top probability
    assert got["old"][:2] == ["grizzly", False]  # no code: the softmax rule
    assert "code 7" in got["refused"]


def test_size_and_memory_limits():
    """Refused by size before reading; refused by pixels when decoding would take more than a
    quarter of the device's memory (7.6 bytes a pixel), read from a PNG's header alone."""
    ihdr = lambda w, h: list(b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
                             + bytes(4) + struct.pack(">I", 0) + b"IEND" + bytes(4))
    got = node("""
      const refusal = (f) => { try { f(); return null; } catch (e) { return [e.constructor.name, e.message]; } };
      const limits = {8: decode.memoryLimits({deviceMemory: 8}), 2: decode.memoryLimits({deviceMemory: 2}),
                      none: decode.memoryLimits({})};
      console.log(JSON.stringify({
        limits,
        size: refusal(() => decode.checkSize(150e6, "big.jpg")), small: refusal(() => decode.checkSize(100e6, "ok.jpg")),
        huge8: refusal(() => decode.precheck(Uint8Array.from(input.huge), "huge.png", limits[8])),
        mid8: refusal(() => decode.precheck(Uint8Array.from(input.mid), "mid.png", limits[8])),
        mid2: refusal(() => decode.precheck(Uint8Array.from(input.mid), "mid.png", limits[2])),
        midNone: refusal(() => decode.precheck(Uint8Array.from(input.mid), "mid.png", limits.none))}));""",
               {"huge": ihdr(19000, 19000), "mid": ihdr(9000, 9000)})
    lim = got["limits"]
    assert lim["8"]["maxPixels"] == pytest.approx(8e9 / 4 / 7.6) and lim["2"]["maxPixels"] == pytest.approx(2e9 / 4 / 7.6)
    assert lim["none"] == {"deviceGB": 2, "reported": False, "maxPixels": pytest.approx(2e9 / 4 / 7.6)}
    assert got["size"] == ["ImageInputError", "big.jpg is 150 MB; files above 100 MB are refused. Use a smaller copy of the photo."]
    assert got["small"] is None
    assert got["huge8"][0] == "ImageInputError" and "about 2.7 GB" in got["huge8"][1] and "above 263 megapixels" in got["huge8"][1]
    assert got["mid8"] is None  # 81 MP: 0.6 GB, fine with 8 GB
    assert "the 2 GB this device reports" in got["mid2"][1] and "above 65 megapixels" in got["mid2"][1]
    assert "this browser does not say how much it has" in got["midNone"][1]


STATE_RUN = """
  const events = [];
  const fail = (name, message, extra = {}) => Object.assign(new Error(message), {name}, extra);
  const info = {variant: "int8", threads: 1, manifest: {labels: ["black", "grizzly", "teddy"]}};
  let loads = 0;
  const model = {
    ready: null,
    load: async () => { loads++; if (input.loadFails) throw fail("Error", "could not load x (HTTP 404)", {download: true}); return info; },
    classify: async (file) => {
      await new Promise((r) => setTimeout(r, 1));
      if (input.loadFails) throw fail("Error", "could not load x (HTTP 404)", {download: true});
      if (file.name.endsWith(".txt")) throw fail("ImageInputError", `${file.name} is a text file`);
      return {probs: Float32Array.from([0.1, 0.8, 0.1]), model: info, notes: [], display: null};
    },
  };
  const st = state.createState({model, onChange: (s) => events.push([s.phase, s.runs, s.status.text])});
  const files = input.names.map((n) => ({name: n}));
  st.give(files, "drop");
  if (input.refuse) st.refuse("not a file");
  await st.give([], "drop");
  const s = st.state;
  console.log(JSON.stringify({phase: s.phase, runs: s.runs, status: s.status.text, notice: s.notice, error: s.error, loads,
    items: s.items.map((it) => [it.name, it.status, it.status === "done" ? it.result.decision.top.label : it.error])}));
"""


def test_state_answers_every_file_in_order():
    got = node(STATE_RUN, {"names": ["a.jpg", "b.txt", "c.jpg"]})
    assert got["items"] == [["a.jpg", "done", "grizzly"], ["b.txt", "error", "b.txt is a text file"], ["c.jpg", "done", "grizzly"]]
    assert (got["phase"], got["runs"]) == ("done", 3)
    assert got["status"].startswith("Done: 2 of 3 photos classified, 1 could not be.")
    one = node(STATE_RUN, {"names": ["a.jpg"]})
    assert (one["phase"], one["runs"], one["status"]) == ("done", 1, "Done. Give it another photo whenever you like.")


def test_state_caps_a_batch_and_clears_on_refusal():
    many = node(STATE_RUN, {"names": [f"{i}.jpg" for i in range(60)]})
    assert len(many["items"]) == 50 and many["runs"] == 50
    assert many["notice"] == "60 files were given: the first 50 are classified. Give the others in another batch."
    refused = node(STATE_RUN, {"names": ["a.jpg"], "refuse": True})
    assert (refused["items"], refused["phase"], refused["runs"], refused["error"]) == ([], "error", 2, "not a file")
    assert refused["status"] == "Nothing to classify."


def test_state_stops_a_batch_when_the_model_cannot_load():
    got = node(STATE_RUN, {"names": ["a.jpg", "b.jpg", "c.jpg"], "loadFails": True})
    assert [it[1] for it in got["items"]] == ["error"] * 3 and got["runs"] == 3 and got["phase"] == "error"
    assert "if you are offline, reconnect" in got["items"][0][2]
    assert got["items"][1][2].startswith("Not classified: the model could not be loaded")


def test_manifest_variants_session_options_and_threads():
    """The manifest's flat session config becomes onnxruntime-web's nested `extra`; one
    thread unless the page is cross-origin isolated."""
    got = node_onnx("""
      const m = {default: "int8", variants: {int8: {model: "a.int8.onnx", sha256: "ab", session_config: {"session.disable_quant_qdq": "1"}},
                                             fp32: {model: "a.onnx", sha256: "cd"}}};
      const refusal = (f) => { try { f(); return null; } catch (e) { return e.message; } };
      globalThis.SharedArrayBuffer ??= ArrayBuffer;
      console.log(JSON.stringify({
        picked: manifest.pickVariant(m).name, fp32: manifest.pickVariant(m, "fp32").entry.model,
        missing: refusal(() => manifest.pickVariant(m, "fp16")),
        options: manifest.sessionOptions(m.variants.int8),
        overridden: manifest.sessionOptions(m.variants.int8, {graphOptimizationLevel: "basic", config: {"session.disable_quant_qdq": "0"}}),
        extra: manifest.nested({"session.disable_quant_qdq": "1", "session.x.y": 2}),
        plain: manifest.threadsFor({crossOriginIsolated: false, navigator: {hardwareConcurrency: 8}}),
        isolated: manifest.threadsFor({crossOriginIsolated: true, navigator: {hardwareConcurrency: 8}}),
        small: manifest.threadsFor({crossOriginIsolated: true, navigator: {hardwareConcurrency: 2}})}));""", {})
    assert (got["picked"], got["fp32"]) == ("int8", "a.onnx")
    assert 'no usable "fp16" model (variants: int8, fp32)' in got["missing"]
    assert got["options"] == {"executionProviders": ["wasm"], "graphOptimizationLevel": "all",
                              "extra": {"session": {"disable_quant_qdq": "1"}}}
    assert got["overridden"]["graphOptimizationLevel"] == "basic" and got["overridden"]["extra"] == {"session": {"disable_quant_qdq": "0"}}
    assert got["extra"] == {"session": {"disable_quant_qdq": "1", "x": {"y": "2"}}}
    assert (got["plain"], got["isolated"], got["small"]) == (1, 4, 2)
