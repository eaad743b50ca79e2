"""Interpretation: where does the model go wrong, and which photos should a person look at?

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
from torch.utils.data import DataLoader
from tqdm import tqdm


@torch.no_grad()
def predict(model, dataset, bs: int = 32, progress: bool = True, desc: str = "predict") -> torch.Tensor:
    """Log-probabilities (N, C) for every item of `dataset`, in order.

    Logs, not probabilities: a badly trained model's probabilities underflow to 0, and
    the loss computed from them would be capped; log_softmax keeps it exact."""
    model.eval()
    out = []
    for xb, _ in tqdm(DataLoader(dataset, batch_size=bs), desc=desc, disable=not progress, leave=False):
        out.append(model(xb).log_softmax(1))
    return torch.cat(out) if out else torch.zeros(0, 0)


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


# ---------------------------------------------------------------- the command
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

from training.bears.config import RUNS, opt  # noqa: E402


@dataclass
class InterpretConfig:
    checkpoint: str = opt(str(RUNS / "default" / "model.pt"), "trained model (from `train`)")
    on: str = opt("all", "'valid': the run's validation split again; 'all': every image (the list `clean` reviews)")
    data: str | None = opt(None, "photos to look at (default: the data the checkpoint was trained on)")
    out: str | None = opt(None, "folder for the results (default: <checkpoint's folder>/interpret_<on>)")
    k: int = opt(0, "keep only the k worst in top_losses.json (0 = all, so clean can go as far as you like)")
    bs: int = opt(32, "batch size for predictions")
    thumbnails: bool = opt(True, "draw top_losses.png with the 16 worst photos (local only)")
    progress: bool = opt(True, "progress bar")


def run_interpret(cfg: InterpretConfig) -> dict:
    from training.bears import report as rep
    from training.bears.checkpoint import load_checkpoint
    from training.bears.data import ImageDataset
    from training.bears.images import eval_transform
    from training.bears.train import ChannelsLast, TrainConfig, prepare_items, relative

    if cfg.on not in ("valid", "all"):
        raise ValueError(f"--on must be 'valid' or 'all', not {cfg.on!r}")
    model, meta = load_checkpoint(cfg.checkpoint)
    tcfg = TrainConfig(**{k: v for k, v in meta.get("config", {}).items() if k in TrainConfig.__dataclass_fields__})
    if cfg.data:
        tcfg.data, tcfg.csv_root = cfg.data, None
    tcfg.fast = False  # the stored config is already resolved
    items, tr_idx, va_idx = prepare_items(tcfg)
    labels = meta["labels"]
    unknown = sorted(set(items.labels) - set(labels))
    if unknown:
        raise ValueError(f"labels {unknown} in {tcfg.data} are not among the model's {labels}")
    sel = va_idx if cfg.on == "valid" else list(range(len(items)))
    sub = items.subset(sel)
    sub.classes = labels
    logp = predict(ChannelsLast(model.to(memory_format=torch.channels_last)),
                    ImageDataset(sub, eval_transform(meta["preprocess"])), cfg.bs, cfg.progress, f"predict ({cfg.on})")
    files = [relative(f, tcfg.data) for f in sub.files]
    res = interpretation(logp, [labels.index(x) for x in sub.labels], files, labels, cfg.k or None)
    out = Path(cfg.out) if cfg.out else Path(cfg.checkpoint).parent / f"interpret_{cfg.on}"
    res = {"on": cfg.on, "data": str(tcfg.data), "csv_root": tcfg.csv_root, "checkpoint": str(cfg.checkpoint),
           "skipped": items.skipped, **res}
    rep.write_json(out / "interpretation.json", {k: v for k, v in res.items() if k != "top_losses"})
    rep.write_json(out / "top_losses.json", {k: res[k] for k in ("on", "data", "csv_root", "classes", "top_losses")})
    rep.plot_confusion(res["confusion"], labels, out / "confusion.png",
                       f"{cfg.on}: {res['n_wrong']}/{res['n']} wrong")
    if cfg.thumbnails:
        base = Path(tcfg.data) if Path(tcfg.data).is_dir() else Path(tcfg.data).parent
        rep.plot_top_losses([{**t, "file": str(base / t["file"])} for t in res["top_losses"][:16]],
                            out / "top_losses.png", n=16)
    print(f"{cfg.on}: {res['n_wrong']}/{res['n']} wrong (error rate {res['error_rate']:.4f}); "
          f"most confused: {res['most_confused'][:3]}; -> {out}")
    return res
