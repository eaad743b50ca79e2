"""Development bodies for the in-browser trainer: an ONNX file whose outputs include the body's
last feature map, with a manifest in the format the model of issue 10 will publish
(lesson2-onnx/2: `features` = {name, shape, channels, height, width}), written into a tmp
folder. Never committed: the shipped model with that output comes from export/.

- from_committed(out): the committed docs/assets/models/bears.onnx (the production weights)
  with two of its tensors made outputs: the feature map its ReduceMean averages ("features")
  and the input of its Softmax ("logits"). Seconds; the benchmark's body.
- from_torch(out, size): the ImageNet EfficientNet-Lite0 body (the project's build_model,
  head seeded) exported at `size` px with the same three outputs; returns the PyTorch model
  too, so tests compare the page's activations with PyTorch's. 128 px keeps tests fast.

    python -m tests.trainer_body --out /tmp/trainer-dev [--torch --size 128]

Once the committed manifest has `features` (issue 10 merged), from_committed returns it as it is.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

from tests.support import ROOT

MODELS = ROOT / "docs" / "assets" / "models"
LABELS = ["black", "grizzly", "teddy"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(onnx_path: Path, *, labels: list[str], pre: dict, fshape: list, arch: str, note: str) -> dict:
    """A lesson2-onnx/2-style manifest for one fp32 file with probabilities, logits and features."""
    entry = {"model": onnx_path.name, "bytes": onnx_path.stat().st_size, "sha256": sha256(onnx_path)}
    k, (c, h, w) = len(labels), fshape
    return {
        "format": "lesson2-onnx/2", "dev": note, "model": entry["model"], "sha256": entry["sha256"],
        "default": "fp32", "variants": {"fp32": entry}, "labels": list(labels), "arch": arch,
        "input": {"name": "image", "shape": ["N", 3, pre["crop"], pre["crop"]], "layout": "NCHW", "dtype": "float32",
                  "range": [0, 1], "channels": "RGB"},
        "preprocess": {"resize": pre["resize"], "crop": pre["crop"], "interpolation": "bilinear, antialiased (PIL)",
                       "normalization": "inside the graph", "mean": pre["mean"], "std": pre["std"]},
        "output": {"name": "probabilities", "shape": ["N", k], "meaning": "softmax probabilities"},
        "outputs": {"probabilities": {"shape": ["N", k]}, "logits": {"shape": ["N", k]},
                    "features": {"shape": ["N", c, h, w]}},
        "features": {"name": "features", "shape": ["N", c, h, w], "channels": c, "height": h, "width": w,
                     "dtype": "float32", "pooled": "mean over height x width = the head's input"},
    }


def write(out: Path, m: dict, name: str = "bears.json") -> Path:
    path = out / name
    path.write_text(json.dumps(m, indent=2) + "\n")
    return path


def from_committed(out: Path) -> Path:
    """The committed model with its feature map and logits as outputs -> out/bears.json."""
    committed = json.loads((MODELS / "bears.json").read_text())
    out.mkdir(parents=True, exist_ok=True)
    if "features" in committed:  # the real thing has landed: use it as published
        for f in MODELS.iterdir():
            shutil.copy(f, out / f.name)
        return out / "bears.json"
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(str(MODELS / committed["variants"]["fp32"]["model"]))
    g = model.graph
    fmap = next(n.input[0] for n in g.node if n.op_type in ("ReduceMean", "GlobalAveragePool"))
    logits = next(n.input[0] for n in g.node if n.op_type == "Softmax")
    inferred = onnx.shape_inference.infer_shapes(model).graph.value_info
    dims = next(v for v in inferred if v.name == fmap).type.tensor_type.shape.dim
    c, h, w = (d.dim_value for d in dims[1:])
    g.node.extend([helper.make_node("Identity", [fmap], ["features"]), helper.make_node("Identity", [logits], ["logits"])])
    g.output.extend([helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", len(committed["labels"])]),
                     helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", c, h, w])])
    onnx.checker.check_model(model)
    path = out / "bears.dev.onnx"
    onnx.save(model, str(path))
    return write(out, manifest(path, labels=committed["labels"], pre=committed["preprocess"], fshape=[c, h, w],
                               arch=committed.get("arch", "efficientnet_lite0"),
                               note="the committed bears.onnx with its feature map as an output (tests/trainer_body.py)"))


def torch_net(size: int, seed: int = 0):
    """(the PyTorch network: image 0..1 -> (probabilities, logits, feature map), preprocess)."""
    import torch
    from torch import nn

    from training.bears.model import build_model, default_preprocess

    torch.manual_seed(seed)
    model = build_model("efficientnet_lite0", len(LABELS)).eval()
    pre = default_preprocess("efficientnet_lite0", size)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model
            self.register_buffer("mean", torch.tensor(pre["mean"]).view(1, 3, 1, 1))
            self.register_buffer("std", torch.tensor(pre["std"]).view(1, 3, 1, 1))

        def forward(self, image):
            fmap = self.model.body.net.extract_features((image - self.mean) / self.std)
            logits = self.model.head(fmap.mean((2, 3)))
            return torch.softmax(logits, 1), logits, fmap

    return Net().eval(), pre


def from_torch(out: Path, size: int = 128):
    """The ImageNet body at `size` px, exported -> (out/bears.json, the PyTorch network, preprocess)."""
    import warnings

    import torch

    net, pre = torch_net(size)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "bears.dev.onnx"
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fshape = list(net(torch.rand(1, 3, size, size))[2].shape[1:])
        torch.onnx.export(net, (torch.rand(2, 3, size, size),), str(path), input_names=["image"],
                          output_names=["probabilities", "logits", "features"], opset_version=18, dynamo=False,
                          dynamic_axes={"image": {0: "N"}, "probabilities": {0: "N"}, "logits": {0: "N"},
                                        "features": {0: "N"}})
    m = manifest(path, labels=LABELS, pre=pre, fshape=fshape, arch="efficientnet_lite0",
                 note=f"ImageNet EfficientNet-Lite0 at {size} px, head seeded (tests/trainer_body.py)")
    return write(out, m), net, pre


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--torch", action="store_true", help="export the ImageNet body instead of exposing the committed one")
    p.add_argument("--size", type=int, default=128)
    a = p.parse_args(argv)
    print(from_torch(a.out, a.size)[0] if a.torch else from_committed(a.out))


if __name__ == "__main__":
    main()
