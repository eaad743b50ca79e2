"""Weights-only int8: a 4x smaller download that the browser runs at float speed.

onnxruntime-web's WebAssembly build has no fast int8 kernels (wasm SIMD has no dot-product
instructions): a graph quantized the usual way (static QDQ: int8 weights AND int8 activations)
ran slower in the browser than the float graph, and native int8 kernels that are faster do
not help the page (measured: tests/bench/classifier.py). What int8 still buys is bytes: the
weights are nearly all of the file. So only the weights are quantized:

- every Conv weight is stored as int8, symmetric, one scale per output channel
  (scale = max|w| / 127: depthwise filters differ too much for one scale per tensor),
  behind a DequantizeLinear node; activations stay float32, so no calibration photos;
- the page sets session.disable_quant_qdq=1 (BROWSER_SESSION_CONFIG): ONNX Runtime turns
  each DequantizeLinear of a constant into a float weight when the session is created, and
  from then on computes the float graph with int8-rounded weights;
- the head (a labels x 1280 Linear, 15 KB) stays float: its logits are what the "none of
  these" thresholds compare, and the in-browser trainer replaces it anyway;
- `round_weights(model)` rounds a PyTorch model's Conv weights the same way, so the int8 file
  is checked against PyTorch output by output to float precision (parity.py), and the
  rounding's own effect is measured separately (int8 against float, on the validation split).

The exporter folds each BatchNorm into the Conv before it (weights scaled per output channel).
Per-channel symmetric rounding commutes with that scaling, except that float arithmetic breaks
a few exact ties the other way (78 of 3.3 million weights). So to_onnx exports the model
`round_weights` made and quantizes that graph: its weights are already on the int8 grid, the
rounding finds them again exactly, and the file's integers are PyTorch's.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper
from torch import nn

BROWSER_SESSION_CONFIG = {"session.disable_quant_qdq": "1"}


# --8<-- [start:int8]
def int8_per_channel(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """w (out, ...) float -> (q int8 in -127..127, scale (out,) float32) with w ~ q * scale per output channel."""
    flat = w.reshape(w.shape[0], -1).astype(np.float32)
    scale = np.abs(flat).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(flat / scale[:, None]), -127, 127).astype(np.int8)
    return q.reshape(w.shape), scale.astype(np.float32)
# --8<-- [end:int8]


def quantize_weights(fp32_path: str | Path, out_path: str | Path) -> Path:
    """The ONNX file at fp32_path with every Conv weight int8 + DequantizeLinear (axis 0) -> out_path."""
    model = onnx.load(str(fp32_path))
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    weights = sorted({n.input[1] for n in g.node if n.op_type == "Conv" and n.input[1] in inits})
    if not weights:
        raise ValueError(f"{fp32_path}: no Conv weight to quantize")
    dequantize = []
    for name in weights:
        q, scale = int8_per_channel(numpy_helper.to_array(inits[name]))
        g.initializer.remove(inits[name])
        g.initializer.extend([numpy_helper.from_array(q, f"{name}_int8"),
                              numpy_helper.from_array(scale, f"{name}_scale"),
                              numpy_helper.from_array(np.zeros_like(scale, dtype=np.int8), f"{name}_zero")])
        dequantize.append(helper.make_node("DequantizeLinear", [f"{name}_int8", f"{name}_scale", f"{name}_zero"],
                                           [name], axis=0, name=f"{name}_dequantize"))
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(dequantize + nodes)  # before their users: the graph stays topologically sorted
    onnx.checker.check_model(model)
    out_path = Path(out_path)
    onnx.save(model, str(out_path))
    return out_path


def round_weights(model: nn.Module) -> nn.Module:
    """A copy of `model` whose Conv weights are rounded as quantize_weights rounds them (int8 per output channel)."""
    model = copy.deepcopy(model)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                q, scale = int8_per_channel(m.weight.detach().numpy())
                m.weight.copy_(torch.from_numpy(q.astype(np.float32) * scale.reshape(-1, *[1] * (q.ndim - 1))))
    return model
