"""From a training checkpoint to the files the site's classifier loads.

One concept per file:

- graph.py     the deployable network: normalisation baked in, softmax at the end; ONNX export
- pixels.py    the Python side of the browser's preprocessing: photo -> RGB 0..1 crop
- parity.py    ONNX Runtime vs PyTorch on real photos; raises ParityError when they differ
- split.py     the training run's own train/validation split, rebuilt from the checkpoint
- quantize.py  static int8 (QDQ) quantization calibrated on training photos
- measure.py   accuracy on the validation split and single-threaded latency in ONNX Runtime
- manifest.py  the JSON manifest the widget reads (file, sha256, labels, input, preprocess, metrics)
- to_onnx.py   `python -m export.to_onnx`: all of the above, in order
"""
