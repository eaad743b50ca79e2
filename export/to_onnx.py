"""Turn a training checkpoint into the model files the site's classifier (and trainer) load.

    python -m export.to_onnx                                  # runs/default/model.pt -> docs/assets/models/
    python -m export.to_onnx --checkpoint runs/x/model.pt --out-dir /tmp/models

Steps, each in its own module:
1. load the checkpoint (training/bears/checkpoint.py) and wrap it: normalise -> body -> head ->
   softmax and the "none of these" rule, with the feature map as an output too (graph.py)
2. export the float32 graph to ONNX with a dynamic batch size, under --build-dir (runs/export/):
   it is checked and measured, never published
3. parity: ONNX Runtime vs PyTorch on real validation photos, every output; stop with ParityError
   if they differ (parity.py)
4. weights-only int8 (quantize.py): the file the page downloads; its parity with PyTorch on the
   same rounded weights, then the rounding's effect: it ships only if its accuracy on the
   validation split is within `max_int8_drop` points of float32 and its answers (label, none,
   not sure) agree with float32's on at least `min_int8_agreement` of the validation and
   no-bear photos (measure.py)
5. the production head as `lesson2-head/1` JSON (the in-browser trainer's format: its "use my
   model" swaps heads on the same body) and bears.json, the manifest (manifest.py)

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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from export.graph import INPUT_NAME, OPSET, OUTPUTS, Deployable, export_onnx, strip_build_paths
from export.manifest import build_manifest, head_json, sha256_file, variant_entry, write_json
from export.measure import judge, latency, outputs
from export.parity import ATOL, check_parity
from export.pixels import load_pixels
from export.quantize import BROWSER_SESSION_CONFIG, quantize_weights, round_weights
from export.split import split_for_checkpoint
from training.bears.checkpoint import load_checkpoint
from training.options import add_options, from_args, opt
from training.paths import ROOT, RUNS, portable


@dataclass
class ExportConfig:
    """Which checkpoint, exported where, checked how."""

    checkpoint: Path = opt(RUNS / "default" / "model.pt", "the checkpoint: the default pipeline's output")
    out_dir: Path = opt(ROOT / "docs" / "assets" / "models", "where the site serves models from (assets/models/)")
    build_dir: Path = opt(RUNS / "export", "where the float32 ONNX file is built and checked (not published)")
    name: str = opt("bears", "file stem: <name>.int8.onnx, <name>.head.json, <name>.json")
    data_dir: Path | None = opt(None, "the photos, if not where the training run read them")
    parity_images: int = opt(32, "real validation photos for the parity checks (a few seconds)")
    atol: float = opt(ATOL, "max |p_onnx - p_torch| allowed (see export/parity.py for why 1e-4)")
    max_int8_drop: float = opt(0.5, "validation accuracy points the int8 model may lose and still ship")
    min_int8_agreement: float = opt(0.99, "share of validation and no-bear photos on which int8 must give float32's answer")
    latency_runs: int = opt(50, "single-image runs for the native latency figures")
    opset: int = opt(OPSET, "ONNX opset (18: what the exporter emits and onnxruntime-web 1.30 runs)")


def parse_args(argv: list[str] | None = None) -> ExportConfig:
    p = argparse.ArgumentParser(prog="python -m export.to_onnx", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_options(p, ExportConfig)
    return from_args(ExportConfig, p.parse_args(argv))


def log(msg: str) -> None:
    print(f"[export] {msg}", flush=True)


def measure(path: Path, photos: dict, labels: list[str], config: dict | None) -> dict:
    """The file's answers on the validation photos and the no-bear photos: {"valid": ..., "negatives": ...}."""
    res = {}
    for part, (pixels, targets) in photos.items():
        out = outputs(path, pixels, config=config)
        res[part] = {"rates": judge(out, targets, len(labels)), "decision": out["decision"]}
    return res


