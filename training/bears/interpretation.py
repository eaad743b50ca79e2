"""Interpretation: where does the model go wrong, and which photos should a person look at?

Pure functions of the predictions (log-probabilities) and the labels; `interpret.py`
is the command that makes the predictions and writes the files.

- confusion matrix: rows = actual label, columns = predicted label;
- most confused: the off-diagonal cells, largest first ("grizzly taken for black: 3");
- per class: for each actual label, how many there were, how many the model got
  right (recall) and how many of its predictions of that label were right (precision);
- top losses: every image sorted by its cross-entropy loss, worst first, with the
  predicted label and the probabilities. A confident wrong answer has a high loss;
  on the whole dataset this list is where mislabelled and off-topic photos surface,
  which is what the `clean` command walks through.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def confusion_matrix(targets, preds, n: int) -> list[list[int]]:
    cm = torch.zeros(n, n, dtype=torch.long)
    for t, p in zip(targets, preds):
        cm[int(t), int(p)] += 1
    return cm.tolist()


def most_confused(cm: list[list[int]], classes: list[str], min_count: int = 1) -> list[dict]:
    pairs = [{"actual": classes[i], "predicted": classes[j], "count": cm[i][j]}
             for i in range(len(classes)) for j in range(len(classes))
             if i != j and cm[i][j] >= min_count]
    return sorted(pairs, key=lambda d: (-d["count"], d["actual"], d["predicted"]))


def per_class(cm: list[list[int]], classes: list[str]) -> dict[str, dict]:
    """label -> n (actual), correct, recall (= 1 - that label's error rate), error_rate, predicted, precision.

    A rare class the model ignores shows here (recall near 0) even when the overall
    error rate looks fine. Undefined ratios (no photos, no predictions) are None."""
    out = {}
    for i, c in enumerate(classes):
        n, correct = sum(cm[i]), cm[i][i]
        predicted = sum(row[i] for row in cm)
        out[c] = {"n": n, "correct": correct, "recall": correct / n if n else None,
                  "error_rate": 1 - correct / n if n else None, "predicted": predicted,
                  "precision": correct / predicted if predicted else None}
    return out


def top_losses(logp: torch.Tensor, targets, files, classes: list[str], k: int | None = None) -> list[dict]:
    """Items sorted by loss, worst first: file, label, pred, prob_pred, prob_label, loss, and
    probs (every label's probability, in `classes` order). k=None/0: every item."""
    t = torch.as_tensor(list(targets))
    losses = F.nll_loss(logp, t, reduction="none")
    probs = logp.exp()
    order = torch.argsort(losses, descending=True, stable=True)
    rows = []
    for i in order[: k if k else len(order)].tolist():
        p = int(probs[i].argmax())
        rows.append({"file": str(files[i]), "label": classes[int(t[i])], "pred": classes[p],
                     "prob_pred": float(probs[i, p]), "prob_label": float(probs[i, int(t[i])]),
                     "loss": float(losses[i]), "probs": [float(q) for q in probs[i]]})
    return rows


def interpretation(logp: torch.Tensor, targets, files, classes: list[str], k: int | None = None) -> dict:
    """Everything above plus the headline metrics, as one JSON-ready dict (logp: log-probabilities)."""
    t = torch.as_tensor(list(targets))
    preds = logp.argmax(1)
    cm = confusion_matrix(t, preds, len(classes))
    loss = F.nll_loss(logp, t).item() if len(t) else float("nan")
    err = (preds != t).float().mean().item() if len(t) else float("nan")
    return {"n": len(t), "loss": loss, "error_rate": err, "accuracy": 1 - err, "n_wrong": int((preds != t).sum()),
            "classes": classes, "confusion": cm, "per_class": per_class(cm, classes),
            "most_confused": most_confused(cm, classes),
            "top_losses": top_losses(logp, t, files, classes, k)}
