"""The four figures that replay what training recorded (site_widgets/figures/):
lrfind, onecycle, wrongruns, confusion.

- Their DOM-free modules (scales, series, cells, facts) in Node, on the committed
  reports under docs/assets/reports/.
- The widgets in headless Chromium on the built site, checked against the same
  committed JSON (never hard-coded numbers): marks, cursor readouts by keyboard and
  pointer, switching runs and the URL that remembers it, every matrix cell and the
  images it lists, and a failed or malformed download that leaves a clear message
  and a usable page. The `watched` fixture fails a test on any console error.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.support import ROOT, run_node_modules

REPORTS = ROOT / "docs" / "assets" / "reports"
FIGURES = ROOT / "site_widgets" / "figures"
INDEX = json.loads((REPORTS / "index.json").read_text())
BASELINE = "default"
OTHERS = [name for name in INDEX if name != BASELINE]
# the runs the "what goes wrong" page offers: its data-runs list, or every other run
_wrong_div = re.search(r'data-widget="wrongruns"([^>]*)>', (ROOT / "docs" / "wrong.md").read_text()).group(1)
_listed = re.search(r'data-runs="([^"]+)"', _wrong_div)
WRONG_RUNS = [r for r in OTHERS if r in _listed.group(1).split(",")] if _listed else OTHERS
REPORTED = [name for name in INDEX if (REPORTS / name / "report.json").exists()]


def report(run: str) -> dict:
    return json.loads((REPORTS / run / "report.json").read_text())


def top_losses(run: str) -> list[dict]:
    return json.loads((REPORTS / run / "top_losses.json").read_text())["top_losses"]


def fmt_lr(v: float) -> str:
    """The widgets' fmtLr: 0.00190957 -> '1.91e-3'."""
    m, e = f"{v:.2e}".split("e")
    return f"{m}e{int(e)}"


def node(script: str, payload=None) -> object:
    """Run an ES-module snippet with this widget's DOM-free modules imported (tests/support.py)."""
    return run_node_modules(FIGURES, ("scales", "series", "cells", "facts"), script, payload, timeout=60)


# ---------------------------------------------------------------- DOM-free modules in Node

def test_nearest_index_and_log_scale():
    lrs = json.loads((REPORTS / BASELINE / "lr_find.json").read_text())["lrs"]
    import math
    logs = [math.log10(v) for v in lrs]
    probes = [lrs[0] / 10, lrs[-1] * 10] + [math.sqrt(a * b) * 1.0001 for a, b in zip(lrs, lrs[1:])][::7]
    out = node("""
      const logs = input.lrs.map(Math.log10);
      const idx = input.probes.map((p) => scales.nearestIndex(logs, Math.log10(p)));
      const y = scales.logScale([1e-3, 10], [100, 0]);
      console.log(JSON.stringify({idx, zero: y.map(0), floor: y.map(1e-3), top: y.map(10), ticks: scales.logTicks(1e-7, 2, 5),
        back: y.invert(y.map(0.37))}));""", {"lrs": lrs, "probes": probes})
    want = [min(range(len(logs)), key=lambda i: abs(logs[i] - math.log10(p))) for p in probes]
    assert out["idx"] == want
    assert out["zero"] == out["floor"] == 100 and out["top"] == 0  # a loss of exactly 0 sits on the bottom edge
    assert out["back"] == pytest.approx(0.37)
    assert out["ticks"] == [1e-7, 1e-5, 1e-3, 1e-1]


def test_lrfind_series_follows_the_json():
    lf = json.loads((REPORTS / BASELINE / "lr_find.json").read_text())
    out = node("""const s = series.lrFindSeries(input);
      console.log(JSON.stringify({n: s.points.length, sug: s.suggested, min: s.minimum}));""", lf)
    assert out["n"] == len(lf["lrs"])
    assert out["sug"]["i"] == lf["suggested_index"] and out["sug"]["lrRecorded"] == lf["suggested_lr"]
    assert out["min"]["i"] == lf["min_index"]
    assert out["sug"]["i"] < out["min"]["i"]  # the lesson's point: the suggestion is left of the minimum


