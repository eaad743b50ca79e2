"""The "none of these" / "not sure" rule (training/bears/decision.py) on hand-made logits:
each answer where it should be, the thresholds' arithmetic, the rates reports quote."""

from __future__ import annotations

import pytest
import torch

from training.bears.answers import NONE, UNSURE, answer
from training.bears.decision import Decide, rates, thresholds

LABELS = ["black", "grizzly", "teddy"]


def test_each_answer_comes_from_its_branch():
    decide = Decide([10.0, 8.0, 5.0], sure=2 / 3)
    z = torch.tensor([
        [12.0, 1.0, 0.0],    # black clears its bar, far ahead -> black
        [7.0, 9.0, 0.0],     # black under 10, grizzly clears 8 -> grizzly (p 0.88)
        [1.0, 2.0, 4.0],     # nothing clears its bar -> none, though softmax says teddy with 0.84
        [11.0, 10.8, 0.0],   # both present, 0.55 vs 0.45 -> not sure
        [10.0, 8.0, 5.0],    # exactly on every bar: present (>=); black has the highest logit, p = 0.88
        [7.0, 12.0, 30.0],   # teddy far ahead of grizzly: teddy
    ])
    probs, d = decide(z)
    assert d.dtype == torch.int32
    assert [answer(int(c), LABELS) for c in d] == ["black", "grizzly", NONE, UNSURE, "black", "teddy"]
    torch.testing.assert_close(probs, torch.softmax(z, 1))
    assert probs[2].argmax() == 2 and probs[2, 2] > 0.8  # what a softmax alone would have said


def test_the_named_label_is_the_best_present_one_not_the_softmax_winner():
    # teddy has the highest logit but not its (high) bar; grizzly clears its own: grizzly, if sure
    probs, d = Decide([10.0, 3.0, 20.0], sure=0.0)(torch.tensor([[0.0, 4.0, 6.0]]))
    assert answer(int(d[0]), LABELS) == "grizzly" and probs[0].argmax() == 2
    # ... and with the usual `sure`, softmax gives grizzly only 0.12: not sure
    _, d = Decide([10.0, 3.0, 20.0], sure=2 / 3)(torch.tensor([[0.0, 4.0, 6.0]]))
    assert answer(int(d[0]), LABELS) == UNSURE


def test_thresholds_are_a_lowered_quantile_of_each_labels_own_logits():
    # label 0's photos got logit 0 of 10..19, label 1's got logit 1 of 4..7 (and label 2 has no photos)
    z = torch.zeros(14, 3)
    z[:10, 0] = torch.arange(10, 20).float()
    z[10:, 1] = torch.arange(4, 8).float()
    y = torch.tensor([0] * 10 + [1] * 4)
    t = thresholds(z, y, 3, quantile=0.0, slack=0.5)
    assert t[0] == pytest.approx(5.0) and t[1] == pytest.approx(2.0)  # half the lowest own logit
    assert t[2] == pytest.approx(2.0)  # no photos of its own: all photos' own logits (lowest 4) -> 2
    q = thresholds(z, y, 3, quantile=0.5, slack=0.0)
    assert q[0] == pytest.approx(torch.quantile(z[:10, 0], 0.5).item())
    # a negative quantile is lowered too (slack x |Q|), never raised
    z[10:, 1] = -torch.arange(4, 8).float()
    assert thresholds(z, y, 3, quantile=0.0, slack=0.5)[1] == pytest.approx(-10.5)


def test_rates_on_bears_and_on_photos_of_no_bear():
    d = torch.tensor([0, 1, 3, 4, 2, 1], dtype=torch.int32)
    r = rates(d, torch.tensor([0, 2, 1, 1, 2, 1]), 3)
    assert r["n"] == 6 and [r["none"], r["unsure"], r["unlabelled"]] == pytest.approx([1 / 6, 1 / 6, 2 / 6])
    assert r["accuracy_labelled"] == pytest.approx(3 / 4) and r["accuracy"] == pytest.approx(3 / 6)
    r = rates(torch.tensor([3, 3, 2, 4]), None, 3)
    assert r["unlabelled"] == 0.75 and r["named_as"] == [0.0, 0.0, 0.25] and "accuracy" not in r
    assert rates(torch.tensor([], dtype=torch.int32), None, 3) == {"n": 0}
