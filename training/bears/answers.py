"""The decision's codes as words: a label's index names it, n_labels is "none of these",
n_labels + 1 is "not sure" (the rule itself: decision.py). Apart from the rule because it
needs no PyTorch: `python -m export.predict` reads the graph's codes with it."""

from __future__ import annotations

NONE, UNSURE = "none", "unsure"  # the two answers that name no label (codes n_labels, n_labels + 1)


def answer(code: int, labels: list[str]) -> str:
    """A decision code as a word: the label, "none" or "unsure"."""
    return labels[code] if code < len(labels) else (NONE if code == len(labels) else UNSURE)
