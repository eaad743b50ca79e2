"""Static int8 quantization (QDQ), calibrated on training photos.

"Static" means the activations' ranges are measured once, here, by running the
fp32 model on real training photos (the calibration set), instead of being
measured on every request. The weights become int8 per output channel; the
graph gets QuantizeLinear/DequantizeLinear pairs (the QDQ format) that ONNX
Runtime, in Python and in the browser, fuses into int8 kernels.

Steps, as ONNX Runtime recommends: pre-process (shape inference and graph
optimisation) -> calibrate -> quantize. The result ships only when its accuracy
on the validation split stays within 0.5 points of the fp32 model (to_onnx.py
decides, measure.py measures).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process


# How the browser runs the int8 file. onnxruntime-web's WebAssembly build has no fast
# int8 matrix kernels (no dot-product instructions in wasm SIMD): fused int8 convolutions
# run slower there than float ones (measured: tests/bench/classifier.py). With QDQ fusion
# off, ONNX Runtime folds DequantizeLinear(int8 weights) into float weights when the
# session is created, and the graph keeps the calibrated activation rounding
# (QuantizeLinear -> DequantizeLinear) in float. So the page downloads the 4x smaller
# int8 file and computes at float speed; accuracy is measured both ways before shipping.
BROWSER_SESSION_CONFIG = {"session.disable_quant_qdq": "1"}


@dataclass
class QuantConfig:
    per_channel: bool = True  # one scale per conv filter: depthwise convs need it to keep accuracy
    activation_type: str = "QUInt8"  # u8 activations x s8 weights: the kernel pair ORT's CPU/wasm code favours
    weight_type: str = "QInt8"
    calibrate_method: str = "MinMax"  # EfficientNet-Lite's ReLU6 already bounds activations to [0, 6]
    batch_size: int = 8  # calibration batches: memory only, does not change the ranges


class PhotoBatches(CalibrationDataReader):
    """Feeds preprocessed calibration photos (N, 3, H, W) to the calibrator, `batch_size` at a time."""

    def __init__(self, input_name: str, pixels: np.ndarray, batch_size: int):
        self.input_name = input_name
        self.batches = [pixels[i:i + batch_size] for i in range(0, len(pixels), batch_size)]
        self.pos = 0

    def get_next(self):
        if self.pos >= len(self.batches):
            return None
        self.pos += 1
        return {self.input_name: self.batches[self.pos - 1]}

    def rewind(self):
        self.pos = 0


def quantize_int8(fp32_path: str | Path, out_path: str | Path, calibration: np.ndarray, input_name: str,
                  cfg: QuantConfig = QuantConfig()) -> Path:
    """fp32 ONNX + calibration pixels (float32 0..1) -> int8 QDQ ONNX at out_path."""
    if len(calibration) == 0:
        raise ValueError("quantization needs calibration photos, got none")
    out_path = Path(out_path)
    with tempfile.TemporaryDirectory() as tmp:
        prepped = Path(tmp) / "prepped.onnx"
# --8<-- [start:quantize]
        quant_pre_process(str(fp32_path), str(prepped), skip_symbolic_shape=False)
        quantize_static(
            str(prepped), str(out_path),
            calibration_data_reader=PhotoBatches(input_name, calibration, cfg.batch_size),
            quant_format=QuantFormat.QDQ,
            per_channel=cfg.per_channel,
            activation_type=QuantType[cfg.activation_type],
            weight_type=QuantType[cfg.weight_type],
            calibrate_method=CalibrationMethod[cfg.calibrate_method],
            # Softmax stays float: its output is what the page shows, to the last digit.
            op_types_to_quantize=["Conv", "MatMul", "Gemm", "Add", "Mul", "GlobalAveragePool",
                                  "AveragePool", "Clip", "Relu"],
            extra_options={"ActivationSymmetric": False, "WeightSymmetric": True},
        )
# --8<-- [end:quantize]
    return out_path
