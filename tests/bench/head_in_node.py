"""Benchmark: the in-browser trainer's DOM-free core on every real photo, in Node (not a test).

    python -m tests.bench.head_in_node [--out runs/bench/head_in_node.json]

The project's body computes the activations of all the photos at its default crop (cached
under runs/cache, as training caches them: the first run takes a few minutes on a CPU,
later ones seconds); then, in Node, split.js makes the project's split (seed 42) and
fit.js trains the default head (4 epochs, max_lr 3e-3, bs 32, dropout 0.2) three times:

- valid accuracy (target >= 0.95), next to PyTorch's head-only fit on the same activations
- the fit's wall time in Node (target <= 2 s)
- out-of-fold suspects over all the photos (5 folds), and their time

The browser figures for the same targets come from tests/bench/train_in_browser.py.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import torch

from tests.support import ROOT
from tests.test_trainer_core import node, project, write_f32
from training import paths


def run(bears_dir: Path, tmp_path: Path) -> dict:
    from torch.utils.data import DataLoader, TensorDataset

    P = project()
    items = P.items_from_folder(bears_dir)
    torch.manual_seed(42)
    model = P.build_model(P.arch, len(items.classes))
    pre = P.default_preprocess(P.arch)
    feats = P.body_features(model.body.eval(), items, pre, key=P.arch, cache_dir=ROOT / "runs" / "cache", progress=False)
    ys = [items.classes.index(lab) for lab in items.labels]
    names = [f"{lab}/{Path(f).name}" for f, lab in zip(items.files, items.labels)]
    got = node("""
      const all = data.dataset(f32(input.feats), input.ys, input.nf);
      const s = split.split(input.names, input.names.map((n) => n.split("/")[0]), {validPct: 0.2, seed: 42});
      const [train, valid] = [data.subset(all, s.train), data.subset(all, s.valid)];
      const runs = [];
      for (const seed of [42, 43, 44]) {
        const h = head.linearHead(input.nf, s.classes.length, {seed});
        const t0 = performance.now();
        const hist = await fit.fitOneCycle(h, {train, valid, epochs: 4, maxLr: 3e-3, bs: 32, dropout: 0.2, seed});
        runs.push({ms: performance.now() - t0, last: hist.epochs[hist.epochs.length - 1]});
      }
      const t1 = performance.now();
      const o = await oof.outOfFold(all, {k: 5, nLabels: s.classes.length, fit: {epochs: 4, maxLr: 3e-3, bs: 32, dropout: 0.2}});
      const oofMs = performance.now() - t1;
      const top = oof.suspects(o.probs, all.ys, s.classes).slice(0, 8).map((r) => ({...r, file: input.names[r.index]}));
      out({nTrain: s.train.length, valid: s.valid, runs, oofMs, top});""",
               {"feats": write_f32(tmp_path / "all.f32", feats), "ys": ys, "nf": feats.shape[1], "names": names},
               timeout=300)
    tr, va = P.split(items, 0.2, 42)
    assert got["valid"] == va and got["nTrain"] == len(tr) == 558
    # PyTorch's head-only fit of the same config on the same activations, for comparison
    model.dropout = 0.2
    head = model.head
    y = torch.tensor(ys)
    g = torch.Generator().manual_seed(42)
    history = {"batches": [], "epochs": []}
    P.fit_one_cycle(head, [list(head.parameters())], [3e-3], 4,
                    DataLoader(TensorDataset(feats[tr], y[tr]), batch_size=32, shuffle=True, generator=g),
                    DataLoader(TensorDataset(feats[va], y[va]), batch_size=256), "frozen", history, progress=False)
    accs = [r["last"]["accuracy"] for r in got["runs"]]
    ms = [r["ms"] for r in got["runs"]]
    print(f"\nJS head fit, default config, {len(tr)} x {feats.shape[1]} real activations: {[round(m) for m in ms]} ms; "
          f"valid accuracy {[round(a, 4) for a in accs]} (PyTorch: {history['epochs'][-1]['accuracy']:.4f}); "
          f"out-of-fold over {len(ys)} photos: {got['oofMs']:.0f} ms; top suspects: "
          + ", ".join(f"{r['file']} as {r['pred']} ({r['suspect']:.2f})" for r in got["top"][:5]))
    return {"photos_train": len(tr), "photos_valid": len(va), "valid_accuracy": accs,
            "valid_accuracy_pytorch": history["epochs"][-1]["accuracy"], "head_fit_ms": ms,
            "oof_ms": got["oofMs"], "top_suspects": got["top"],
            "targets": {"valid_accuracy": ">= 0.95", "head_fit_s": "<= 2"}}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(ROOT / "runs" / "bench" / "head_in_node.json"), help="where the JSON goes")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        res = run(Path(paths.BEARS), Path(tmp))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1) + "\n")
    print(f"-> {out}")
    return res


if __name__ == "__main__":
    main()
