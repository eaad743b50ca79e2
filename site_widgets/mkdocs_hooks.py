"""MkDocs hook: put the browser widgets and their runtimes into the built site.

Everything the widgets load is served by the site itself (GitHub Pages is
static and the reader may be offline), so at build time this hook adds:

- ``site_widgets/**`` (ES modules, CSS, the widgets' Python) -> ``assets/widgets/``
- the pure-Python SGD core ``training/sgd_core.py`` -> ``assets/widgets/py/``
- the pinned npm runtimes from ``node_modules`` -> ``assets/vendor/<name>/``

Only the runtime files the widgets actually load are copied (see RUNTIMES).
The service worker that keeps the site offline is another hook,
``site_widgets/offline/mkdocs_offline.py``.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
WIDGETS = ROOT / "site_widgets"
NODE = ROOT / "node_modules"

# runtime name -> (package folder, files the site serves)
RUNTIMES = {
    "pyodide": (
        NODE / "pyodide",
        ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"],
    ),
    "ort": (
        NODE / "onnxruntime-web" / "dist",
        ["ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"],
    ),
}
# Python files the widgets run in Pyodide, served beside the widget modules.
WIDGET_PYTHON = [ROOT / "training" / "sgd_core.py"]
WIDGET_SUFFIXES = {".js", ".mjs", ".css", ".py", ".json"}
# Not served from assets/widgets/: build-time Python (mkdocs_*.py hooks) and the service
# worker's code, which is published at the site root as sw.js (its scope must cover every page).
NOT_SERVED = {"offline/sw.js"}


def _add(files: Files, config, src: Path, dest_uri: str) -> None:
    if not src.is_file():
        raise FileNotFoundError(
            f"{src} is missing: run `bash .ci/setup` (it installs the pinned npm packages)"
        )
    existing = files.get_file_from_path(dest_uri)
    if existing is not None:
        files.remove(existing)
    files.append(File.generated(config, dest_uri, abs_src_path=str(src)))


def on_files(files: Files, config) -> Files:
    for src in sorted(WIDGETS.rglob("*")):
        rel = src.relative_to(WIDGETS).as_posix()
        if (src.suffix in WIDGET_SUFFIXES and not src.name.startswith("mkdocs_") and rel not in NOT_SERVED
                and "__pycache__" not in src.parts):
            _add(files, config, src, f"assets/widgets/{rel}")
    for src in WIDGET_PYTHON:
        _add(files, config, src, f"assets/widgets/py/{src.name}")
    for name, (folder, names) in RUNTIMES.items():
        for fname in names:
            _add(files, config, folder / fname, f"assets/vendor/{name}/{fname}")
    return files
