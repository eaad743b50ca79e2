"""Does ONNX Runtime compute what PyTorch computes? Checked on real photos.

The export is only trusted when, for every photo in the batch,

- the top label is the same in both, and
- no probability differs by more than `atol` (default 1e-4).

Both run float32 on the same CPU; what remains is the order of floating-point
operations (fused kernels, different convolution algorithms), which moves
probabilities by about 1e-6. A wrong export (a missed normalisation, a
transposed channel order, a layer in training mode) moves them by 1e-2 or more,
so 1e-4 separates the two by orders of magnitude.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

ATOL = 1e-4


class ParityError(AssertionError):
    """ONNX Runtime and PyTorch disagree on real images: the export is wrong."""


@dataclass
class Parity:
    n_images: int
    max_abs_diff: float
    top_label_agreement: float
    atol: float


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
    sess = path_or_session if isinstance(path_or_session, ort.InferenceSession) else session(path_or_session)
    return sess.run(None, {sess.get_inputs()[0].name: pixels})[0]


def check_parity(onnx_path: str | Path, net: torch.nn.Module, pixels: np.ndarray, atol: float = ATOL) -> Parity:
    """Compare the ONNX file with `net` (a Deployable) on `pixels`; raise ParityError on mismatch."""
# --8<-- [start:compare]
    with torch.no_grad():
        want = net.eval()(torch.from_numpy(pixels)).numpy()
    got = run_onnx(onnx_path, pixels)
    if got.shape != want.shape:
        raise ParityError(f"output shape {got.shape} from ONNX Runtime, {want.shape} from PyTorch")
    diff = float(np.abs(got - want).max())
    agree = float((got.argmax(1) == want.argmax(1)).mean())
# --8<-- [end:compare]
    result = Parity(len(pixels), diff, agree, atol)
    if diff > atol or agree < 1.0:
        raise ParityError(
            f"ONNX export does not match PyTorch on {len(pixels)} real images: "
            f"max |p_onnx - p_torch| = {diff:.2e} (allowed {atol:.0e}), "
            f"top labels agree on {agree:.0%}"
        )
    return result