def export(cfg: ExportConfig) -> dict:
    """Run the whole export; returns the manifest written to out_dir/<name>.json."""
    t0 = time.perf_counter()
    model, meta = load_checkpoint(cfg.checkpoint)
    pre, labels = meta["preprocess"], meta["labels"]
    log(f"checkpoint {cfg.checkpoint}: {meta['arch']}, labels {labels}, preprocess {pre}, "
        f"thresholds {meta.get('decision', {}).get('thresholds')}")
    net = Deployable.from_checkpoint(model, meta)

    fp32_path = strip_build_paths(export_onnx(net, pre["crop"], cfg.build_dir / f"{cfg.name}.fp32.onnx", cfg.opset))
    log(f"built {fp32_path} ({fp32_path.stat().st_size / 1e6:.2f} MB, not published)")
    split = split_for_checkpoint(meta, cfg.data_dir, log)
    log(f"split: {len(split.train)} training, {len(split.valid)} validation photos from {split.root}")
    valid_pixels = load_pixels([p for p, _ in split.valid], pre)
    valid_targets = np.array([labels.index(y) for _, y in split.valid])
    photos = {"valid": (valid_pixels, valid_targets)}
    if split.negatives:
        photos["negatives"] = (load_pixels(split.negatives.test, pre), None)
    parity_px = valid_pixels[:cfg.parity_images]

    par32 = check_parity(fp32_path, net, parity_px, cfg.atol)
    log(f"float32 parity on {par32.n_images} photos: " + outputs_text(par32.outputs))
    fp32 = measure(fp32_path, photos, labels, None)
    fp32_lat = latency(fp32_path, valid_pixels, cfg.latency_runs)

    # int8: PyTorch rounds the weights first and that graph is quantized, so the file's integers are
    # exactly PyTorch's (quantizing the float graph directly rounds a few ties the other way)
    int8_path = cfg.out_dir / f"{cfg.name}.int8.onnx"
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    rounded = Deployable.from_checkpoint(round_weights(model), meta)
    rounded_path = export_onnx(rounded, pre["crop"], cfg.build_dir / f"{cfg.name}.rounded.onnx", cfg.opset)
    strip_build_paths(quantize_weights(rounded_path, int8_path))
    par8 = check_parity(int8_path, rounded, parity_px, cfg.atol, config=BROWSER_SESSION_CONFIG)
    log(f"int8 parity (PyTorch with the same rounded weights) on {par8.n_images} photos: " + outputs_text(par8.outputs))
    int8 = measure(int8_path, photos, labels, BROWSER_SESSION_CONFIG)
    int8_lat = latency(int8_path, valid_pixels, cfg.latency_runs, config=BROWSER_SESSION_CONFIG)
    quant = int8_verdict(cfg, fp32, int8, int8_path, fp32_path)
    log(f"int8: {quant['bytes'] / 1e6:.2f} MB; accuracy {quant['valid_accuracy']['int8']:.4f} vs float32 "
        f"{quant['valid_accuracy']['fp32']:.4f}; answers agree on {quant['answer_agreement']:.1%}; native p50 "
        f"{int8_lat['p50_ms']:.1f} ms (float32 {fp32_lat['p50_ms']:.1f} ms) -> "
        f"{'shipped' if quant['shipped'] else 'NOT shipped'}")
    if not quant["shipped"]:
        int8_path.unlink()
        raise ValueError(f"the int8 model loses too much (see above); nothing written to {cfg.out_dir}")
    for stale in cfg.out_dir.glob(f"{cfg.name}*.onnx"):
        if stale != int8_path:
            stale.unlink()  # never leave a file the manifest does not describe (the old float32 one)

    v = int8["valid"]["rates"]
    entry = variant_entry(int8_path, {
        "valid_accuracy": v["top_label_accuracy"], "valid_correct": v["correct"], "valid_n": v["n"],
        "valid_unlabelled": v["unlabelled"], "valid_accuracy_labelled": v["accuracy_labelled"],
        **({"negatives_unlabelled": int8["negatives"]["rates"]["unlabelled"]} if "negatives" in int8 else {}),
        "session_config": BROWSER_SESSION_CONFIG, "native_latency_ms_1thread": int8_lat})
    head_path = write_json(head_json(model, labels, meta, entry, cfg, feature_shape(net, pre)),
                           cfg.out_dir / f"{cfg.name}.head.json")
    report = load_report(meta)
    manifest = build_manifest(
        int8=entry, labels=labels, input_name=INPUT_NAME, crop=pre["crop"], preprocess=pre,
        meta={**meta, "report": portable(meta.get("report"))}, features=feature_shape(net, pre),
        head={"model": head_path.name, "sha256": sha256_file(head_path), "format": "lesson2-head/1"},
        parity={"fp32": parity_entry(par32), "int8": parity_entry(par8)}, quantization=quant,
        holdout=(report or {}).get("holdout"), negatives={k: v["rates"] for k, v in int8.items() if k == "negatives"},
        build={"fp32_bytes": fp32_path.stat().st_size, "fp32_sha256": sha256_file(fp32_path),
               "fp32_native_latency_ms_1thread": fp32_lat, "fp32_valid": fp32["valid"]["rates"],
               "note": "the float32 graph is built and checked under runs/export/, not published"})
    manifest["checkpoint"] = {"sha256": sha256_file(cfg.checkpoint), "format": meta.get("format")}
    manifest["split"] = {"train": len(split.train), "valid": len(split.valid), "source": split.source}
    # The run's config rebuilds the same split anywhere (tests re-measure the accuracy with it);
    # its paths (data, cache, init...) relative to the repository, like every path published.
    manifest["config"] = {k: portable(v) if isinstance(v, str) and Path(v).is_absolute() else v
                          for k, v in (meta.get("config") or {}).items() if k != "out"}
    out = write_json(manifest, cfg.out_dir / f"{cfg.name}.json")
    log(f"wrote {out}, {head_path.name}, {int8_path.name} in {time.perf_counter() - t0:.0f} s")
    return manifest


