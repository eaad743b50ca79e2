"""What data augmentation does, shown on pictures that are not the bear photos.

    python -m training.bears augment-figure              # -> docs/assets/augment/

The bear photos may not be published, so two pictures are drawn here with PIL at run
time, and the project's real training transform (`images.train_transform`, what stage 2
of `train` uses) is applied to them:

- "scene": a side-on view like a photo of a bear: sky above the ground, a house, a
  tree, the sun, a word. Up is up; left and right are interchangeable.
- "aerial": a top-down, satellite-like view: fields, a river, a road, roofs. It has
  no up or down at all.

Writes (deterministic, seeded):
  augment.png   each picture, then random draws of the training transform
  flips.png     each picture, flipped horizontally and vertically: a horizontal flip
                gives another plausible photo of either; a vertical flip puts the sky
                under the ground of the scene but is just another field for the aerial view
  augment.json  the transform's steps and their parameters, read from the transform
                object itself (not re-typed), the pictures, the seed and the files
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from PIL import Image, ImageDraw, ImageFont
from torchvision import transforms as T
from torchvision.transforms import functional as TF

from training.bears import report as rep
from training.bears.data import DataConfig
from training.bears.images import train_transform
from training.bears.model import default_preprocess
from training.options import opt
from training.paths import ROOT

PICTURES = {
    "scene": "side-on, like a photo: sky above the ground (up matters, left/right does not)",
    "aerial": "top-down, like a satellite image: no up or down",
}


# ---------------------------------------------------------------- the pictures
def draw_scene(w: int = 320, h: int = 240) -> Image.Image:
    """Sky (lighter towards the horizon), sun, green ground, a house, a tree and a word."""
    im = Image.new("RGB", (w, h))
    d = ImageDraw.Draw(im)
    horizon = int(h * 0.62)
    for y in range(horizon):
        t = y / horizon
        d.line([(0, y), (w, y)], fill=(int(70 + 120 * t), int(130 + 90 * t), int(220 + 25 * t)))
    d.rectangle([0, horizon, w, h], fill=(74, 140, 60))
    d.ellipse([w - 80, 20, w - 36, 64], fill=(255, 214, 60))
    # a house on the left, a tree on the right
    d.rectangle([40, horizon - 50, 110, horizon + 10], fill=(200, 90, 70))
    d.polygon([(32, horizon - 50), (75, horizon - 88), (118, horizon - 50)], fill=(110, 50, 40))
    d.rectangle([66, horizon - 18, 84, horizon + 10], fill=(80, 50, 30))
    d.rectangle([200, horizon - 40, 212, horizon + 12], fill=(100, 65, 35))
    d.ellipse([176, horizon - 90, 236, horizon - 30], fill=(40, 110, 45))
    d.text((w // 2, h - 30), "BEAR", font=ImageFont.load_default(size=30), fill=(255, 255, 255), anchor="mm")
    return im


def draw_aerial(side: int = 288, seed: int = 0) -> Image.Image:
    """Fields in patches, a winding river, a straight road and small roofs, seen from above."""
    rng = random.Random(seed)
    im = Image.new("RGB", (side, side), (96, 130, 70))
    d = ImageDraw.Draw(im)
    cell = side // 6
    for i in range(6):
        for j in range(6):
            g = rng.choice([(120, 150, 70), (160, 140, 80), (90, 125, 60), (180, 170, 100), (70, 110, 55)])
            d.rectangle([i * cell + 2, j * cell + 2, (i + 1) * cell - 2, (j + 1) * cell - 2], fill=g)
            for k in range(0, cell, 6):  # furrows
                d.line([(i * cell + 2, j * cell + k), ((i + 1) * cell - 2, j * cell + k)],
                       fill=tuple(max(0, c - 18) for c in g))
    river = [(0, int(side * 0.3))]
    for x in range(20, side + 20, 20):
        river.append((x, int(river[-1][1] + rng.uniform(-14, 18))))
    d.line(river, fill=(60, 110, 190), width=12, joint="curve")
    d.line([(int(side * 0.15), side), (int(side * 0.8), 0)], fill=(150, 150, 150), width=8)
    for _ in range(14):
        x, y, s = rng.randrange(10, side - 20), rng.randrange(10, side - 20), rng.randrange(6, 12)
        d.rectangle([x + 2, y + 2, x + s + 2, y + s + 2], fill=(40, 50, 35))  # shadow
        d.rectangle([x, y, x + s, y + s], fill=rng.choice([(190, 70, 60), (170, 170, 175), (140, 80, 60)]))
    return im


# ---------------------------------------------------------------- the transform, as data
def _jsonable(v):
    if isinstance(v, enum.Enum):
        return v.value
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    if isinstance(v, torch.Tensor):
        return v.tolist()
    return repr(v)


def describe(transform: T.Compose) -> list[dict]:
    """Each step of a Compose: its class and its public attributes, as the object holds them."""
    return [{"name": type(t).__name__,
             "params": {k: _jsonable(v) for k, v in vars(t).items() if not k.startswith("_") and k != "training"}}
            for t in transform.transforms]


def flip_probs(transform: T.Compose) -> dict:
    """How often the transform flips each way (0 when it has no such step)."""
    p = {"horizontal": 0.0, "vertical": 0.0}
    for t in transform.transforms:
        if isinstance(t, T.RandomHorizontalFlip):
            p["horizontal"] = float(t.p)
        if isinstance(t, T.RandomVerticalFlip):
            p["vertical"] = float(t.p)
    return p


def to_image(x: torch.Tensor, transform: T.Compose):
    """Undo the transform's own Normalize: (3, H, W) -> (H, W, 3) in 0..1 for imshow."""
    norm = next(t for t in transform.transforms if isinstance(t, T.Normalize))
    mean, std = torch.tensor(norm.mean).view(3, 1, 1), torch.tensor(norm.std).view(3, 1, 1)
    return (x * std + mean).clamp(0, 1).permute(1, 2, 0).numpy()


