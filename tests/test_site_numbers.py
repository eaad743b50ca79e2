"""Numbers in the lesson pages are filled in from the committed runs at build time
(site_widgets/mkdocs_numbers.py): they must match the JSON, and a placeholder
that names nothing must stop the build rather than print something made up."""

import json
import re
import sys

import pytest

from tests.support import ROOT

sys.path.insert(0, str(ROOT / "site_widgets"))
import mkdocs_numbers as numbers  # noqa: E402

sys.path.pop(0)
REPORTS = ROOT / "docs" / "assets" / "reports"


def report(run):
    return json.loads((REPORTS / run / "report.json").read_text())


def test_values_come_from_the_run_json():
    r = report("default")
    assert numbers.render("{{ default.metrics.n_valid }}") == str(r["metrics"]["n_valid"])
    assert numbers.render("{{ default.metrics.valid_error_rate|pct }}") == f"{100 * r['metrics']['valid_error_rate']:.1f}%"
    assert numbers.render("{{ default.history.epochs.-1.valid_loss|f3 }}") == f"{r['history']['epochs'][-1]['valid_loss']:.3f}"
    worst = min(e["error_rate"] for e in report("too_many_epochs")["history"]["epochs"])
    assert numbers.render("{{ too_many_epochs.history.epochs.*.error_rate|min|pct }}") == f"{100 * worst:.1f}%"
    summary = json.loads((ROOT / "docs/assets/sgd/summary.json").read_text())
    assert numbers.render("{{ sgd/summary.json:lr0.01.final_loss|f3 }}") == f"{summary['lr0.01']['final_loss']:.3f}"


@pytest.mark.parametrize("text", ["{{ default.metrics.no_such_metric }}", "{{ no_such_run.metrics.n_valid }}",
                                  "{{ default.metrics.n_valid|no_such_format }}", "{{ sgd/nope.json:a }}",
                                  "{{ default.history.epochs.99.valid_loss }}"])
def test_a_placeholder_that_names_nothing_fails_loudly(text):
    with pytest.raises(ValueError, match="cannot fill"):
        numbers.render(text, "page.md")


def test_built_pages_have_no_unfilled_placeholders(built_site):
    for html in built_site.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert not re.search(r"\{\{[^}]*\}\}", text), f"{html.relative_to(built_site)} has an unfilled placeholder"
        assert "TODO" not in text, f"{html.relative_to(built_site)} still has a TODO"


def test_the_training_page_quotes_the_default_runs_error_rate(built_site):
    html = (built_site / "training" / "index.html").read_text(encoding="utf-8")
    r = report("default")
    assert f"{100 * r['metrics']['valid_error_rate']:.1f}%" in html
    assert f"{r['metrics']['n_wrong']} of\n{r['metrics']['n_valid']}" in html or \
        re.search(rf"{r['metrics']['n_wrong']} of\s+{r['metrics']['n_valid']}", html)


# The prose around the numbers states relations between them; regenerated runs must still bear
# them out, or the page has to change with them (issue 13: every claim true to the runs).
def epochs(run, stage=None):
    return [e for e in report(run)["history"]["epochs"] if stage is None or e["stage"] == stage]


def test_wrong_page_claims_hold_for_the_runs():
    # overfitting: the validation loss ends well above its best while the training loss nears zero
    over = epochs("too_many_epochs")
    best = min(e["valid_loss"] for e in over)
    assert over[-1]["valid_loss"] > 1.5 * best and over[-1]["train_loss"] < best / 10
    # the error spike comes while the one-cycle lr is near its peak (above 3/4 of it)
    r = report("too_many_epochs")
    worst = max(over, key=lambda e: e["error_rate"])
    lrs = [b["lr"] for b in r["history"]["batches"] if (b["stage"], b["epoch"]) == (worst["stage"], worst["epoch"])]
    assert worst["stage"] == "unfrozen" and min(lrs) > 0.75 * r["config"]["lr_hi"]
    # "training above validation" at the default run's best epoch (wrong.md quotes epochs.4)
    first_unfrozen = report("default")["history"]["epochs"][4]
    assert first_unfrozen["stage"] == "unfrozen" and first_unfrozen["train_loss"] > first_unfrozen["valid_loss"]
    assert first_unfrozen["error_rate"] == min(e["error_rate"] for e in epochs("default"))


