"""ONNX Runtime sessions set up as the browser sets them up, and running them. No PyTorch.

`python -m export.predict` needs only this, Pillow and NumPy, so it starts in a fraction of
a second instead of the seconds importing PyTorch takes; parity.py compares what these
sessions compute with PyTorch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort


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
