"""Opening photos and turning them into tensors.

Every image in the project goes through `open_image`, so training, interpretation
and the ONNX export all see the same RGB pixels: EXIF orientation applied, and
grayscale / CMYK / palette / alpha converted to plain RGB (transparent areas become
white, which is how a browser shows them on this site's page).

`eval_transform(preprocess)` is the deterministic path the browser reproduces:
resize the shorter side to `resize` (bilinear, antialiased), center-crop `crop`,
scale to 0..1, normalize with `mean`/`std`. `train_transform` adds the usual
ImageNet-style augmentation on top of the same final size and normalization.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageOps

if TYPE_CHECKING:  # the transforms import torchvision when called: opening a photo needs only Pillow
    from torchvision import transforms as T

# The extensions treated as images when scanning label folders.
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff")


class ImageError(ValueError):
    """A file that is not a decodable image (broken, truncated, HTML, empty...)."""


def open_image(path: str | Path) -> Image.Image:
    """Decode `path` fully and return an RGB PIL image, or raise ImageError saying why."""
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise ImageError(f"{path}: empty file (0 bytes)")
        with warnings.catch_warnings():
            # PIL warns on odd EXIF/ICC data; the pixels are still fine.
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                im.load()  # force the full decode: truncated files fail here, not later
                im = ImageOps.exif_transpose(im)
                return to_rgb(im)
    except ImageError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise ImageError(f"{path}: not a decodable image ({type(e).__name__}: {e})") from e


def to_rgb(im: Image.Image) -> Image.Image:
    """Any PIL mode -> RGB. Transparency is flattened onto white."""
    if im.mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "RGBa"):
        im = im.convert("RGBA")
        bg = Image.new("RGB", im.size, (255, 255, 255))
        bg.paste(im, mask=im.getchannel("A"))
        return bg
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16/32-bit grayscale: scale to 8 bits before converting.
        im = im.point(lambda v: v * (255 / 65535)).convert("L")
    if im.mode != "RGB":
        im = im.convert("RGB")
    return im


# --8<-- [start:distant]
def distant(im: Image.Image, scale: float = 0.45) -> Image.Image:
    """The photo shrunk to `scale` of each side, in the middle of a frame of its own size whose
    border repeats its edge pixels: the bear small in the frame, fewer pixels on it, as in a
    trail or phone photo taken from afar. A robustness proxy, not a real photo (the smeared
    border is an artefact): it ranked the heads the way photos from elsewhere did (a
    head trained on our web thumbnails loses here what it gains on them)."""
    import numpy as np

    w, h = im.size
    small = np.asarray(im.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.BILINEAR))
    ph, pw = h - small.shape[0], w - small.shape[1]
    return Image.fromarray(np.pad(small, ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)), mode="edge"))
# --8<-- [end:distant]


def eval_transform(preprocess: dict, view=None) -> T.Compose:
    """Resize(shorter side) -> CenterCrop -> ToTensor (0..1) -> Normalize. Deterministic.
    view: a PIL -> PIL function applied first (e.g. `distant`)."""
    from torchvision import transforms as T

    return T.Compose([*([view] if view else []),
        T.Resize(preprocess["resize"], interpolation=T.InterpolationMode.BILINEAR, antialias=True),
        T.CenterCrop(preprocess["crop"]),
        T.ToTensor(),
        T.Normalize(preprocess["mean"], preprocess["std"]),
    ])


# --8<-- [start:train_transform]
def train_transform(preprocess: dict, min_scale: float = 0.35, max_rotate: float = 10.0,
                    lighting: float = 0.2) -> T.Compose:
    """ImageNet-style augmentation ending at the same crop size and normalization.

    min_scale: smallest fraction of the photo a random crop keeps (0.35: the bear stays in view).
    max_rotate: degrees of random rotation either way (small: photos are mostly upright).
    lighting: brightness/contrast/saturation jitter (fastai's default max_lighting is 0.2).
    """
    from torchvision import transforms as T

    crop = preprocess["crop"]
    return T.Compose([
        T.RandomResizedCrop(crop, scale=(min_scale, 1.0), ratio=(3 / 4, 4 / 3),
                            interpolation=T.InterpolationMode.BILINEAR, antialias=True),
        T.RandomHorizontalFlip(),
        T.RandomRotation(max_rotate, interpolation=T.InterpolationMode.BILINEAR),
        T.ColorJitter(brightness=lighting, contrast=lighting, saturation=lighting),
        T.ToTensor(),
        T.Normalize(preprocess["mean"], preprocess["std"]),
    ])
# --8<-- [end:train_transform]
