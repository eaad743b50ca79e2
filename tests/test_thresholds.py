"""The "none of these" explorable (site_widgets/thresholds/, on multilabel.md).

- Its DOM-free model in Node against PyTorch: the rule (training/bears/decision.py's
  Decide, the module exported inside the shipped ONNX graph) photo by photo on the
  published logits, and the summary the page quotes (written by training/bears/logits.py).
- Per-label precision, recall, F-beta and accuracy with a threshold against scikit-style
  counts computed here with NumPy.
- The address state, and bad files refused with a message naming the entry.
- The widget in Chromium: a threshold moved by keyboard changes the drawn figures as
  the model says, the state lands in the address and a link opens it.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import torch
from playwright.sync_api import expect

from tests.support import ROOT, run_node_modules
from training.bears.decision import Decide

THR = ROOT / "site_widgets" / "thresholds"
LOGITS = ROOT / "docs" / "assets" / "reports" / "shipped" / "logits.json"


def node(script: str, payload=None):
    return run_node_modules(THR, ("model", "state"), script, payload)


@pytest.fixture(scope="module")
def data():
    return json.loads(LOGITS.read_text())


def test_the_widgets_rule_is_the_exported_modules_photo_by_photo(data):
    decide = Decide(data["thresholds"], data["sure"])
    want = {}
    for name, s in data["sets"].items():
        _, codes = decide(torch.tensor(s["logits"], dtype=torch.float32))
        want[name] = codes.tolist()
    got = node("""const out = {};
      for (const [name, s] of Object.entries(input.sets)) out[name] = s.logits.map((z) => model.decide(z, input.thresholds, input.sure));
      console.log(JSON.stringify(out));""", data)
    assert got == want
    # and the rule is not trivial on these photos: it names bears, and leaves some photos unlabelled
    flat = [c for codes in want.values() for c in codes]
    assert min(flat) < len(data["classes"]) <= max(flat)


def test_the_summary_the_page_quotes_is_what_the_widget_computes(data):
    got = node("""const r = model.explore(input, {thresholds: input.thresholds, sure: input.sure, beta: 1});
      console.log(JSON.stringify(r.sets));""", data)
    for name, want in data["summary"].items():
        for who in ("rule", "softmax"):
            for key, value in want[who].items():
                assert got[name][who][key] == pytest.approx(value, abs=1e-9), (name, who, key)


def numpy_question(data, k, t, beta):
    truth, yes = [], []
    for s in data["sets"].values():
        z = np.asarray(s["logits"])
        truth += (list(np.asarray(s["targets"]) == k) if "targets" in s else [False] * len(z))
        yes += list(z[:, k] >= t)
    truth, yes = np.array(truth), np.array(yes)
    tp, fp, fn = int((truth & yes).sum()), int((~truth & yes).sum()), int((truth & ~yes).sum())
    p, r = tp / (tp + fp), tp / (tp + fn)
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r,
            "f": (1 + beta**2) * p * r / (beta**2 * p + r), "accuracy": float((truth == yes).mean())}


@pytest.mark.parametrize("beta", [0.5, 1, 2])
def test_precision_recall_fbeta_and_accuracy_with_a_threshold_agree_with_numpy(data, beta):
    thresholds = [t - 1 for t in data["thresholds"]]
    got = node("""console.log(JSON.stringify(model.explore(input.data, {thresholds: input.t, sure: input.data.sure, beta: input.beta})));""",
               {"data": data, "t": thresholds, "beta": beta})
    right = total = 0
    for k in range(len(data["classes"])):
        want = numpy_question(data, k, thresholds[k], beta)
        for key, value in want.items():
            assert got["labels"][k][key] == pytest.approx(value), (k, key)
        right += want["accuracy"]
        total += 1
    n_photos = sum(len(s["logits"]) for s in data["sets"].values())
    assert got["accuracyMulti"] == pytest.approx(right / total)  # every label sees every photo once
    assert n_photos > 100


def test_state_from_the_address_with_clear_notes(data):
    got = node("""const ranges = input.classes.map((_, k) => model.logitRange(input, k));
      const read = (q) => state.readState((n) => new URLSearchParams(q).get(n), input, ranges);
      const a = read("t-grizzly=2.5&sure=0.9&beta=2");
      const b = read("t-black=abc&sure=7&beta=3&t-teddy=1e9");
      console.log(JSON.stringify({a, b, ranges, wa: state.writeState(a.state, input), w0: state.writeState(read("").state, input)}));""",
               data)
    k = data["classes"].index("grizzly")
    assert got["a"]["state"]["thresholds"][k] == 2.5 and got["a"]["state"]["sure"] == 0.9 and got["a"]["state"]["beta"] == 2
    assert got["a"]["notes"] == []
    notes = " ".join(got["b"]["notes"])
    assert "“abc” for black is not a number" in notes and "“sure” must be" in notes and "beta “3”" in notes
    assert f"outside {got['ranges'][data['classes'].index('teddy')][0]}" in notes
    assert got["b"]["state"]["thresholds"][data["classes"].index("black")] == data["thresholds"][data["classes"].index("black")]
    assert dict(got["wa"])["t-grizzly"] == "2.5" and dict(got["wa"])["sure"] == "0.9"
    assert all(v is None for _, v in got["w0"])  # the shipped values leave the address clean


@pytest.mark.parametrize("bad, message", [
    ({"classes": ["a"]}, "at least 2 labels"),
    ({"classes": ["a", "b"], "thresholds": [1, "x"], "sure": 0.5, "sets": {}}, "`thresholds` must be 2 finite numbers"),
    ({"classes": ["a", "b"], "thresholds": [1, 1], "sure": 0.5, "sets": {"v": {"logits": [[1, 2], [1]]}}}, "set v, photo 1"),
    ({"classes": ["a", "b"], "thresholds": [1, 1], "sure": 0.5, "sets": {"v": {"logits": [[1, 2]], "targets": [5]}}}, "targets must be"),
])
def test_a_bad_file_is_refused_naming_the_entry(bad, message):
    got = node("""try { model.checkData(input); console.log(JSON.stringify("accepted")); }
      catch (e) { console.log(JSON.stringify(e.message)); }""", bad)
    assert got.startswith("logits.json: ") and message in got


def test_moving_a_threshold_redraws_the_figures_and_the_address_keeps_it(watched, site, data):
    page = watched.page
    page.goto(site.url + "multilabel/")
    w = page.locator('[data-widget="thresholds"]')
    expect(w).to_have_attribute("data-phase", "ready", timeout=20000)
    k = data["classes"].index("teddy")
    n_dots = sum(len(s["logits"]) for s in data["sets"].values())
    expect(w.locator(f'[data-label="teddy"] circle.thr-dot')).to_have_count(n_dots)  # drawn once laid out
    # the table at the shipped thresholds is the summary the page text quotes
    shipped = float(w.locator('td[data-set="valid"][data-key="rule.right"]').get_attribute("data-value"))
    assert shipped == pytest.approx(data["summary"]["valid"]["rule"]["right"])

    slider = w.locator('input[name="t-teddy"]')
    slider.focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")  # +2.0 in steps of 0.1
    t = float(slider.input_value())
    assert t == pytest.approx(round(data["thresholds"][k] / 0.1) * 0.1 + 2.0, abs=0.11) or t == float(slider.get_attribute("max"))
    thresholds = [float(v) for v in w.get_attribute("data-thresholds").split(",")]
    assert thresholds[k] == pytest.approx(t, abs=0.005)
    want = node("""console.log(JSON.stringify(model.explore(input.data, {thresholds: input.t, sure: input.data.sure, beta: 1})));""",
                {"data": data, "t": thresholds})
    recall = float(w.locator('[data-label="teddy"] [data-key="recall"]').get_attribute("data-value"))
    assert recall == pytest.approx(want["labels"][k]["recall"])
    none = float(w.locator('td[data-set="valid"][data-key="rule.none"]').get_attribute("data-value"))
    assert none == pytest.approx(want["sets"]["valid"]["rule"]["none"])
    query = parse_qs(urlsplit(page.url).query)
    assert float(query["t-teddy"][0]) == pytest.approx(t, abs=0.005)

    page.goto(site.url + "multilabel/?t-black=0.5&sure=0.9&beta=2")
    expect(w).to_have_attribute("data-phase", "ready", timeout=20000)
    assert w.get_attribute("data-sure") == "0.9" and w.get_attribute("data-beta") == "2"
    assert float(w.get_attribute("data-thresholds").split(",")[data["classes"].index("black")]) == 0.5
