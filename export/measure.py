"""What an ONNX file does on photos, in ONNX Runtime (Python, CPU): answers and latency.

Answers are the graph's own (its `decision` output, graph.py), so what is measured here is
what the page shows: accuracy of the top label, and the "none of these" / "not sure" rule's
rates (training/bears/decision.py's `rates`) on bears and on photos with no bear.
Latency is measured the way the browser runs: one image per call, one thread, after a few
warm-up runs; reported as median (p50) and 90th percentile (p90).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from export.runtime import run_all, session
from training.bears.decision import rates


def outputs(onnx_path: str | Path, pixels: np.ndarray, batch_size: int = 16, config: dict | None = None) -> dict:
    """{output name: array over all `pixels`}, run `batch_size` photos at a time."""
    sess = session(onnx_path, threads=2, config=config)
    names = [o.name for o in sess.get_outputs()]
    parts = [run_all(sess, pixels[i:i + batch_size]) for i in range(0, len(pixels), batch_size)]
    return {n: np.concatenate([p[k] for p in parts]) for k, n in enumerate(names)}


def judge(out: dict, targets: np.ndarray | None, n_labels: int) -> dict:
    """Top-label accuracy (bears) and the decision's rates; targets None: photos of no label."""
    r = rates(out["decision"], targets, n_labels)
    if targets is not None:
        correct = int((out["probabilities"].argmax(1) == targets).sum())
        r.update(correct=correct, top_label_accuracy=correct / max(1, len(targets)))
    return r


def accuracy(onnx_path: str | Path, pixels: np.ndarray, targets: np.ndarray, batch_size: int = 16,
             config: dict | None = None) -> dict:
    """Fraction of photos whose top label is the target, plus the probabilities and decisions."""
    out = outputs(onnx_path, pixels, batch_size, config)
    correct = int((out["probabilities"].argmax(1) == targets).sum())
    return {"n": int(len(targets)), "correct": correct, "accuracy": correct / max(1, len(targets)),
            "probs": out["probabilities"], "decision": out["decision"]}


def percentile(xs: list[float], q: float) -> float:
    """Nearest-rank percentile (the same rule the browser benchmark uses)."""
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(np.ceil(q / 100 * len(s))) - 1))
    return float(s[k])


def latency(onnx_path: str | Path, image: np.ndarray, runs: int = 50, warmup: int = 5, threads: int = 1,
            config: dict | None = None) -> dict:
    """Per-call wall time in ms for a (1, 3, H, W) input: p50, p90, plus session-create time."""
    t0 = time.perf_counter()
    sess = session(onnx_path, threads=threads, config=config)
    create_ms = (time.perf_counter() - t0) * 1000
    feed = {sess.get_inputs()[0].name: image[:1]}
    for _ in range(warmup):
        sess.run(None, feed)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(None, feed)
        times.append((time.perf_counter() - t) * 1000)
    return {"runs": runs, "threads": threads, "create_ms": create_ms,
            "p50_ms": percentile(times, 50), "p90_ms": percentile(times, 90)}
