"""Run the reader's edited ``update()`` with the SGD core (in Pyodide, in a Web Worker).

Pure Python, so CPython tests can call it too. The worker imports this module once and
then calls ``run()`` for every run the page asks for.

- Every run starts from a clean Python: ``setup()`` records the state of every loaded
  module (and of their classes) once; ``run()`` puts it back before and after the
  reader's code, forgets the modules that code imported, and loads the core afresh.
  So ``import sgd_core; sgd_core.mse_grad = ...`` (or patching ``math``, ``builtins``,
  ``random.Random``...) lasts for that run only, and "Restore original" really restores.
- What ``update()`` returns is checked (a list of 2 finite numbers) and any problem is
  named, with the step: a string, a NaN or an infinity is not blamed on the learning rate.
- ``sys.exit()``, ``KeyboardInterrupt``, ``os._exit()`` end the run with a message, never
  Python itself; printed output is capped; ``js`` and ``pyodide`` cannot be imported (the
  reader's code is pure Python, away from the page).
- The reader's code is compiled under the file name ``<your update>``; a traceback shows
  only the reader's own lines, plus the error.

A loop that never ends is not handled here: the page terminates the worker.
"""

import builtins
import contextlib
import gc
import importlib.util
import io
import itertools
import json
import math
import operator
import os
import reprlib
import sys
import time
import traceback
import types
import warnings

FILENAME = "<your update>"
MAX_OUTPUT = 4000  # characters of print() output sent back to the page (the last ones)
BLOCKED_IMPORTS = ("js", "pyodide", "pyodide_js", "_pyodide", "_pyodide_core")
_INF = float("inf")
_repr = reprlib.Repr()
_repr.maxstring = _repr.maxother = 40
_repr.maxlist = _repr.maxtuple = 4
_short = _repr.repr


def _compile_core():
    """The core's code, compiled once from its file (found on sys.path, as `import sgd_core` would)."""
    path = importlib.util.find_spec("sgd_core").origin
    with open(path, encoding="utf-8") as f:
        return compile(f.read(), path, "exec")


_core_code = _compile_core()
_clean = None  # set by setup(): the state every run starts from


class ReaderError(Exception):
    """Something the reader's code did, explained in words (shown without a traceback)."""


# ---------------------------------------------------------------- a clean Python for every run

class CleanState:
    """The state of every loaded module and of the classes they define, put back on demand."""

    def __init__(self):
        self.modules = dict(sys.modules)
        self.dicts = []  # (namespace, its keys, its values) of every module and class
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, mod in self.modules.items():
                ns = getattr(mod, "__dict__", None)
                if not isinstance(ns, dict):
                    continue
                self.dicts.append((ns, list(ns), list(ns.values()), None))
                for value in list(ns.values()):
                    if isinstance(value, type) and value.__dict__.get("__module__") == name:
                        cls_ns = value.__dict__
                        self.dicts.append((cls_ns, list(cls_ns), list(cls_ns.values()), value))
        self.lists = [(sys.path, list(sys.path)), (sys.meta_path, list(sys.meta_path)),
                      (sys.path_hooks, list(sys.path_hooks)), (warnings.filters, list(warnings.filters))]
        self.recursion_limit = sys.getrecursionlimit()
        self.int_digits = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else None

    def restore(self):
        for name in [n for n in sys.modules if n not in self.modules]:
            del sys.modules[name]
        for name, mod in self.modules.items():
            if sys.modules.get(name) is not mod:
                sys.modules[name] = mod
        for ns, keys, values, cls in self.dicts:
            if len(ns) == len(keys) and all(map(operator.is_, ns.values(), values)) \
                    and all(map(operator.is_, ns, keys)):
                continue
            saved = dict(zip(keys, values))
            if cls is not None:
                _restore_class(cls, saved)
            else:
                ns.clear()  # (builtins too: nothing between these two lines looks a name up)
                ns.update(saved)
        for live, saved in self.lists:
            if live != saved:
                live[:] = saved
        sys.setrecursionlimit(self.recursion_limit)
        if self.int_digits is not None:
            sys.set_int_max_str_digits(self.int_digits)
        sys.settrace(None)
        sys.setprofile(None)
        gc.enable()