@pytest.mark.parametrize("run", REPORTED)
def test_schedule_epochs_and_cells_follow_each_report(run):
    rep = report(run)
    out = node("""
      const sched = series.scheduleSeries(input.rep);
      const cm = cells.confusionCells(input.rep);
      const rows = cells.topLossRows({top_losses: input.top});
      console.log(JSON.stringify({
        head: sched.groups[sched.groups.length - 1].values, n: sched.rows.length, stages: sched.stages,
        counts: cm.cells.map((c) => c.count),
        listed: cm.cells.map((c) => cells.cellItems(rows, c.actual, c.predicted).map((r) => r.file)),
        epochs: series.epochSeries(input.rep).length}));""", {"rep": rep, "top": top_losses(run)})
    batches = rep["history"]["batches"]
    assert out["n"] == len(batches)
    assert out["head"] == [b["lrs"][-1] if b.get("lrs") else b["lr"] for b in batches]  # groups align from the head
    assert sum(s["end"] - s["start"] + 1 for s in out["stages"]) == len(batches)
    assert out["epochs"] == len(rep["history"]["epochs"])
    it = rep["interpretation"]
    assert out["counts"] == [c for row in it["confusion"] for c in row]
    top = top_losses(run)
    classes = it["classes"]
    for k, files in enumerate(out["listed"]):
        actual, pred = classes[k // len(classes)], classes[k % len(classes)]
        assert files == [t["file"] for t in top if t["label"] == actual and t["pred"] == pred]
        if len(top) == it["n"]:
            assert len(files) == it["confusion"][k // len(classes)][k % len(classes)]


def test_malformed_reports_raise_clear_errors():
    out = node("""
      const msgs = [];
      for (const [f, arg] of input) {
        try { ({lr: series.lrFindSeries, sched: series.scheduleSeries, cm: cells.confusionCells})[f](arg); msgs.push(null); }
        catch (e) { msgs.push(`${e.name}: ${e.message}`); }
      }
      console.log(JSON.stringify(msgs));""", [
        ["lr", {"lrs": [1e-7, 1e-6]}],
        ["lr", {"lrs": [1e-7, -1], "losses": [1, 2]}],
        ["sched", {"history": {"batches": []}}],
        ["cm", {"interpretation": {"classes": ["a", "b"], "confusion": [[1, 2]]}}],
    ])
    assert out[0] == 'DataError: lr_find.json: "losses" should have one entry per learning rate (2).'
    assert "positive number" in out[1]
    assert '"history.batches"' in out[2]
    assert "2×2 table of counts" in out[3]


def test_facts_read_the_failures_off_the_numbers():
    runs = {name: report(name) for name in ("default", "lr_too_high", "too_few_epochs", "too_many_epochs")
            if (REPORTS / name / "report.json").exists()}
    out = node("""
      const make = (name) => ({summary: {name, metrics: input.index[name].metrics, final: input.index[name].final_epoch},
        epochs: series.epochSeries(input.runs[name]), batches: series.scheduleSeries(input.runs[name]),
        confusion: cells.confusionCells(input.runs[name])});
      const good = make("default");
      console.log(JSON.stringify(Object.fromEntries(Object.keys(input.runs).map((n) => [n, facts.runFacts(make(n), good)]))));""",
        {"runs": runs, "index": INDEX})
    for name, facts in out.items():
        fin = INDEX[name]["final_epoch"]
        assert any("above validation loss" in f for f in facts) == (fin["train_loss"] > fin["valid_loss"]), name
    if "lr_too_high" in out:
        assert any("jump as high as" in f for f in out["lr_too_high"])
    if "too_many_epochs" in out:
        assert any("overfitting" in f for f in out["too_many_epochs"])


# ---------------------------------------------------------------- the widgets in Chromium

def open_widget(watched, site, path, name, run=None):
    page = watched.page
    page.goto(site.url + path)
    sel = f'[data-widget="{name}"]' + (f'[data-run="{run}"]' if run else "")
    w = page.locator(sel).first
    expect(w).to_have_attribute("data-mounted", "yes", timeout=15000)
    expect(w).to_have_attribute("data-phase", "ready", timeout=15000)
    return page, w


def readout(w) -> dict:
    r = w.locator(".fig-readout")
    return {k: r.get_attribute(f"data-{k}") for k in ("index", "lr", "lrs", "mom", "loss", "smoothed", "stage", "epoch")}


def as_float(v):
    return None if v in (None, "null") else float(v)


def test_lrfind_marks_the_steepest_slope_left_of_the_minimum(watched, site):
    lf = json.loads((REPORTS / BASELINE / "lr_find.json").read_text())
    page, w = open_widget(watched, site, "training/", "lrfind")
    mark = w.locator(".fig-suggest")
    expect(mark).to_have_attribute("data-lr", str(lf["suggested_lr"]))
    assert float(mark.get_attribute("data-lr")) == lf["suggested_lr"]
    assert int(mark.get_attribute("data-index")) == lf["suggested_index"]
    expect(w.locator(".fig-suggest-label")).to_have_text(f"steepest {fmt_lr(lf['suggested_lr'])}")
    expect(w.locator(".fig-min-label")).to_contain_text(fmt_lr(lf["lrs"][lf["min_index"]]))
    sx = mark.locator("circle").bounding_box()["x"]
    mx = w.locator(".fig-min circle").bounding_box()["x"]
    assert mx > sx + 50  # the minimum is drawn well to the right of the suggestion
    assert lf["stopped"] in w.locator("figcaption").text_content()
    # the readout starts on the suggestion
    r = readout(w)
    assert int(r["index"]) == lf["suggested_index"] and float(r["lr"]) == lf["lrs"][lf["suggested_index"]]
    assert w.locator(".fig-plot").get_attribute("role") == "slider"


def test_lrfind_readout_by_keyboard_and_pointer(watched, site):
    lf = json.loads((REPORTS / BASELINE / "lr_find.json").read_text())
    n = len(lf["lrs"])
    page, w = open_widget(watched, site, "training/", "lrfind")
    plot = w.locator(".fig-plot")
    plot.focus()

    def check(i):
        r = readout(w)
        assert int(r["index"]) == i
        assert float(r["lr"]) == lf["lrs"][i]
        assert as_float(r["loss"]) == lf["losses"][i]
        assert as_float(r["smoothed"]) == lf["smoothed"][i]
        text = w.locator(".fig-readout").text_content()
        assert f"lr {fmt_lr(lf['lrs'][i])}" in text and f"step {i + 1} of {n}" in text
        assert plot.get_attribute("aria-valuenow") == str(i) and plot.get_attribute("aria-valuetext") == text

    page.keyboard.press("Home")
    check(0)
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    check(7)
    page.keyboard.press("PageUp")
    check(17)
    page.keyboard.press("End")
    check(n - 1)
    page.keyboard.press("ArrowLeft")
    check(n - 2)

    # pointer: hovering the marked suggestion and minimum reads exactly those steps
    plot.scroll_into_view_if_needed()
    for marker, i in ((".fig-suggest circle", lf["suggested_index"]), (".fig-min circle", lf["min_index"])):
        box = w.locator(marker).bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        check(i)
    # and any step the keyboard reached is where the pointer finds it again
    page.keyboard.press("Home")
    for _ in range(3):
        page.keyboard.press("PageUp")
    check(30)
    line = w.locator(".chart-cursor-line").bounding_box()
    page.keyboard.press("End")
    page.mouse.move(line["x"] + line["width"] / 2, line["y"] + line["height"] / 2)
    check(30)


@pytest.mark.parametrize("path", ["training/", "tricks/", "wrong/"])
def test_onecycle_readout_is_the_recorded_batch(watched, site, path):
    page = watched.page
    page.goto(site.url + path)
    widgets = page.locator('[data-widget="onecycle"]')
    assert widgets.count() >= 1, f"{path} lost its onecycle figure"  # a skip here hid one
    w = widgets.first
    expect(w).to_have_attribute("data-phase", "ready", timeout=15000)
    run = w.get_attribute("data-run")
    batches = report(run)["history"]["batches"]
    n = len(batches)
    stages = [b["stage"] for b in batches]
    first_of_stage = [i for i in range(n) if i == 0 or stages[i] != stages[i - 1]]
    groups = max(len(b.get("lrs") or [1]) for b in batches)
    assert w.locator(".fig-legend li").count() == groups + 2  # every layer group's lr, momentum, loss
    # the panels draw once laid out (a ResizeObserver's first call), which can come after "ready"
    expect(w.locator("svg").first.locator(".fig-stage-rule")).to_have_count(len(first_of_stage) - 1)

    plot = w.locator(".fig-plot")
    plot.focus()
    page.keyboard.press("Home")
    at = 0
    for target in sorted({0, 5, *first_of_stage, n // 2, n - 1}):
        while at < target:
            key = "PageUp" if target - at >= 10 else "ArrowRight"
            page.keyboard.press(key)
            at += 10 if key == "PageUp" else 1
        r = readout(w)
        b = batches[at]
        assert int(r["index"]) == at
        assert float(r["lr"]) == b["lr"] and json.loads(r["lrs"]) == b["lrs"]
        assert as_float(r["mom"]) == b["mom"] and as_float(r["loss"]) == b["loss"]
        assert r["stage"] == b["stage"] and int(r["epoch"]) == b["epoch"]
        assert f"batch {at + 1} of {n}" in w.locator(".fig-readout").text_content()
    # one cursor across all panels
    assert set(w.locator(".chart-cursor").evaluate_all("gs => gs.map(g => g.dataset.index)")) == {str(n - 1)}
    # the pointer finds the batch the keyboard showed
    page.keyboard.press("Home")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    plot.scroll_into_view_if_needed()
    line = w.locator(".chart-cursor-line").last.bounding_box()
    page.keyboard.press("End")
    page.mouse.move(line["x"] + line["width"] / 2, line["y"] + line["height"] / 2)
    assert int(readout(w)["index"]) == 3


def metrics_shown(w, run):
    cells = w.locator(f'.fig-metrics td[data-run="{run}"]')
    return {c.get_attribute("data-key"): as_float(c.get_attribute("data-value")) for c in cells.all()}


def expected_metrics(run):
    m, fin = INDEX[run]["metrics"], INDEX[run]["final_epoch"]
    return {"valid_loss": m["valid_loss"], "valid_error_rate": m["valid_error_rate"],
            "final_train_loss": fin["train_loss"], "final_valid_loss": fin["valid_loss"],
            "epochs": float(len(report(run)["history"]["epochs"])), "n_train": float(m["n_train"])}


def test_wrongruns_switches_to_every_run_and_the_url_keeps_it(watched, site):
    page, w = open_widget(watched, site, "wrong/", "wrongruns")
    radios = w.locator('input[type="radio"]')
    assert radios.evaluate_all("rs => rs.map(r => r.value)") == WRONG_RUNS  # index order, the good run excluded
    expect(w).to_have_attribute("data-shown", WRONG_RUNS[0], timeout=10000)  # the first run is shown at once
    assert "run=" not in page.url
    order = WRONG_RUNS[1:] + WRONG_RUNS[:1]  # each one chosen by the reader, the first one last
    for run in order:
        w.locator(f'input[value="{run}"]').check()
        expect(w).to_have_attribute("data-shown", run, timeout=10000)
        expect(w).to_have_attribute("data-phase", "ready")
        assert metrics_shown(w, run) == expected_metrics(run)
        assert metrics_shown(w, BASELINE) == expected_metrics(BASELINE)
        expect(w.locator(".fig-what")).to_contain_text(INDEX[run]["what"])
        assert re.search(rf"[?&]run={run}(&|#|$)", page.url), page.url
        expect(w.locator(".fig-side")).to_have_count(6)  # three rows, good run | chosen run
    last = order[-2] if len(order) > 1 else order[-1]
    w.locator(f'input[value="{last}"]').check()
    page.reload()
    expect(w).to_have_attribute("data-shown", last, timeout=15000)
    assert w.locator(f'input[value="{last}"]').is_checked()
    assert metrics_shown(w, last) == expected_metrics(last)
    # a link straight to a run
    page.goto(site.url + f"wrong/?run={WRONG_RUNS[0]}")
    expect(page.locator('[data-widget="wrongruns"]')).to_have_attribute("data-shown", WRONG_RUNS[0], timeout=15000)


def test_wrongruns_keyboard_only(watched, site):
    page, w = open_widget(watched, site, "wrong/", "wrongruns")
    expect(w).to_have_attribute("data-shown", WRONG_RUNS[0], timeout=10000)
    page.locator("article h1").click()  # start from the page, then Tab into the widget
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type === 'radio'"):
            break
    assert page.evaluate("document.activeElement.value") == WRONG_RUNS[0]
    page.keyboard.press("ArrowRight")
    expect(w).to_have_attribute("data-shown", WRONG_RUNS[1], timeout=10000)
    assert metrics_shown(w, WRONG_RUNS[1]) == expected_metrics(WRONG_RUNS[1])
    assert f"run={WRONG_RUNS[1]}" in page.url


def test_wrongruns_unknown_run_in_the_url_says_so(watched, site):
    page = watched.page
    page.goto(site.url + "wrong/?run=no_such_run")
    w = page.locator('[data-widget="wrongruns"]')
    expect(w).to_have_attribute("data-shown", WRONG_RUNS[0], timeout=15000)
    expect(w).to_contain_text("No recorded run is called “no_such_run”")


# What the cell list shows after the k-th cell was pressed, read in one round trip.
CELL_LIST = """(el, k) => {
  const lst = el.querySelector('.fig-cell-list'), note = lst.querySelector('.fig-note');
  const rows = [...lst.querySelectorAll('tr[data-file]')];
  return {actual: lst.dataset.actual, predicted: lst.dataset.predicted,
    pressed: el.querySelectorAll('table.fig-cm button.fig-cell')[k].getAttribute('aria-pressed'),
    files: rows.map((r) => r.dataset.file), complete: note.dataset.complete, note: note.textContent,
    firstLoss: rows.length ? rows[0].querySelector('td[data-loss]').dataset.loss : null,
    firstText: rows.length ? rows[0].textContent : null};
}"""


# The same, for every cell pressed in turn by its button's click() (the widget's click handler), in one round trip.
CELL_LISTS = f"""(el) => {{
  const read = {CELL_LIST}, n = el.querySelectorAll('table.fig-cm button.fig-cell').length;
  return Array.from({{length: n}}, (_, k) => {{
    el.querySelectorAll('table.fig-cm button.fig-cell')[k].click();
    return read(el, k);
  }});
}}"""


def pressed_in_turn(w, cells, pointer: bool) -> list[dict]:
    """CELL_LIST after each cell is pressed: with pointer, by Playwright's click (the button visible, not
    covered, and clicked where it is drawn, as by a reader; a round trip per cell), else by CELL_LISTS."""
    if not pointer:
        return w.evaluate(CELL_LISTS)
    got = []
    for k in range(cells.count()):
        cells.nth(k).click()  # the list is redrawn in the click handler
        got.append(w.evaluate(CELL_LIST, k))
    return got


def check_matrix(w, run, pointer: bool = True):
    it = report(run)["interpretation"]
    top = top_losses(run)
    classes = it["classes"]
    cells = w.locator("table.fig-cm button.fig-cell")
    shown = cells.evaluate_all("bs => bs.map((b) => [b.dataset.actual, b.dataset.predicted, Number(b.textContent)])")
    assert shown == [[a, p, it["confusion"][i][j]] for i, a in enumerate(classes) for j, p in enumerate(classes)]
    lists = pressed_in_turn(w, cells, pointer)
    assert len(lists) == len(shown)
    for k, got in enumerate(lists):
        i, j = divmod(k, len(classes))
        assert (got["actual"], got["predicted"], got["pressed"]) == (classes[i], classes[j], "true")
        want = [t for t in top if t["label"] == classes[i] and t["pred"] == classes[j]]
        assert got["files"] == [t["file"] for t in want]
        if len(top) == it["n"]:
            assert len(got["files"]) == it["confusion"][i][j]
            assert got["complete"] == "true"
        else:
            assert len(got["files"]) <= it["confusion"][i][j]
            if len(got["files"]) < it["confusion"][i][j]:
                assert f"{len(got['files'])} of {it['confusion'][i][j]} listed in top_losses.json" in got["note"]
        if want:
            assert float(got["firstLoss"]) == want[0]["loss"]
            assert f"{want[0]['prob_pred']:.3f}" in got["firstText"]


def test_confusion_cells_equal_the_report_and_list_their_images(watched, site):
    page, w = open_widget(watched, site, "interpret/", "confusion", run=BASELINE)
    check_matrix(w, BASELINE)
    picker = w.locator("select.fig-select")
    expect(picker).to_be_visible()
    assert picker.locator("option").evaluate_all("os => os.map(o => o.value)") == [BASELINE] + OTHERS
    for run in [r for r in OTHERS if r in REPORTED]:
        picker.select_option(run)
        expect(w).to_have_attribute("data-shown", run, timeout=10000)
        expect(w).to_have_attribute("data-phase", "ready")
        expect(w.locator("table.fig-cm caption")).to_contain_text(f"of {run}:")
        check_matrix(w, run, pointer=False)  # the pointer pressed the same buttons of the default run above


def test_confusion_by_keyboard_and_show_all(watched, site):
    page, w = open_widget(watched, site, "interpret/", "confusion", run=BASELINE)
    it = report(BASELINE)["interpretation"]
    classes = it["classes"]
    big = max(range(len(classes)), key=lambda i: it["confusion"][i][i])  # the fullest diagonal cell
    cell = w.locator(f'button.fig-cell[data-actual="{classes[big]}"][data-predicted="{classes[big]}"]')
    cell.focus()
    page.keyboard.press("Enter")
    lst = w.locator(".fig-cell-list")
    expect(lst).to_have_attribute("data-actual", classes[big])
    listed = int(lst.get_attribute("data-listed"))
    more = lst.locator("button.fig-more")
    if listed > 10:
        assert lst.locator("tr[data-file]:visible").count() == 10
        more.focus()
        page.keyboard.press("Enter")
        assert lst.locator("tr[data-file]:visible").count() == listed
    else:
        assert more.count() == 0


def test_a_failed_download_says_which_file_and_can_be_retried(watched, site):
    page = watched.page
    watched.allow_console_error(r"Failed to load resource")
    page.route("**/assets/reports/default/lr_find.json", lambda route: route.abort("internetdisconnected"))
    page.goto(site.url + "training/")
    w = page.locator('[data-widget="lrfind"]')
    expect(w).to_have_attribute("data-phase", "error", timeout=15000)
    expect(w.locator(".fig-error")).to_contain_text("Could not download assets/reports/default/lr_find.json")
    expect(w.locator(".fig-error")).to_contain_text("offline")
    assert w.get_attribute("data-mounted") == "yes"  # the page goes on
    other = page.locator('[data-widget="onecycle"]')
    expect(other).to_have_attribute("data-phase", "ready", timeout=15000)  # the rest of the page still works
    page.unroute("**/assets/reports/default/lr_find.json")
    w.locator("button.fig-retry").click()
    expect(w).to_have_attribute("data-phase", "ready", timeout=15000)
    expect(w.locator(".fig-error")).to_be_hidden()
    expect(w.locator(".fig-suggest")).to_have_count(1)


def test_malformed_json_gets_a_clear_message(watched, site):
    page = watched.page
    page.route("**/assets/reports/default/report.json", lambda route: route.fulfill(
        status=200, content_type="application/json", body="{not json"))
    page.goto(site.url + "interpret/")
    w = page.locator('[data-widget="confusion"]')
    expect(w).to_have_attribute("data-phase", "error", timeout=15000)
    expect(w.locator(".fig-error")).to_contain_text("assets/reports/default/report.json is not valid JSON")
    page.unroute("**/assets/reports/default/report.json")
    page.route("**/assets/reports/default/report.json", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps({"interpretation": {"classes": ["a"]}})))
    page.goto(site.url + "training/")
    w = page.locator('[data-widget="onecycle"]')
    expect(w).to_have_attribute("data-phase", "error", timeout=15000)
    expect(w.locator(".fig-error")).to_contain_text('default/report.json: "history" is missing')
    expect(page.locator('[data-widget="lrfind"]')).to_have_attribute("data-phase", "ready", timeout=15000)


def test_phone_width_dark_palette_and_reduced_motion(browser, site):
    context = browser.new_context(viewport={"width": 375, "height": 800}, color_scheme="dark", reduced_motion="reduce")
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        for path in ("training/", "wrong/", "interpret/"):
            page.goto(site.url + path)
            ws = page.locator("[data-widget]")
            for i in range(ws.count()):
                expect(ws.nth(i)).to_have_attribute("data-phase", "ready", timeout=15000)
            page.wait_for_function("document.querySelectorAll('.fig svg.chart, .fig table.fig-cm').length > 0")
            assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
            wide = page.evaluate("""[...document.querySelectorAll('[data-widget]')]
                .filter(w => w.getBoundingClientRect().right > 376).map(w => w.dataset.widget)""")
            assert wide == [], f"{path}: {wide} wider than the phone"
            if page.locator(".chart-tick").count():
                # tick labels follow Material's slate palette: light text on the dark page
                rgb = page.evaluate("getComputedStyle(document.querySelector('.chart-tick')).fill")
                nums = [float(v) for v in re.findall(r"[\d.]+", rgb)[:3]]
                assert sum(nums) / 3 > 128, rgb
        assert page.evaluate("getComputedStyle(document.querySelector('.fig-cell')).transitionDuration") == "0s"
        assert errors == []
    finally:
        context.close()
