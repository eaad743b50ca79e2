"""The learning-rate finder on a toy problem where the right answer can be measured."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from training.bears.lr_finder import lr_find


def blobs(n=512, d=20, k=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(k, d, generator=g) * 2
    y = torch.randint(0, k, (n,), generator=g)
    return centers[y] + torch.randn(n, d, generator=g), y


def toy_model(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(20, 32), torch.nn.BatchNorm1d(32), torch.nn.ReLU(),
                               torch.nn.Dropout(0.1), torch.nn.Linear(32, 3))


def loss_after(lr, x, y, steps=60):
    """Train a fresh copy with a constant lr and report the final full-batch loss (the ground truth)."""
    m = toy_model()
    opt = torch.optim.AdamW(m.parameters(), lr=lr, betas=(0.9, 0.99), weight_decay=0.01)
    dl = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(1))
    it, done = iter(dl), 0
    while done < steps:
        for xb, yb in dl:
            loss = F.cross_entropy(m(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            done += 1
            if done == steps:
                break
    m.eval()
    with torch.no_grad():
        out = F.cross_entropy(m(x), y).item()
    return out if math.isfinite(out) else float("inf")


def test_lr_find_restores_everything_and_suggests_a_good_lr():
    x, y = blobs()
    m = toy_model().eval()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    dl = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    res = lr_find(m, dl, start_lr=1e-6, end_lr=100, num_it=120)
    # weights and BatchNorm running statistics are exactly as before, and so is the mode
    after = m.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not m.training
    # it explored: the loss fell by a lot, then blew up and the finder stopped early
    assert min(res["smoothed"]) < 0.5 * res["smoothed"][0]
    assert len(res["lrs"]) < 120 and ("passed" in res["stopped"] or "became" in res["stopped"])
    lr = res["suggested_lr"]
    assert lr is not None and res["lrs"][0] < lr < res["lrs"][-1]
    # the ground truth: train with a sweep of constant lrs and compare
    sweep = {10.0 ** e: loss_after(10.0 ** e, x, y) for e in range(-6, 1)}
    best = min(sweep.values())
    ours = loss_after(lr, x, y)
    assert ours < 2 * best + 0.05, (lr, ours, sweep)
    assert ours < 0.5 * sweep[1e-6]  # far better than a timid lr
    assert res["min_lr_div10"] < res["lrs"][res["min_index"]]


def test_lr_find_without_divergence_runs_all_steps():
    x, y = blobs(n=128)
    m = toy_model()
    dl = DataLoader(TensorDataset(x, y), batch_size=32)  # 4 batches: the finder cycles through them
    res = lr_find(m, dl, start_lr=1e-7, end_lr=1e-4, num_it=30)
    assert len(res["lrs"]) == 30 and res["stopped"] == "reached end_lr"
    assert res["lrs"][0] == 1e-7 and math.isclose(res["lrs"][-1], 1e-4, rel_tol=1e-9)
    ratios = [b / a for a, b in zip(res["lrs"], res["lrs"][1:])]
    assert max(ratios) - min(ratios) < 1e-9  # exponential growth