def _restore_class(cls, saved):
    current = cls.__dict__
    for key in [k for k in current if k not in saved]:
        delattr(cls, key)
    for key, value in saved.items():
        if current.get(key, saved) is not value:
            setattr(cls, key, value)


def _refuse_exit(*args):
    """os._exit()/os.abort() would end Python for good: end the run instead."""
    raise SystemExit(f"os._exit({args[0]})" if args else "os.abort()")


def setup():
    """Once, in the worker, before the first run: disarm os._exit() and os.abort(), then record
    the state every run starts from. (Not for CPython tests: a restore would drop the modules
    the test process imports later.)"""
    global _clean
    for mod in (os, sys.modules.get("posix")):
        if mod is not None:
            mod._exit = _refuse_exit
            mod.abort = _refuse_exit
    _clean = CleanState.__new__(CleanState)  # assigned first, so the record includes it
    _clean.__init__()


def fresh_core():
    """A new sgd_core module from its source: nothing a previous run did to it survives."""
    core = types.ModuleType("sgd_core")
    core.__file__ = _core_code.co_filename
    exec(_core_code, core.__dict__)
    sys.modules["sgd_core"] = core
    return core


# ---------------------------------------------------------------- the reader's code

def _guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0 and name.partition(".")[0] in BLOCKED_IMPORTS:
        raise ImportError(f"`{name}` cannot be imported here: update() runs as plain Python in "
                          "its own worker, away from the page and its JavaScript")
    return builtins.__import__(name, globals, locals, fromlist, level)


def _namespace(core):
    """What the reader's code can use without importing: the core's helpers and math."""
    ns = {name: getattr(core, name) for name in core.__all__ if name != "update"}
    ns["math"] = math
    ns["__builtins__"] = {**vars(builtins), "__import__": _guarded_import}
    return ns


class CappedOutput(io.TextIOBase):
    """print() output: keeps the last `limit` characters and counts the rest."""

    def __init__(self, limit=MAX_OUTPUT):
        self.limit, self.tail, self.dropped = limit, "", 0

    def writable(self):
        return True

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        if len(s) >= self.limit:
            self.dropped += len(self.tail) + len(s) - self.limit
            self.tail = s[len(s) - self.limit:]
        else:
            joined = self.tail + s
            cut = max(0, len(joined) - self.limit)
            self.dropped += cut
            self.tail = joined[cut:]
        return len(s)

    def text(self):
        if not self.dropped:
            return self.tail
        return f"[… {self.dropped:,} earlier characters not shown]\n{self.tail}"


def checked(update, size):
    """update(), with what it returns checked: a list (or tuple) of `size` finite numbers."""
    step = 0

    def run_step(a, xb, yb, lr):
        nonlocal step
        step += 1
        return as_vector(update(list(a), xb, yb, lr), size, step, a)

    return run_step


def as_vector(out, size, step, before):
    """The new a as floats, or a ReaderError saying what is wrong with `out`."""
    want = f"update() must return the new a as a list of {size} numbers, but at step {step} it returned"
    if out is None:
        raise ReaderError(f"{want} None (is the `return` missing?).")
    if isinstance(out, (str, bytes, bytearray)):
        raise ReaderError(f"{want} the {'string' if isinstance(out, str) else type(out).__name__} {_short(out)}, which is not a list of numbers.")
    if isinstance(out, (int, float, complex)):
        raise ReaderError(f"{want} one number, {_short(out)}.")
    if isinstance(out, (dict, set, frozenset)):
        raise ReaderError(f"{want} a {type(out).__name__}, {_short(out)}; use a list such as [a0, a1].")
    try:
        values = list(itertools.islice(iter(out), size + 1))
    except TypeError:
        raise ReaderError(f"{want} {_short(out)} (a {type(out).__name__}).") from None
    if len(values) != size:
        count = str(len(values))
        if len(values) > size:
            count = f"{len(out):,}" if hasattr(out, "__len__") else f"more than {size}"
        raise ReaderError(f"update() must return {size} numbers, but at step {step} it returned {count}.")
    vec = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ReaderError(f"{want} {_short(out)}: a[{i}] is {_short(v)} (a {type(v).__name__}), not a number.")
        try:
            f = float(v)
        except OverflowError:
            raise ReaderError(f"update() returned an integer too large for a float as a[{i}] at step {step}.") from None
        if f != f or f in (_INF, -_INF):
            raise ReaderError(
                f"update() returned a = {_short(values)} at step {step}: a[{i}] is not a finite number "
                f"(the step before, a was {_short(list(before))}). This is not the learning rate: a rate "
                "that is too high makes the loss grow step by step until it overflows, while a nan or "
                "inf straight from update() comes from its arithmetic (0/0, inf - inf, math.inf, float('nan')).")
        vec.append(f)
    return vec


