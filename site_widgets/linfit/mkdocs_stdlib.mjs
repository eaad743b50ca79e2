// Build step (run by mkdocs_stdlib.py, never served): Pyodide's python_stdlib.zip with the
// modules the SGD widget's worker imports compiled to bytecode.
//
// Pyodide ships its standard library as .py source, so every start of Python compiles the
// ~140 modules that Pyodide itself, the sandbox and a run import: about half of its start-up
// time (3.0 s -> 1.3 s under Node on this project's 2-core machine). Bytecode only runs on
// the interpreter that wrote it, so it is compiled here, by the same Pyodide the site serves.
// Those modules are stored as .pyc only (zipimport looks for .pyc before .py; no source, so
// nothing to check a timestamp against); every other module stays .py, as Pyodide ships it,
// for the reader's own imports.
//
//   node mkdocs_stdlib.mjs '{"stdlib": IN.zip, "out": OUT.zip, "files": {"sandbox.py": path, ...}, "code": path}'

import fs from "fs";
import { loadPyodide } from "pyodide";

const args = JSON.parse(process.argv[2]);
const py = await loadPyodide({ stdLibURL: args.stdlib });
for (const [name, path] of Object.entries(args.files)) py.FS.writeFile(name, fs.readFileSync(path, "utf8"));
py.FS.writeFile("/tmp/stdlib_in.zip", fs.readFileSync(args.stdlib));
py.globals.set("UPDATE_CODE", fs.readFileSync(args.code, "utf8"));

// What the worker does (worker.js), then runs that reach the sandbox's error paths too. (A
// function: every run puts __main__ back as it was at setup(), names defined later included.)
let used;
try {
  used = py.runPython(`
import json, sys

def warm(update_code):
    sys.path.insert(0, ".")
    import sandbox
    sandbox.setup()
    sandbox.calibrate()
    req = {"x": [[0.0, 1.0], [1.0, 1.0], [0.5, 1.0]], "y": [1.0, 2.0, 1.5], "a": [0.0, 0.0], "lr": 0.1,
           "steps": 3, "batch_size": 2, "seed": 1, "momentum": 0.5}
    for code in (update_code, "def update(a, xb, yb, lr)\\n    return a\\n",
                 "def update(a, xb, yb, lr):\\n    return [1 / 0, 0]\\n", "import js\\n",
                 "def update(a, xb, yb, lr):\\n    print('x')\\n    return None\\n"):
        sandbox.run(json.dumps({**req, "code": code}))
    prefix = "/lib/python%d%d.zip/" % sys.version_info[:2]
    origins = {getattr(m, "__file__", None) for m in list(sys.modules.values())}
    for name in sorted(IMPORTED):  # also what a run imported (and the next restore forgot)
        spec = importlib.util.find_spec(name)
        origins.add(spec and spec.origin)
    return json.dumps(sorted(o[len(prefix):] for o in origins if (o or "").startswith(prefix)))

import importlib.util
IMPORTED = set()
sys.addaudithook(lambda event, args: event == "import" and IMPORTED.add(args[0]))
warm(UPDATE_CODE)
`);
} catch (err) {
  console.error(String(err.message || err).slice(-3000)); // not the minified runtime Node would print
  process.exit(1);
}

py.globals.set("USED", used);
const count = py.runPython(`
import importlib._bootstrap_external as bootstrap, json, zipfile
used = set(json.loads(USED))
src = zipfile.ZipFile("/tmp/stdlib_in.zip")
with zipfile.ZipFile("/tmp/stdlib_out.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
    for info in src.infolist():
        data = src.read(info)
        if info.filename in used:
            code = compile(data, "/lib/python%d%d.zip/%s" % (*sys.version_info[:2], info.filename), "exec", dont_inherit=True)
            pyc = bootstrap._code_to_timestamp_pyc(code, 0, len(data))
            out.writestr(zipfile.ZipInfo(info.filename + "c", info.date_time), bytes(pyc), zipfile.ZIP_DEFLATED)
        else:
            out.writestr(info, data)
len(used)
`);
fs.writeFileSync(args.out, py.FS.readFile("/tmp/stdlib_out.zip"));
console.log(JSON.stringify({ compiled: count }));
