"""Function lengths of the widgets' code: every function (nested ones too) of a JavaScript
module, measured from its opening to its closing brace, and of a Python file (ast).

    python -m tests.widget_code site_widgets/linfit site_widgets/figures ...

prints the longest function of each file. The JavaScript scan is a small tokenizer (strings,
template literals, comments and regular expressions are skipped): a brace block is a function
body when it follows `=>`, or a parameter list that no `if`/`for`/`while`/`switch`/`catch` owns.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

CONTROL = {"if", "for", "while", "switch", "catch", "with"}
REGEX_AFTER = set("(,=:[!&|?{};+-*%<>~^") | {"return", "typeof", "case", "of", "in", "=>"}


def _tokens(src: str):
    """(kind, text, line) for punctuation and words; literals and comments skipped."""
    i, line, n = 0, 1, len(src)
    last = ""
    depth = []  # template literal nesting: brace depth at each ${
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            i += 1
        elif c in " \t\r":
            i += 1
        elif src.startswith("//", i):
            i = src.find("\n", i) if "\n" in src[i:] else n
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            line += src.count("\n", i, j)
            i = j + 2
        elif c in "'\"":
            j = i + 1
            while src[j] != c:
                j += 2 if src[j] == "\\" else 1
            i = j + 1
            last = "lit"
        elif c == "`" or (c == "}" and depth and depth[-1] == 0):
            if c == "}":
                depth.pop()
            j = i + 1
            while src[j] != "`" and not src.startswith("${", j):
                line += src[j] == "\n"
                j += 2 if src[j] == "\\" else 1
            if src[j] == "`":
                i = j + 1
                last = "lit"
            else:
                depth.append(0)
                i = j + 2
                last = "("
        elif c == "/" and last in REGEX_AFTER | {""}:
            j, cls = i + 1, False
            while cls or src[j] != "/":
                cls = (cls or src[j] == "[") and src[j] != "]"
                j += 2 if src[j] == "\\" else 1
            i = j + 1
            while i < n and src[i].isalpha():
                i += 1
            last = "lit"
        elif c.isalnum() or c in "_$":
            m = re.compile(r"[\w$]+").match(src, i)
            yield "word", m.group(), line
            last = m.group()
            i = m.end()
        else:
            tok = "=>" if src.startswith("=>", i) else c
            if depth and tok == "{":
                depth[-1] += 1
            elif depth and tok == "}":
                depth[-1] -= 1
            yield "punct", tok, line
            last = tok
            i += len(tok)


def js_functions(src: str) -> list[tuple[int, int]]:
    """(first line, number of lines) of every function body."""
    toks = list(_tokens(src))
    out, stack, parens = [], [], []
    for k, (kind, text, line) in enumerate(toks):
        if text == "(":
            parens.append(k)
        elif text == ")":
            open_at = parens.pop() if parens else 0
            toks[k] = (kind, text, line, open_at)
        elif text == "{":
            prev = toks[k - 1] if k else ("", "", 0)
            is_fn = prev[1] == "=>"
            if prev[1] == ")":
                before = toks[prev[3] - 1][1] if prev[3] else ""
                is_fn = before not in CONTROL
            stack.append((line, is_fn))
        elif text == "}" and stack:
            start, is_fn = stack.pop()
            if is_fn:
                out.append((start, line - start + 1))
    return out


def py_functions(src: str) -> list[tuple[int, int]]:
    return [(node.lineno, node.end_lineno - node.lineno + 1) for node in ast.walk(ast.parse(src))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def functions(path: Path) -> list[tuple[int, int]]:
    src = path.read_text(encoding="utf-8")
    return py_functions(src) if path.suffix == ".py" else js_functions(src)


def longest(path: Path) -> tuple[int, int]:
    """(lines, first line) of the longest function of a file, (0, 0) when it has none."""
    return max(((n, start) for start, n in functions(path)), default=(0, 0))


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        p = Path(arg)
        for f in sorted(p.rglob("*") if p.is_dir() else [p]):
            if f.suffix in (".js", ".py") and not f.name.startswith("mkdocs_"):
                n, start = longest(f)
                print(f"{n:4d}  {f}:{start}")
