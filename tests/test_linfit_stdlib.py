"""The standard library the site serves to the SGD widget's Python (site_widgets/linfit/mkdocs_stdlib.py):
Pyodide's own, with the modules a start-up imports compiled to bytecode by the same Pyodide.
Under Node, with that file: Python starts, the start-up modules come from bytecode, every other
module is still there as source for the reader's imports, and the sandbox gives the same run."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

from tests.support import ROOT
from training import sgd_core

STOCK = ROOT / "node_modules" / "pyodide" / "python_stdlib.zip"


def built() -> Path:
    import importlib.util

    spec = importlib.util.spec_from_file_location("mkdocs_stdlib", ROOT / "site_widgets/linfit/mkdocs_stdlib.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build(STOCK)  # cached in node_modules/.cache after the first build


def test_compiled_stdlib_starts_python_and_keeps_every_module():
    path = built()
    names = set(zipfile.ZipFile(path).namelist())
    stock = set(zipfile.ZipFile(STOCK).namelist())
    compiled = {n for n in names if n.endswith(".pyc")}
    assert {"json/__init__.pyc", "traceback.pyc", "random.pyc"} <= compiled
    assert {n[:-1] for n in compiled} | {n for n in names if not n.endswith(".pyc")} == stock  # nothing lost

    fit = json.loads((ROOT / "docs/assets/sgd/fit.json").read_text())
    req = {"code": (ROOT / "site_widgets/linfit/update.py").read_text(), "x": fit["x"], "y": fit["y"],
           "a": fit["a"][0], "lr": 0.9, "steps": 20, "batch_size": 0, "seed": 42, "momentum": 0.5}
    files = {n: (ROOT / p).read_text() for n, p in (("sandbox.py", "site_widgets/linfit/sandbox.py"),
                                                    ("sgd_core.py", "training/sgd_core.py"))}
    js = """
import { loadPyodide } from "pyodide";
import fs from "fs";
const input = JSON.parse(fs.readFileSync(0, "utf8"));
const py = await loadPyodide({ stdLibURL: input.stdlib });
for (const [name, text] of Object.entries(input.files)) py.FS.writeFile(name, text);
py.globals.set("REQ", JSON.stringify(input.req));
console.log(py.runPython(`
import json, sys, statistics
sys.path.insert(0, ".")
import sandbox
sandbox.setup()
json.dumps({"json": json.__file__, "statistics": statistics.__file__, "run": json.loads(sandbox.run(REQ))})
`));"""
    proc = subprocess.run(["node", "--input-type=module", "-e", js], cwd=ROOT, capture_output=True, text=True,
                          timeout=180, input=json.dumps({"stdlib": str(path), "files": files, "req": req}))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["json"].endswith("json/__init__.pyc")  # from bytecode
    assert out["statistics"].endswith("statistics.py")  # not imported at start-up: still source
    run = out["run"]
    assert run["ok"], run
    want = sgd_core.fit(fit["x"], fit["y"], fit["a"][0], 0.9, 20, 0, 42, momentum=0.5)
    assert all(abs(g - w) <= 1e-12 * max(1, abs(w)) for ga, wa in zip(run["a"], want["a"]) for g, w in zip(ga, wa))
