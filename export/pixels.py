"""Photos -> the float32 RGB 0..1 crops the exported graph takes. No PyTorch.

The same pixels as `training.bears.images.eval_transform` without its Normalize step (the
graph does that), so the export sees exactly what training saw: open_image (EXIF
orientation, any mode -> RGB, transparency on white) -> resize the shorter side (Pillow's
bilinear, which antialiases when shrinking) -> center crop -> 0..1. Written with Pillow and
NumPy instead of torchvision's transforms so that `python -m export.predict` starts without
importing PyTorch; tests/test_export_predict.py checks that both give the same numbers, bit
for bit, on real photos. The browser reproduces these steps in
site_widgets/classifier/preprocess.js.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from training.bears.images import open_image


def resized_size(width: int, height: int, shorter: int) -> tuple[int, int]:
    """(width, height) with the shorter side `shorter` and the longer one scaled and truncated, as
    torchvision's Resize(int) computes it."""
    if width <= height:
        return shorter, int(shorter * height / width)
    return int(shorter * width / height), shorter


def crop_pixels(im: Image.Image, preprocess: dict) -> np.ndarray:
    """An RGB image -> float32 (3, crop, crop) in 0..1: resize the shorter side to preprocess["resize"],
    crop the middle preprocess["crop"] square (torchvision's CenterCrop rounding)."""
    im = im.resize(resized_size(*im.size, preprocess["resize"]), Image.BILINEAR)
    crop = preprocess["crop"]
    w, h = im.size
    if w < crop or h < crop:
        raise ValueError(f"resize {preprocess['resize']} is smaller than the crop {crop}")
    left, top = int(round((w - crop) / 2.0)), int(round((h - crop) / 2.0))
    rgb = np.asarray(im.crop((left, top, left + crop, top + crop)), dtype=np.uint8)
    return (rgb.astype(np.float32) / np.float32(255)).transpose(2, 0, 1)


def load_pixels(paths: list[str | Path], preprocess: dict) -> np.ndarray:
    """-> float32 array (N, 3, crop, crop) in 0..1, one row per path, in order."""
    return np.stack([crop_pixels(open_image(p), preprocess) for p in paths])
