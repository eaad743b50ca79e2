"""Photos -> the float32 RGB 0..1 crops the exported graph takes.

This is `training.bears.images.eval_transform` without its Normalize step
(the graph does that), so the export sees exactly the pixels training saw:
open_image (EXIF orientation, any mode -> RGB, transparency on white) ->
resize the shorter side (bilinear, antialiased) -> center crop -> 0..1.
The browser widget reproduces these steps in site_widgets/classifier/preprocess.js.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from training.bears.images import eval_transform, open_image


def pixel_transform(preprocess: dict):
    """eval_transform with an identity Normalize (mean 0, std 1): output in 0..1."""
    return eval_transform({**preprocess, "mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0]})


def load_pixels(paths: list[str | Path], preprocess: dict) -> np.ndarray:
    """-> float32 array (N, 3, crop, crop) in 0..1, one row per path, in order."""
    tf = pixel_transform(preprocess)
    return np.stack([tf(open_image(p)).numpy() for p in paths]).astype(np.float32)
