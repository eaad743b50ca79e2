"""Turn a training checkpoint into the model files the site's classifier loads.

    python -m export.to_onnx                                  # runs/default/model.pt -> docs/assets/models/
    python -m export.to_onnx --checkpoint runs/x/model.pt --out-dir /tmp/models --no-quantize

Steps, each in its own module:
1. load the checkpoint (training/bears/checkpoint.py) and wrap it: normalise -> model -> softmax (graph.py)
2. export to ONNX with a dynamic batch size (graph.py)
3. parity: ONNX Runtime vs PyTorch on real validation photos; stop with ParityError if they differ (parity.py)
4. static int8 QDQ quantization calibrated on training photos (quantize.py); keep it only if its
   validation accuracy is within `max_int8_drop` points of fp32 (measure.py)
5. write bears.json: file names, sha256, labels, input/output, preprocessing, metrics (manifest.py)

The validation/training split is the training run's own (split.py rebuilds it from the
config the checkpoint records), so accuracy here means what it meant in training.
Nothing written names this machine's folders: source locations the exporter records in
the graph are stripped (graph.py) and the manifest's paths are relative to the repository.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from export.graph import INPUT_NAME, OPSET, OUTPUT_NAME, Deployable, export_onnx, strip_build_paths
from export.manifest import build_manifest, sha256_file, variant_entry, write_manifest
from export.measure import accuracy, latency
from export.parity import ATOL, check_parity
from export.pixels import load_pixels
from export.quantize import BROWSER_SESSION_CONFIG, QuantConfig, quantize_int8
from export.split import split_for_checkpoint
from training.bears.checkpoint import load_checkpoint
from training.options import add_options, from_args, opt
from training.paths import ROOT, portable


@dataclass
class ExportConfig:
    """Which checkpoint, exported where, checked how."""

    checkpoint: Path = opt(ROOT / "runs" / "default" / "model.pt", "the checkpoint: the default pipeline's output")
    out_dir: Path = opt(ROOT / "docs" / "assets" / "models", "where the site serves models from (assets/models/)")
    name: str = opt("bears", "file stem: <name>.onnx, <name>.int8.onnx, <name>.json")
    data_dir: Path | None = opt(None, "the photos, if not where the training run read them")
    parity_images: int = opt(32, "real validation photos for the parity check (a few seconds)")
    atol: float = opt(ATOL, "max |p_onnx - p_torch| allowed (see export/parity.py for why 1e-4)")
    quantize: bool = opt(True, "try the static int8 variant")
    calibration_images: int = opt(200, "training photos to calibrate activation ranges (they settle by ~100)")
    max_int8_drop: float = opt(0.5, "validation accuracy points the int8 model may lose and still ship")
    latency_runs: int = opt(50, "single-image runs for the native latency figures")
    opset: int = opt(OPSET, "ONNX opset (18: what the exporter emits and onnxruntime-web 1.30 runs)")


def parse_args(argv: list[str] | None = None) -> ExportConfig:
    p = argparse.ArgumentParser(prog="python -m export.to_onnx", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_options(p, ExportConfig)
    return from_args(ExportConfig, p.parse_args(argv))


def log(msg: str) -> None:
    print(f"[export] {msg}", flush=True)


def export(cfg: ExportConfig) -> dict:
    """Run the whole export; returns the manifest written to out_dir/<name>.json."""
    t0 = time.perf_counter()
    model, meta = load_checkpoint(cfg.checkpoint)
    pre, labels = meta["preprocess"], meta["labels"]
    log(f"checkpoint {cfg.checkpoint}: {meta['arch']}, labels {labels}, preprocess {pre}")
    net = Deployable(model, pre["mean"], pre["std"])

    fp32_path = strip_build_paths(export_onnx(net, pre["crop"], cfg.out_dir / f"{cfg.name}.onnx", cfg.opset))
    log(f"wrote {fp32_path} ({fp32_path.stat().st_size / 1e6:.2f} MB)")

    split = split_for_checkpoint(meta, cfg.data_dir)
    log(f"split: {len(split.train)} training, {len(split.valid)} validation photos from {split.root}")
    valid_pixels = load_pixels([p for p, _ in split.valid], pre)
    valid_targets = np.array([labels.index(y) for _, y in split.valid])

    par = check_parity(fp32_path, net, valid_pixels[:cfg.parity_images], cfg.atol)
    log(f"parity on {par.n_images} photos: max |diff| {par.max_abs_diff:.2e} <= {cfg.atol:.0e}")

    fp32_acc = accuracy(fp32_path, valid_pixels, valid_targets)
    fp32_lat = latency(fp32_path, valid_pixels, cfg.latency_runs)
    fp32 = variant_entry(fp32_path, {"valid_accuracy": fp32_acc["accuracy"], "valid_correct": fp32_acc["correct"],
                                     "valid_n": fp32_acc["n"], "native_latency_ms_1thread": fp32_lat})
    log(f"fp32: accuracy {fp32_acc['accuracy']:.4f} ({fp32_acc['correct']}/{fp32_acc['n']}), "
        f"p50 {fp32_lat['p50_ms']:.1f} ms")

    int8, quant = None, None
    int8_path = cfg.out_dir / f"{cfg.name}.int8.onnx"
    if cfg.quantize:
        qcfg = QuantConfig()
        calib = [p for p, _ in split.train][: cfg.calibration_images]
        calib_pixels = load_pixels(calib, pre)
        strip_build_paths(quantize_int8(fp32_path, int8_path, calib_pixels, INPUT_NAME, qcfg))
        # Measured both as native CPU code runs it (fused int8 kernels) and as the page runs it.
        runs = {"fused_int8_kernels": None, "as_the_browser_runs_it": BROWSER_SESSION_CONFIG}
        q = {k: accuracy(int8_path, valid_pixels, valid_targets, config=c) for k, c in runs.items()}
        q_lat = {k: latency(int8_path, valid_pixels, cfg.latency_runs, config=c) for k, c in runs.items()}
        drops = {k: 100 * (fp32_acc["accuracy"] - a["accuracy"]) for k, a in q.items()}
        browser = q["as_the_browser_runs_it"]
        agree = float((browser["probs"].argmax(1) == fp32_acc["probs"].argmax(1)).mean())
        ok = all(d <= cfg.max_int8_drop for d in drops.values())
        quant = {"config": asdict(qcfg), "calibration_images": len(calib),
                 "valid_accuracy": {k: a["accuracy"] for k, a in q.items()},
                 "valid_correct": {k: a["correct"] for k, a in q.items()},
                 "accuracy_drop_points": drops, "max_drop_points": cfg.max_int8_drop,
                 "top_label_agreement_with_fp32": agree, "bytes": int8_path.stat().st_size,
                 "native_latency_ms_1thread": q_lat, "browser_session_config": BROWSER_SESSION_CONFIG, "shipped": ok}
        log(f"int8: accuracy {browser['accuracy']:.4f} ({browser['correct']}/{browser['n']}) as the page runs it, "
            f"{q['fused_int8_kernels']['accuracy']:.4f} with fused int8 kernels; drops "
            f"{', '.join(f'{d:+.2f}' for d in drops.values())} points (limit {cfg.max_int8_drop}); agrees with fp32 on "
            f"{agree:.1%}; native p50 {q_lat['fused_int8_kernels']['p50_ms']:.1f} ms fused, "
            f"{q_lat['as_the_browser_runs_it']['p50_ms']:.1f} ms as the page runs it; "
            f"{int8_path.stat().st_size / 1e6:.2f} MB -> {'shipped' if ok else 'NOT shipped'}")
        if ok:
            int8 = variant_entry(int8_path, {
                "valid_accuracy": browser["accuracy"], "valid_correct": browser["correct"], "valid_n": browser["n"],
                "session_config": BROWSER_SESSION_CONFIG,
                "native_latency_ms_1thread": q_lat["as_the_browser_runs_it"]})
        else:
            int8_path.unlink()
    elif int8_path.exists():
        int8_path.unlink()  # never leave a stale variant the manifest does not describe

    manifest = build_manifest(
        fp32=fp32, int8=int8, default="int8" if int8 else "fp32", labels=labels,
        input_name=INPUT_NAME, output_name=OUTPUT_NAME, crop=pre["crop"], preprocess=pre,
        meta={**meta, "report": portable(meta.get("report"))},
        parity={"n_images": par.n_images, "max_abs_diff": par.max_abs_diff, "atol": par.atol},
        quantization=quant,
    )
    manifest["checkpoint"] = {"sha256": sha256_file(cfg.checkpoint), "format": meta.get("format")}
    manifest["split"] = {"train": len(split.train), "valid": len(split.valid), "source": split.source}
    # The run's config rebuilds the same split anywhere (tests re-measure the accuracy with it);
    # its paths (data, cache, init...) relative to the repository, like every path published.
    manifest["config"] = {k: portable(v) if isinstance(v, str) and Path(v).is_absolute() else v
                          for k, v in (meta.get("config") or {}).items() if k != "out"}
    out = write_manifest(manifest, cfg.out_dir / f"{cfg.name}.json")
    log(f"wrote {out} (default variant: {manifest['default']}) in {time.perf_counter() - t0:.0f} s")
    return manifest


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    manifest = export(cfg)
    print(json.dumps({k: manifest[k] for k in ("model", "sha256", "default")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
