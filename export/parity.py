"""Does ONNX Runtime compute what PyTorch computes? Checked on real photos, output by output.

The export is only trusted when, for every photo in the batch,

- the decision (label, "none of these" or "not sure") is the same in both, and so is the top label,
- no probability differs by more than `atol` (default 1e-4), and no logit or feature-map
  value by more than TOLERANCE's (those are not in 0..1: logits reach 20 or so, the
  feature map's ReLU6 values 6).

Both run float32 on the same CPU; what remains is the order of floating-point operations
(fused kernels, different convolution algorithms, the BatchNorm folded into the convolution
by the exporter), which moves probabilities by about 1e-6 and feature-map values by about
1e-5. A wrong export (a missed normalisation, a transposed channel order, a layer in training
mode) moves them by 1e-2 or more, so these tolerances separate the two by orders of magnitude.
The int8 file is checked against PyTorch with the same int8-rounded weights (quantize.py's
round_weights): parity is about the graph; the rounding's own effect is measured apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from export.graph import OUTPUTS, run_torch
from export.runtime import run_all, session

ATOL = 1e-4
# max |onnx - torch| allowed per output (probabilities: `atol`; decision: none)
TOLERANCE = {"logits": 1e-3, "features": 2e-3, "decision": 0}


class ParityError(AssertionError):
    """ONNX Runtime and PyTorch disagree on real images: the export is wrong."""


@dataclass
class Parity:
    n_images: int
    max_abs_diff: float  # probabilities
    top_label_agreement: float
    atol: float
    outputs: dict  # output name -> {"max_abs_diff", "tolerance"} (decision: {"agreement"})


def check_parity(onnx_path: str | Path, net: torch.nn.Module, pixels: np.ndarray, atol: float = ATOL,
                 config: dict | None = None) -> Parity:
    """Compare every output of the ONNX file (session `config`) with `net` (a Deployable) on `pixels`;
    raise ParityError on a mismatch."""
    sess = session(onnx_path, config=config)
    names = [o.name for o in sess.get_outputs()]
    if names != list(OUTPUTS):
        raise ParityError(f"the ONNX file's outputs are {names}, expected {list(OUTPUTS)}")
# --8<-- [start:compare]
    want = run_torch(net, pixels)
    got = dict(zip(names, run_all(sess, pixels)))
    report = {}
    for name in names:
        if got[name].shape != want[name].shape:
            raise ParityError(f"{name}: shape {got[name].shape} from ONNX Runtime, {want[name].shape} from PyTorch")
        tol = atol if name == "probabilities" else TOLERANCE[name]
        diff = float(np.abs(got[name].astype(np.float64) - want[name]).max())
        report[name] = {"max_abs_diff": diff, "tolerance": tol}
    agree = float((got["probabilities"].argmax(1) == want["probabilities"].argmax(1)).mean())
    report["decision"]["agreement"] = float((got["decision"] == want["decision"]).mean())
# --8<-- [end:compare]
    result = Parity(len(pixels), report["probabilities"]["max_abs_diff"], agree, atol, report)
    bad = [f"{n}: max |onnx - torch| = {r['max_abs_diff']:.2e} (allowed {r['tolerance']:.0e})"
           for n, r in report.items() if r["max_abs_diff"] > r["tolerance"]]
    if bad or agree < 1.0:
        raise ParityError(f"ONNX export does not match PyTorch on {len(pixels)} real images: "
                          + "; ".join(bad + [f"top labels agree on {agree:.0%}"]))
    return result