# ---------------------------------------------------------------- the command
@dataclass
class AugmentConfig:
    """Where the figure goes, and its random draws."""

    out: str = opt(str(ROOT / "docs" / "assets" / "augment"), "folder for augment.png, flips.png, augment.json")
    draws: int = opt(7, "random draws of the training transform per picture")
    seed: int = opt(0, "torch seed for the draws (same seed, same figure)")


def augment_figure(cfg: AugmentConfig, transform: T.Compose | None = None) -> dict:
    d = DataConfig()
    pre = default_preprocess(d.arch, d.size, d.normalize)
    transform = transform or train_transform(pre)
    pictures = {"scene": draw_scene(), "aerial": draw_aerial(seed=cfg.seed)}
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    draws = {name: [transform(im) for _ in range(cfg.draws)] for name, im in pictures.items()}

    cols = cfg.draws + 1
    fig, axes = plt.subplots(len(pictures), cols, figsize=(1.45 * cols, 1.6 * len(pictures)), squeeze=False)
    for r, (name, im) in enumerate(pictures.items()):
        axes[r, 0].imshow(im)
        axes[r, 0].set_title(f"{name}: original", fontsize=7)
        for c, x in enumerate(draws[name], start=1):
            axes[r, c].imshow(to_image(x, transform))
            axes[r, c].set_title(f"random draw {c}", fontsize=7)
    for ax in axes.flat:
        ax.axis("off")
    fig.suptitle(f"the training transform ({pre['crop']} px crops, flips, rotation, lighting)", fontsize=9)
    rep.save_figure(fig, out / "augment.png")

    verdict = {"scene": ("still a photo (text mirrored)", "sky below the ground"),
               "aerial": ("still a field", "still a field")}
    fig, axes = plt.subplots(len(pictures), 3, figsize=(6.3, 2.1 * len(pictures)), squeeze=False)
    for r, (name, im) in enumerate(pictures.items()):
        for c, (title, img) in enumerate((("original", im), (f"horizontal flip: {verdict[name][0]}", TF.hflip(im)),
                                          (f"vertical flip: {verdict[name][1]}", TF.vflip(im)))):
            axes[r, c].imshow(img)
            axes[r, c].set_title(f"{name}: {title}" if c == 0 else title, fontsize=8)
            axes[r, c].axis("off")
    rep.save_figure(fig, out / "flips.png")

    res = {"transform": "training.bears.images.train_transform", "preprocess": pre, "steps": describe(transform),
           "flips": flip_probs(transform), "seed": cfg.seed, "draws": cfg.draws,
           "pictures": [{"name": k, "what": v, "size": list(pictures[k].size)} for k, v in PICTURES.items()],
           "notes": ["a horizontal flip mirrors text: the one thing in a side-on photo it makes implausible",
                     "rotation fills the corners it uncovers with black (fill=0), as in training"],
           "files": {"augment": "augment.png", "flips": "flips.png"}}
    rep.write_json(out / "augment.json", res)
    print(f"-> {out}: augment.png, flips.png, augment.json")
    return res
