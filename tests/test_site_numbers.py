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
