"""Build step for the SGD widget's Python: the standard library with its start-up modules compiled.

site_widgets/registry.json names this module under the pyodide runtime's "built" files:
mkdocs_hooks.py serves what ``build()`` returns as assets/vendor/pyodide/python_stdlib.zip.
The work is done by mkdocs_stdlib.mjs, in the same Pyodide the site serves (bytecode is
only good for the interpreter that wrote it); its result is cached under
node_modules/.cache/, keyed by everything that goes into it, so a rebuild costs nothing
until Pyodide, the sandbox or the core change.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SCRIPT = HERE / "mkdocs_stdlib.mjs"
# What the worker runs at start-up: the modules they import are the ones compiled.
FILES = {"sandbox.py": HERE / "sandbox.py", "sgd_core.py": ROOT / "training" / "sgd_core.py"}
CODE = HERE / "update.py"
CACHE = ROOT / "node_modules" / ".cache" / "lesson2"


def _key(stdlib: Path) -> str:
    h = hashlib.sha256()
    for path in (stdlib, stdlib.with_name("pyodide.asm.wasm"), SCRIPT, CODE, *FILES.values()):
        h.update(path.read_bytes())
    return h.hexdigest()[:20]


def build(stdlib: Path) -> Path:
    """Pyodide's python_stdlib.zip (`stdlib`) -> the same library, start-up modules as bytecode."""
    out = CACHE / f"python_stdlib-{_key(stdlib)}.zip"
    if out.is_file():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    args = {"stdlib": str(stdlib), "out": str(tmp), "files": {k: str(v) for k, v in FILES.items()}, "code": str(CODE)}
    proc = subprocess.run(["node", str(SCRIPT), json.dumps(args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"compiling Pyodide's standard library failed:\n{proc.stderr[-3000:]}")
    tmp.replace(out)  # atomic: builds running side by side never read half a file
    return out
