"""The network the browser runs, and its export to ONNX.

The trained `BearNet` expects a normalised batch and returns logits. The page
should not have to know about ImageNet's mean and std, nor about softmax, so
`Deployable` wraps it:

    image (N, 3, H, W), RGB, float32 in 0..1
      -> (image - mean) / std -> BearNet -> softmax -> probabilities (N, labels)

Only the batch size N is dynamic: the widget always sends one crop of
`preprocess["crop"]` pixels, the benchmark and the parity check send several.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

INPUT_NAME = "image"
OUTPUT_NAME = "probabilities"
# Opset 18 is what the dynamo exporter emits natively and onnxruntime-web 1.30 runs.
OPSET = 18


# --8<-- [start:deployable]
class Deployable(nn.Module):
    """Normalise -> trained model -> softmax, so the input is plain RGB in 0..1."""

    def __init__(self, model: nn.Module, mean: list[float], std: list[float]):
        super().__init__()
        self.model = model.eval()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model((image - self.mean) / self.std), dim=1)
# --8<-- [end:deployable]


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
            input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
            dynamic_shapes={"image": {0: batch}},
            opset_version=opset,
            dynamo=True,
            external_data=False,  # one file: the page fetches and hashes exactly one thing
            verbose=False,
        )
# --8<-- [end:export]
    return path
