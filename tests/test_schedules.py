"""The schedules page's figure: the hand-written curves against torch's own schedulers."""

import json

import pytest
import torch

from tests.support import ROOT
from training import schedules
from training.schedules import Config, cosine_restarts


@pytest.mark.parametrize("t_0,t_mult,eta_min", [(20, 2, 0.0), (10, 1, 1e-5), (7, 3, 0.0)])
def test_cosine_restarts_matches_torch_at_every_step(t_0, t_mult, eta_min):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=t_0, T_mult=t_mult, eta_min=eta_min)
    for step in range(150):
        assert cosine_restarts(step, 3e-3, t_0, t_mult, eta_min) == pytest.approx(
            opt.param_groups[0]["lr"], rel=1e-9, abs=1e-12), f"step {step}"
        opt.step()
        sched.step()


def test_restarts_jump_back_to_max_lr_at_each_cycle_start():
    lrs = schedules.schedules(Config())["cosine_restarts"]
    assert [i for i in range(1, len(lrs)) if lrs[i] > lrs[i - 1]] == [20, 60]  # cycles of 20, 40, 80 steps
    assert lrs[0] == lrs[20] == lrs[60] == Config().max_lr


def test_committed_figure_data_is_a_fresh_run(tmp_path):
    schedules.main(["--site", str(tmp_path)])
    assert json.loads((tmp_path / "schedules.json").read_text()) == json.loads(
        (ROOT / "docs/assets/schedules/schedules.json").read_text())
    assert (ROOT / "docs/assets/schedules/schedules.png").stat().st_size > 5000
