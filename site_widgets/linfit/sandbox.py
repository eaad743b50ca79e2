"""Run the reader's edited ``update()`` with the SGD core (in Pyodide, in a Web Worker).

Pure Python, so CPython tests can call it too. The reader's code is compiled
under the file name ``<your update>``; when it fails, the traceback shows only
the reader's own lines, plus the error, so the message points at their code.
A loop that never ends is not handled here: the page terminates the worker.
"""

import contextlib
import io
import json
import math
import traceback

import sgd_core

FILENAME = "<your update>"
MAX_OUTPUT = 4000  # characters of print() output sent back to the page


def _namespace():
    """What the reader's code can use without importing: the core's helpers and math."""
    ns = {name: getattr(sgd_core, name) for name in sgd_core.__all__ if name != "update"}
    ns["math"] = math
    return ns


def _explain(err):
    """The traceback trimmed to the reader's frames (all of it for a SyntaxError)."""
    if isinstance(err, SyntaxError):
        return "".join(traceback.format_exception_only(type(err), err)).rstrip()
    te = traceback.TracebackException.from_exception(err)
    te.stack = traceback.StackSummary.from_list([f for f in te.stack if f.filename == FILENAME])
    return "".join(te.format()).rstrip()


def run(request_json):
    """request: {"code", "x", "y", "a", "lr", "steps", "batch_size", "seed"} -> JSON string
    {"ok": true, "a": [...], "loss": [...], "diverged": bool, "stdout": str} or
    {"ok": false, "error": traceback text, "stdout": str}."""
    req = json.loads(request_json)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            ns = _namespace()
            exec(compile(req["code"], FILENAME, "exec"), ns)
            update = ns.get("update")
            if not callable(update):
                raise NameError("your code must define a function update(a, xb, yb, lr)")
            result = sgd_core.fit(req["x"], req["y"], req["a"], req["lr"], req["steps"],
                                  req.get("batch_size", 0), req.get("seed", 0), update=update)
    except Exception as err:  # anything the reader's code raises becomes a message, never a crash
        return json.dumps({"ok": False, "error": _explain(err), "stdout": out.getvalue()[-MAX_OUTPUT:]})
    return json.dumps({"ok": True, **result, "stdout": out.getvalue()[-MAX_OUTPUT:]})
