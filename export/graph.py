"""The network the browser runs, and its export to ONNX: one file, several outputs.

The trained `BearNet` expects a normalised batch and returns logits. The page should not
have to know about the body's mean and std, softmax or the "none of these" rule, so
`Deployable` wraps it, and the whole answer is computed inside the graph:

    image (N, 3, H, W), RGB, float32 in 0..1
      -> (image - mean) / std -> body -> feature map  ............. features      (N, C, h, w)
      -> average over the map -> head -> logits  ................... logits        (N, labels)
      -> softmax .................................................... probabilities (N, labels)
      -> the decision rule (training/bears/decision.py's Decide) ... decision      (N,) int32:
         a label's index, labels (= "none of these") or labels + 1 (= "not sure")

So the page, `python -m export.predict` and the parity checks all run one implementation of
the rule: the graph (its thresholds are constants in it, and listed in the manifest). The
feature map is what the in-browser trainer needs (it averages it for its own head and weights
it for class-activation maps), so a reader downloads the body once for both widgets.

Only the batch size N is dynamic: the widget always sends one crop of
`preprocess["crop"]` pixels, the benchmark and the parity check send several.

The exporter records, for every node, the Python source line it came from
(`pkg.torch.onnx.stack_trace`: this machine's file paths). `strip_build_paths`
removes those, and any doc string or metadata naming a folder of this machine,
before the file is published; weights and graph are untouched.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import onnx
import torch
from google.protobuf.message import Message
from torch import nn

from training.bears.decision import Decide
from training.paths import ROOT

INPUT_NAME = "image"
OUTPUT_NAME = "probabilities"  # what the page's bars show: the first output
OUTPUTS = ("probabilities", "logits", "decision", "features")
# Opset 18 is what the dynamo exporter emits natively and onnxruntime-web 1.30 runs.
OPSET = 18


# --8<-- [start:deployable]
class Deployable(nn.Module):
    """Normalise -> feature map -> pool -> head -> (probabilities, logits, decision, features):
    the input is plain RGB in 0..1, the outputs are OUTPUTS, in that order."""

    def __init__(self, model: nn.Module, mean: list[float], std: list[float], thresholds: list[float], sure: float):
        super().__init__()
        self.model = model.eval()
        self.decide = Decide(thresholds, sure)
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))

    def forward(self, image: torch.Tensor):
        fmap = self.model.feature_map((image - self.mean) / self.std)
        logits = self.model.head(self.model.body.pool(fmap))
        probs, decision = self.decide(logits)
        return probs, logits, decision, fmap
# --8<-- [end:deployable]

    @classmethod
    def from_checkpoint(cls, model: nn.Module, meta: dict) -> "Deployable":
        """The deployable network of a trained checkpoint (its preprocessing and decision rule)."""
        rule = meta.get("decision")
        if not rule:
            raise ValueError("the checkpoint has no 'none of these' thresholds (it was trained before they "
                             "existed): train it again")
        pre = meta["preprocess"]
        return cls(model, pre["mean"], pre["std"], rule["thresholds"], rule["sure"])


def run_torch(net: Deployable, pixels) -> dict:
    """PyTorch's answer for float32 0..1 pixels (N, 3, H, W): {output name: numpy array}."""
    with torch.no_grad():
        out = net.eval()(torch.as_tensor(pixels))
    return {name: o.numpy() for name, o in zip(OUTPUTS, out)}


def export_onnx(net: Deployable, crop: int, path: str | Path, opset: int = OPSET) -> Path:
    """Write `net` as a single self-contained ONNX file with a dynamic batch size."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    example = torch.rand(2, 3, crop, crop)
# --8<-- [start:export]
    batch = torch.export.Dim("N", min=1, max=1024)
    with torch.no_grad():
        torch.onnx.export(
            net.eval(), (example,), str(path),
            input_names=[INPUT_NAME], output_names=list(OUTPUTS),
            dynamic_shapes={"image": {0: batch}},
            opset_version=opset,
            dynamo=True,
            external_data=False,  # one file: the page fetches and hashes exactly one thing
            verbose=False,
        )
# --8<-- [end:export]
    return path


# Source locations of every node, as the exporter saw them: only ever build paths.
BUILD_KEYS = ("pkg.torch.onnx.stack_trace",)


def machine_folders() -> list[str]:
    """This machine's folders a build could leak: the repository, home, Python, temp."""
    dirs = {str(ROOT), str(Path.home()), sys.prefix, sys.base_prefix, tempfile.gettempdir()}
    return sorted(d for d in dirs if d not in ("", "/"))


def strip_build_paths(path: str | Path) -> Path:
    """Rewrite the ONNX file at `path` without BUILD_KEYS metadata and without doc strings or
    metadata that name one of `machine_folders()`; raises if such a string remains elsewhere."""
    path = Path(path)
    model = onnx.load(str(path))
    folders = machine_folders()
    leaks = lambda text: any(d in text for d in folders)  # noqa: E731
    for msg in _messages(model):
        names = {f.name for f in msg.DESCRIPTOR.fields}
        if "doc_string" in names and leaks(msg.doc_string):
            msg.doc_string = ""
        if "metadata_props" in names:
            keep = [(p.key, p.value) for p in msg.metadata_props if p.key not in BUILD_KEYS and not leaks(p.value)]
            del msg.metadata_props[:]
            for k, v in keep:
                msg.metadata_props.add(key=k, value=v)
    left = [s for s in proto_strings(model) if leaks(s)]
    if left:
        raise ValueError(f"{path}: still names this machine's folders: {left[0][:200]!r}")
    onnx.save(model, str(path))
    return path


def _messages(msg: Message):
    """`msg` and every message inside it (graph, nodes, subgraphs, functions, tensors...)."""
    yield msg
    for field, value in msg.ListFields():
        if field.type != field.TYPE_MESSAGE:
            continue
        for sub in (value if field.is_repeated else [value]):
            yield from _messages(sub)


def proto_strings(msg: Message):
    """Every string field in `msg` and the messages inside it (names, doc strings, metadata)."""
    for m in _messages(msg):
        for field, value in m.ListFields():
            if field.type == field.TYPE_STRING:
                yield from (value if field.is_repeated else [value])