def _explain(err):
    """The traceback trimmed to the reader's frames (all of it for a SyntaxError)."""
    if isinstance(err, ReaderError):
        return str(err)
    if isinstance(err, SyntaxError):
        return "".join(traceback.format_exception_only(type(err), err)).rstrip()
    te = traceback.TracebackException.from_exception(err)
    te.stack = traceback.StackSummary.from_list([f for f in te.stack if f.filename == FILENAME])
    text = "".join(te.format()).rstrip()
    if isinstance(err, SystemExit):
        text += "\nThis ends a Python program; here it only ended this run. update() must return the new a."
    elif isinstance(err, KeyboardInterrupt):
        text += "\nNothing interrupts update() here; to stop a run on purpose, raise an exception."
    return text


def _describe(err):
    try:
        return _explain(err)
    except BaseException:  # an exception whose message itself fails
        return f"Your code raised {type(err).__name__} (its message could not be shown)."


def _execute(req, out):
    """The reader's code, then the run with their update(); the run's result."""
    core = fresh_core()
    ns = _namespace(core)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        exec(compile(req["code"], FILENAME, "exec"), ns)
        update = ns.get("update")
        if not callable(update):
            raise ReaderError("Your code must define a function update(a, xb, yb, lr) that returns the new a.")
        size = len(req["x"][0])
        return core.fit(req["x"], req["y"], req["a"], req["lr"], req["steps"], req.get("batch_size", 0),
                        req.get("seed", 0), update=checked(update, size), momentum=req.get("momentum", 0.0))


def _plain(result):
    """The run as plain lists of finite floats, or None if something in it is not."""
    try:
        a = [[float(v) for v in row] for row in result["a"]]
        loss = [float(v) for v in result["loss"]]
    except BaseException:
        return None
    if not all(v == v and abs(v) != _INF for row in a for v in row) or not all(v == v and abs(v) != _INF for v in loss):
        return None
    return {"a": a, "loss": loss, "diverged": result["diverged"] is True}


def run(request_json):
    """request: {"code", "x", "y", "a", "lr", "steps", "batch_size", "seed", "momentum"} -> JSON string
    {"ok": true, "a": [...], "loss": [...], "diverged": bool, "stdout": str} or
    {"ok": false, "error": text for the reader, "stdout": str}."""
    req = json.loads(request_json)
    out = CappedOutput()
    if _clean:
        _clean.restore()
    try:
        result = _execute(req, out)
    except BaseException as err:  # whatever the reader's code raises becomes a message, never a crash
        error = _describe(err)
        result = None
    finally:
        if _clean:
            _clean.restore()
    if result is not None:
        result = _plain(result)
        error = None if result else ("The run's numbers are not all finite: did your code change sgd_core or "
                                     "math while it ran? Press Restore original to start again from the lesson's code.")
    if result is None:
        return json.dumps({"ok": False, "error": error, "stdout": out.text()})
    return json.dumps({"ok": True, **result, "stdout": out.text()}, allow_nan=False)


def calibrate(steps=25):
    """Milliseconds for 100 steps of the lesson's update() on 100 points: how fast this machine
    runs Python, so the page can tell a slow machine from an endless loop. Measured on `steps`
    steps (the best of two tries) and scaled: every step costs the same, and the page waits
    for this before the reader's first run."""
    x = [[i / 50 - 1, 1.0] for i in range(100)]
    y = [3 * row[0] + 2 for row in x]
    core = fresh_core()
    best = _INF
    for _ in range(2):
        t0 = time.perf_counter()
        core.fit(x, y, [-1.0, 1.0], 0.1, steps)
        best = min(best, (time.perf_counter() - t0) * 1000)
    if _clean:
        _clean.restore()
    return best * 100 / steps
