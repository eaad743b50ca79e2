"""Interpretation maths against PyTorch's own cross-entropy, on a hand-checked example."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from training.bears.interpretation import interpretation


def test_interpretation_matches_cross_entropy_even_for_wild_logits():
    logits = torch.tensor([[10.0, 0, 0], [0, 300.0, 0], [-200.0, 0, 200.0], [0, 0, 5.0], [1.0, 2.0, 0]])
    y = [0, 0, 1, 2, 1]  # samples 1 (a taken for b) and 2 (b taken for c) are wrong, with probabilities ~0
    res = interpretation(logits.log_softmax(1), y, [f"f{i}.jpg" for i in range(5)], ["a", "b", "c"], k=3)
    assert res["loss"] == pytest.approx(F.cross_entropy(logits, torch.tensor(y)).item(), rel=1e-6)
    assert res["loss"] > 50  # not capped
    assert res["confusion"] == [[1, 1, 0], [0, 1, 1], [0, 0, 1]]
    assert res["n_wrong"] == 2 and res["error_rate"] == pytest.approx(0.4)
    assert res["most_confused"] == [{"actual": "a", "predicted": "b", "count": 1},
                                    {"actual": "b", "predicted": "c", "count": 1}]
    top = res["top_losses"]
    assert [t["file"] for t in top] == ["f1.jpg", "f2.jpg", "f4.jpg"]
    assert top[0]["pred"] == "b" and top[0]["label"] == "a" and top[0]["loss"] == pytest.approx(300.0, rel=1e-5)
    assert top[1]["loss"] == pytest.approx(200.0, rel=1e-5)
    assert top[2]["prob_pred"] == pytest.approx(torch.softmax(logits[4], 0)[1].item())
