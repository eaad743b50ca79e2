"""The one-cycle curve written out by hand (schedule.py) against torch's OneCycleLR,
and the curve training really followed (fit_one_cycle's log) against both."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from training.bears.schedule import discriminative_lrs, one_cycle
from training.bears.loop import fit_one_cycle


def torch_curve(opt_name, total, **kw):
    p = torch.nn.Parameter(torch.zeros(1))
    if opt_name == "sgd":
        opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    else:
        opt = torch.optim.AdamW([p], lr=0.1, betas=(0.9, 0.99))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, total_steps=total, **kw)
    out = []
    for _ in range(total):
        g = opt.param_groups[0]
        out.append((g["lr"], g["momentum"] if opt_name == "sgd" else g["betas"][0]))
        opt.step()
        sched.step()
    return out


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
@pytest.mark.parametrize("total,kw", [
    (100, dict(max_lr=1e-2)),
    (37, dict(max_lr=3e-3, pct_start=0.25, div_factor=10, final_div_factor=100)),
    (500, dict(max_lr=0.5, pct_start=0.5, base_momentum=0.8, max_momentum=0.99)),
    (4, dict(max_lr=1.0, pct_start=0.5)),
])
def test_one_cycle_matches_torch_at_every_step(opt_name, total, kw):
    ref = torch_curve(opt_name, total, **kw)
    ours = [one_cycle(i, total, **kw) for i in range(total)]
    for i, ((lr, mom), (rlr, rmom)) in enumerate(zip(ours, ref)):
        assert lr == pytest.approx(rlr, rel=1e-9, abs=1e-15), i
        assert mom == pytest.approx(rmom, rel=1e-9), i
    # the shape the lesson describes: lr up then down, momentum the other way
    lrs, moms = [x[0] for x in ours], [x[1] for x in ours]
    peak = lrs.index(max(lrs))
    assert 0 < peak < total - 1
    assert moms.index(min(moms)) == peak
    assert lrs[-1] < lrs[0] < lrs[peak]


def test_training_follows_the_curve_for_every_layer_group():
    torch.manual_seed(0)
    x, y = torch.randn(64, 5), torch.randint(0, 3, (64,))
    model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    groups = [list(model[0].parameters()), list(model[2].parameters())]
    max_lr = discriminative_lrs(1e-4, 1e-2, 2)
    dl = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
    history = {"batches": [], "epochs": []}
    fit_one_cycle(model, groups, max_lr, 3, dl, dl, "t", history, pct_start=0.3, progress=False)
    total = 3 * len(dl)
    assert len(history["batches"]) == total and len(history["epochs"]) == 3
    for i, b in enumerate(history["batches"]):
        for g, m in enumerate(max_lr):
            assert b["lrs"][g] == pytest.approx(one_cycle(i, total, m, pct_start=0.3)[0], rel=1e-9)
        assert b["mom"] == pytest.approx(one_cycle(i, total, 1.0, pct_start=0.3)[1], rel=1e-9)


def test_discriminative_lrs_are_the_lessons_slice():
    lrs = discriminative_lrs(1e-5, 1e-3, 3)
    assert lrs == pytest.approx([1e-5, 1e-4, 1e-3])
    assert discriminative_lrs(1e-6, 1e-2, 5)[2] == pytest.approx(1e-4)
    assert discriminative_lrs(1e-5, 1e-3, 1) == [1e-3]


def test_freeze_bn_keeps_running_statistics_but_still_trains():
    torch.manual_seed(0)
    x, y = torch.randn(64, 5) * 3 + 1, torch.randint(0, 3, (64,))
    for freeze in (True, False):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
        stats = model[1].running_mean.clone()
        w = model[0].weight.detach().clone()
        dl = DataLoader(TensorDataset(x, y), batch_size=16)
        fit_one_cycle(model, [list(model.parameters())], [1e-2], 2, dl, dl, "t", {"batches": [], "epochs": []},
                      progress=False, freeze_bn=freeze)
        assert torch.equal(model[1].running_mean, stats) == freeze
        assert not torch.equal(model[0].weight, w)  # the weights trained either way
