"""`python -m export.predict`: the published model on files and folders, as the page runs it.

Real photos, the committed model (docs/assets/models), real ONNX Runtime. That the browser
gives the same answers is checked in test_classifier_browser.py, on the page visit it already
makes; here: the output format, folders, bad files on their own line, the exit status, and
that `label` is exactly the graph's decision, and that it starts without PyTorch while its
pixels stay torchvision's, bit for bit."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
from PIL import Image

from export.predict import MANIFEST, Model, classify, main
from tests.support import ROOT


def test_json_lines_for_photos_and_a_folder_with_bad_files_on_their_own_line(bears_dir, tmp_path, capsys):
    photos = sorted((bears_dir / "grizzly").glob("*.jpg"))[:2]
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a_note.jpg").write_bytes(b"not an image at all\n")
    (folder / "b_half.jpg").write_bytes(photos[0].read_bytes()[:200])
    (folder / "c_real.jpg").write_bytes(photos[1].read_bytes())
    missing = tmp_path / "nope.jpg"
    status = main(["--json", str(photos[0]), str(missing), str(folder)])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == 1  # some failed
    assert [r["file"] for r in rows] == [str(photos[0]), str(missing), str(folder / "a_note.jpg"),
                                         str(folder / "b_half.jpg"), str(folder / "c_real.jpg")]
    assert "no such file" in rows[1]["error"]
    assert rows[2]["error"] and rows[3]["error"] and "label" not in rows[2]
    labels = Model(MANIFEST).labels
    for r in (rows[0], rows[4]):
        assert set(r["probs"]) == set(labels) and abs(sum(r["probs"].values()) - 1) < 1e-5
        assert r["label"] in labels or (r["label"] is None and r["answer"] in ("none", "unsure"))
        assert r["label"] == "grizzly", r  # two clear grizzly photos


def test_label_is_the_graphs_decision_and_null_for_no_bear(bears_dir, not_bears_dir):
    """The rule is not recomputed: label = the graph's decision output, null for 'none'/'not sure'."""
    from export.pixels import load_pixels
    from export.runtime import run_all

    model = Model(MANIFEST)
    files = [*sorted((bears_dir / "black").glob("*.jpg"))[:3], *sorted(not_bears_dir.glob("*.jpg"))[:5]]
    rows = list(classify(model, [str(f) for f in files]))
    out = dict(zip(model.outputs, run_all(model.session, load_pixels(files, model.manifest["preprocess"]))))
    codes = {c: a for a, c in model.manifest["decision"]["codes"].items()}
    for r, code, probs in zip(rows, out["decision"], out["probabilities"]):
        assert r["answer"] == codes[int(code)]
        assert r["label"] == (r["answer"] if r["answer"] in model.labels else None)
        assert np.allclose([r["probs"][lab] for lab in model.labels], probs, atol=1e-6)
    assert sum(r["label"] is None for r in rows[3:]) >= 4, "most photos with no bear get no label"


def test_text_output_and_exit_status_from_the_command_line(bears_dir, capsys):
    photo = sorted((bears_dir / "teddy").glob("*.jpg"))[0]
    ok = subprocess.run([sys.executable, "-m", "export.predict", str(photo)], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith(f"{photo}\tteddy\t(black "), ok.stdout + ok.stderr
    assert main(["--manifest", str(photo), str(photo)]) == 2  # a model that cannot be read
    assert "cannot load the model" in capsys.readouterr().err


def test_the_command_starts_without_pytorch_and_its_pixels_are_torchvisions(bears_dir, tmp_path):
    """export.pixels resizes and crops with Pillow and NumPy (importing PyTorch took 9 s here, the
    classifying well under one): the same float32 numbers as training's eval_transform, on real
    photos upright and sideways, at the model's size and with a resize larger than the crop."""
    from export.pixels import crop_pixels
    from training.bears.images import eval_transform, open_image

    started = subprocess.run([sys.executable, "-c", "import sys, export.predict\n"
                              "print(sorted(m for m in ('torch', 'torchvision') if m in sys.modules))"],
                             cwd=ROOT, capture_output=True, text=True)
    assert started.stdout.strip() == "[]", started.stdout + started.stderr
    photos = [sorted((bears_dir / lab).glob("*.jpg"))[i] for lab in ("black", "teddy") for i in (0, 5)]
    tall = tmp_path / "tall.png"
    Image.open(photos[0]).transpose(Image.Transpose.ROTATE_90).save(tall)
    for pre in (Model(MANIFEST).manifest["preprocess"], {"resize": 160, "crop": 128}):
        torchvision_pixels = eval_transform({**pre, "mean": [0.0] * 3, "std": [1.0] * 3})
        for path in [*photos, tall]:
            im = open_image(path)
            np.testing.assert_array_equal(crop_pixels(im, pre), torchvision_pixels(im).numpy(), err_msg=f"{path.name} {pre}")
