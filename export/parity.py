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
import onnxruntime as ort
import torch

from export.graph import OUTPUTS, run_torch

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


def session(path: str | Path, threads: int = 1, config: dict | None = None) -> ort.InferenceSession:
    """A CPU session like the browser's: one thread unless told otherwise; `config` holds
    session config entries (the manifest's `session_config`, e.g. session.disable_quant_qdq)."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    for key, value in (config or {}).items():
        opts.add_session_config_entry(key, str(value))
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def run_onnx(path_or_session, pixels: np.ndarray) -> np.ndarray:
    """The first output (the probabilities) for `pixels`."""
    return run_all(path_or_session, pixels)[0]


def run_all(path_or_session, pixels: np.ndarray, config: dict | None = None) -> list[np.ndarray]:
    """Every output, in the graph's order."""
    sess = path_or_session if isinstance(path_or_session, ort.InferenceSession) else session(path_or_session,
                                                                                              config=config)
    return sess.run(None, {sess.get_inputs()[0].name: pixels})


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
