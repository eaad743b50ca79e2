"""MkDocs hook: put the browser widgets and their runtimes into the built site.

Everything the widgets load is served by the site itself (GitHub Pages is
static and the reader may be offline), so at build time this hook adds:

- ``site_widgets/**`` (ES modules, CSS, the widgets' Python) -> ``assets/widgets/``
- the repository's Python files a widget runs (e.g. ``training/sgd_core.py``) -> ``assets/widgets/py/``
- the pinned npm runtimes from ``node_modules`` -> ``assets/vendor/<name>/``

Which widget needs which runtime files and Python files is listed once, in
``site_widgets/registry.json``; only those runtime files are copied.
The service worker that keeps the site offline is another hook,
``site_widgets/offline/mkdocs_offline.py``.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
WIDGETS = ROOT / "site_widgets"

REGISTRY = WIDGETS / "registry.json"  # the one list of widgets, their runtimes and Python files


def load_registry() -> dict:
    return json.loads(REGISTRY.read_text(encoding="utf-8"))


def runtime_files(registry: dict) -> list[tuple[Path, str]]:
    """(file in node_modules, its URI in the build) for every runtime file the widgets load.
    A file the runtime lists under "built" is served as the `build(file)` of the module named
    there (e.g. the Python standard library with its start-up modules compiled)."""
    out = []
    for runtime, spec in registry["runtimes"].items():
        for name in spec["files"]:
            src = ROOT / spec["from"] / name
            if name in spec.get("built", {}):
                src = _builder(ROOT / spec["built"][name]).build(src)
            out.append((src, f"assets/vendor/{runtime}/{name}"))
    return out


def _builder(path: Path):
    module_spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def widget_python(registry: dict) -> list[Path]:
    """Repository files the widgets run in Pyodide, served at assets/widgets/py/<name>."""
    return sorted({ROOT / py for spec in registry["widgets"].values() for py in spec.get("python", [])})


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
    registry = load_registry()
    for src in widget_python(registry):
        _add(files, config, src, f"assets/widgets/py/{src.name}")
    for src, uri in runtime_files(registry):
        _add(files, config, src, uri)
    return files