def outputs_text(report: dict) -> str:
    return ", ".join(f"{n} {r['max_abs_diff']:.1e} <= {r['tolerance']:.0e}" for n, r in report.items())


def parity_entry(p) -> dict:
    return {"n_images": p.n_images, "atol": p.atol, "outputs": p.outputs}


def int8_verdict(cfg: ExportConfig, fp32: dict, int8: dict, int8_path: Path, fp32_path: Path) -> dict:
    """Does the int8 file answer as float32 does? Accuracy drop and answer agreement."""
    acc = {k: r["valid"]["rates"]["top_label_accuracy"] for k, r in (("fp32", fp32), ("int8", int8))}
    same = np.concatenate([(int8[p]["decision"] == fp32[p]["decision"]) for p in fp32])
    drop = 100 * (acc["fp32"] - acc["int8"])
    agreement = float(same.mean())
    return {"method": "weights only: Conv weights int8, symmetric, per output channel; activations float32",
            "bytes": int8_path.stat().st_size, "fp32_bytes": fp32_path.stat().st_size,
            "valid_accuracy": acc, "accuracy_drop_points": drop, "max_drop_points": cfg.max_int8_drop,
            "answer_agreement": agreement, "answer_agreement_photos": int(len(same)),
            "min_answer_agreement": cfg.min_int8_agreement, "browser_session_config": BROWSER_SESSION_CONFIG,
            "shipped": drop <= cfg.max_int8_drop and agreement >= cfg.min_int8_agreement}


def feature_shape(net: Deployable, pre: dict) -> list:
    """The feature output's shape for one crop: ["N", C, h, w]."""
    import torch

    with torch.no_grad():
        fmap = net(torch.zeros(1, 3, pre["crop"], pre["crop"]))[OUTPUTS.index("features")]
    return ["N", *fmap.shape[1:]]


def load_report(meta: dict) -> dict | None:
    path = Path(meta.get("report") or "") / "report.json"
    return json.loads(path.read_text()) if path.is_file() else None


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    manifest = export(cfg)
    print(json.dumps({k: manifest[k] for k in ("model", "sha256", "default")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
