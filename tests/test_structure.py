"""The Python code's shape, so it stays readable: no import cycle anywhere in training/ or
export/ (imports inside functions count too), and the bear classifier's building blocks
never import one of its commands (a command only composes blocks)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import ROOT

PACKAGES = ("training", "export")
# training/bears' building blocks, in the order they build on each other (see its __init__.py)
BLOCKS = ("images", "model", "decision", "data", "checkpoint", "features", "schedule", "loop", "interpretation",
          "report")


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of PACKAGES."""
    out = {}
    for pkg in PACKAGES:
        for f in sorted((ROOT / pkg).rglob("*.py")):
            parts = f.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return out


def imports(path: Path, name: str, known: dict[str, Path]) -> set[str]:
    """The modules of `known` that the file imports, wherever the import statement is."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import: from .x import y
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}  # `from training.bears import report`
    # a name counts as its module, or failing that the package it is in
    out = set()
    for mod in found:
        while mod and mod not in known:
            mod = mod.rpartition(".")[0]
        if mod and mod != name and not name.startswith(mod + "."):  # a package's own __init__ is not a cycle
            out.add(mod)
    return out


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(path, name, known) for name, path in known.items()}


def find_cycle(g: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None (depth-first search, three colours)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(g.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state and (cycle := visit(m)):
                return cycle
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(g):
        if n not in state and (cycle := visit(n)):
            return cycle
    return None


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_cycle_in_training_or_export():
    g = graph()
    assert "training.bears.train" in g and "export.to_onnx" in g  # the scan sees the code
    assert "training.bears.data" in g["training.bears.train"]
    cycle = find_cycle(g)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_building_blocks_import_no_command():
    g = graph()
    blocks = {f"training.bears.{b}" for b in BLOCKS}
    commands = {m for m in g if m.startswith("training.bears.") and m not in blocks}
    for b in sorted(blocks):
        assert b in g, f"{b} is gone: update BLOCKS"
        assert not g[b] & commands, f"{b} imports the command module(s) {sorted(g[b] & commands)}"
        earlier = {f"training.bears.{x}" for x in BLOCKS[: BLOCKS.index(b.rpartition('.')[2])]}
        later = (g[b] & blocks) - earlier
        assert not later, f"{b} imports {sorted(later)}, which come after it in training/bears' order"