def test_training_page_claims_hold_for_the_runs():
    head, final = epochs("default", "frozen")[-1], report("default")["metrics"]
    assert head == report("default")["history"]["epochs"][3]  # the page quotes epochs.3 as the head's last
    assert head["error_rate"] == final["valid_error_rate"]  # "unfreezing changed almost nothing"
    assert final["valid_loss"] < head["valid_loss"]
    # the finder's other reading: as many wrong as the default head, a higher and unsteadier validation loss
    other = report("lr_min_div10")
    assert other["config"]["head_epochs"] == report("default")["config"]["head_epochs"] and other["config"]["epochs"] == 0
    assert other["metrics"]["valid_error_rate"] == head["error_rate"]
    assert other["metrics"]["valid_loss"] > 2 * head["valid_loss"]


def test_tricks_baseline_is_the_same_head_only_training():
    sweep = json.loads((REPORTS / "data_size" / "data_size.json").read_text())
    unbalanced = report("unbalanced")["config"]
    for key in ("head_epochs", "head_lr", "epochs", "bs", "size", "seed"):
        assert sweep["config"][key] == unbalanced[key], key
    assert sweep["sizes"][-1]["per_label"] is None and sweep["sizes"][-1]["head_epochs"] == unbalanced["head_epochs"]


def test_production_page_claims_hold_for_the_candidates():
    table = json.loads((REPORTS / "candidates.json").read_text())
    c = table["candidates"]
    mean = lambda name, key: c[name]["holdout"]["mean"][key]  # noqa: E731
    n = mean("zero_shot_224", "n_valid")
    assert table["shipped"]["name"] == "zero_shot_224"  # "the page runs the first row"
    # training the head, or the whole network after it: within two photos on the unseen source, worse on distant views
    for trained in ("head_224", "finetune_224"):
        assert abs(mean(trained, "valid_accuracy") - mean("zero_shot_224", "valid_accuracy")) * n <= 2.5
        assert mean(trained, "distant_accuracy") < mean("zero_shot_224", "distant_accuracy")
    # Lite1: a few more right on all three measures, slower and larger
    lite1, lite0 = c["zero_shot_lite1_240"], c["zero_shot_224"]
    for part in (("holdout", "mean", "valid_accuracy"), ("holdout", "mean", "distant_accuracy"),
                 ("not_bears", "negatives", "unlabelled")):
        a, b = lite1, lite0
        for k in part:
            a, b = a[k], b[k]
        assert a > b, part
    assert lite1["browser"]["p50_ms_1thread"] > lite0["browser"]["p50_ms_1thread"]
    assert lite1["int8"]["bytes"] > table["shipped"]["int8"]["bytes"]
    # only the 128 px network answers within 20 ms on one thread
    fast = {c[k]["size"] for k in c if c[k]["browser"]["p50_ms_1thread"] <= 20}
    assert fast == {128}


def test_production_page_claims_hold_for_the_profile():
    ops = json.loads((REPORTS / "inference_ops.json").read_text())
    f = ops["families"]
    # 1x1 convolutions: nearly all the work; depthwise: a small part of the work, a far larger part of the time
    assert f["pointwise"]["mac_share"] > 0.8 and f["depthwise"]["mac_share"] < 0.15
    assert f["depthwise"]["share"] > 2 * f["depthwise"]["mac_share"]
    assert f["pointwise"]["gmac_per_s"] > 3 * f["depthwise"]["gmac_per_s"]
    assert ops["model"] == json.loads((ROOT / "docs" / "assets" / "models" / "bears.json").read_text())["model"]
