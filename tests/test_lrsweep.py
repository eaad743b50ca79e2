"""The learning-rate sweep (training/bears/lr_sweep.py) and its widget (site_widgets/lrsweep/, on training.md).

- The command on a few real photos: every run recorded batch by batch, from the same start,
  a diverged run cut at its first non-finite loss (null), the record strict JSON.
- The published sweep.json: the default head stage's settings, one run at the default head_lr,
  the finder's readings equal to the lr_find.json published beside it.
- The widget's DOM-free module in Node against sweep.json: the nearest swept run to any lr (log
  scale), the best runs, the training curves' shape, the state in the address, clear messages for
  bad files.
- In Chromium: the keyboard moves the chosen run, the readout's numbers are sweep.json's, the
  address keeps the lr (and a link with another lr opens the nearest run), the unfrozen finder
  shows when switched to.
"""

from __future__ import annotations

import json
import math
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.support import ROOT, run_node_modules
from training.bears.lr_sweep import cut_at_divergence
from training.bears.train import TrainConfig

SWEEP_DIR = ROOT / "docs" / "assets" / "reports" / "lr_sweep"
SWEEP = json.loads((SWEEP_DIR / "sweep.json").read_text())
LRSWEEP = ROOT / "site_widgets" / "lrsweep"


def node(script: str, payload=None):
    return run_node_modules(LRSWEEP, ("model",), script, {"sweep": SWEEP, **(payload or {})})


def nearest(lr: float) -> int:
    """The swept run nearest to lr on a log axis (ties: the lower lr)."""
    logs = [math.log10(r["lr"]) for r in SWEEP["runs"]]
    v = math.log10(lr)
    return min(range(len(logs)), key=lambda i: (abs(logs[i] - v), i))


def fmt_lr(v: float) -> str:
    m, e = f"{v:.2e}".split("e")
    return f"{m}e{int(e)}"


# ---------------------------------------------------------------- the command, on real photos

def test_cut_at_divergence_keeps_the_record_up_to_the_first_non_finite_loss():
    h = {"batches": [{"epoch": e, "loss": v} for e, v in [(0, 1.0), (0, 0.5), (1, 0.4), (1, math.nan), (1, 2.0)]],
         "epochs": [{"epoch": 0, "train_loss": 0.7, "valid_loss": 0.6}, {"epoch": 1, "train_loss": math.nan,
                                                                         "valid_loss": math.nan}]}
    assert cut_at_divergence(h)
    assert [b["loss"] for b in h["batches"]][:3] == [1.0, 0.5, 0.4] and len(h["batches"]) == 4
    assert [e["epoch"] for e in h["epochs"]] == [0]
    fine = {"batches": [{"epoch": 0, "loss": 1.0}], "epochs": [{"epoch": 0, "train_loss": 1.0, "valid_loss": 1.0}]}
    assert not cut_at_divergence(fine) and len(fine["epochs"]) == 1


def test_computing_the_activations_leaves_the_random_state_alone(bears_dir):
    """Whether the activation cache was hit must not change what runs next (dropout masks, lr-find)."""
    import torch
    from torch import nn

    from training.bears.data import Items
    from training.bears.features import body_features

    files = sorted((bears_dir / "black").glob("*.jpg"))[:3]
    items = Items(files=files, labels=["black"] * 3, classes=["black"])
    pre = {"resize": 32, "crop": 32, "mean": [0.5] * 3, "std": [0.5] * 3}
    torch.manual_seed(0)
    before = torch.get_rng_state()
    feats = body_features(nn.Flatten(), items, pre, key="test", bs=2, cache_dir=None, progress=False)
    assert feats.shape == (3, 3 * 32 * 32)
    assert torch.equal(torch.get_rng_state(), before)


def test_the_command_trains_every_lr_from_the_same_start(bears_dir, bears_cache, tmp_path):
    from training.bears.cli import main

    # fast_run's photos and size (conftest.py): in a whole-suite run their activations are cached already
    data = ["--data", str(bears_dir), "--per_label", "15", "--size", "128", "--bs", "8", "--cache", str(bears_cache),
            "--no-progress"]
    out = tmp_path / "sweep"
    assert main(["lr-find", *data, "--num_it", "40", "--out", str(tmp_path / "find")]) == 0
    finder = json.loads((tmp_path / "find" / "lr_find.json").read_text())
    assert main(["lr-sweep", *data, "--head_epochs", "2", "--lrs", "1e-3", "1e-5", "1e10", "--no-unfrozen",
                 "--finder", str(tmp_path / "find" / "lr_find.json"), "--out", str(out)]) == 0
    res = json.loads((out / "sweep.json").read_text())  # strict JSON: a diverged loss is null, never NaN
    runs = res["runs"]
    assert [r["lr"] for r in runs] == [1e-5, 1e-3, 1e10]  # sorted
    steps = res["steps_per_epoch"]
    assert steps == math.ceil(res["n_train"] / 8) and res["unfrozen_finder"] is None
    for r in runs[:2]:
        assert not r["diverged"] and len(r["batch_loss"]) == 2 * steps and len(r["epochs"]) == 2
        assert r["final"]["valid_loss"] == r["epochs"][-1]["valid_loss"]
    # the same start and batches: the first batch's loss is computed before any step, so it is equal
    assert runs[0]["batch_loss"][0] == runs[1]["batch_loss"][0]
    assert runs[1]["final"]["valid_loss"] < runs[0]["final"]["valid_loss"]  # 1e-3 learns, 1e-5 hardly moves
    big = runs[2]
    assert big["diverged"] and big["final"] is None and big["batch_loss"][-1] is None
    assert all(v is not None for v in big["batch_loss"][:-1])
    # a finder from outside the published reports is copied beside the sweep, and named there
    assert res["finder"] == {"file": "sweep/lr_find.json", "suggested_lr": finder["suggested_lr"],
                             "min_lr_div10": finder["min_lr_div10"]}
    assert json.loads((out / "lr_find.json").read_text()) == finder
    assert res["best"]["valid_loss"]["lr"] == 1e-3
    # a finder recorded with another batch size is refused, with the reason
    assert main(["lr-sweep", *data[:-3], "--bs", "16", "--cache", str(bears_cache), "--no-progress", "--no-unfrozen",
                 "--finder", str(tmp_path / "find" / "lr_find.json"), "--out", str(out)]) == 2


def test_the_published_sweep_is_the_default_head_stage_at_each_lr():
    d = TrainConfig()
    c = SWEEP["config"]
    assert (c["bs"], c["head_epochs"], c["pct_start"], c["wd"], c["head_dropout"]) == \
        (d.bs, d.head_epochs, d.pct_start, d.wd, d.head_dropout)
    lrs = [r["lr"] for r in SWEEP["runs"]]
    assert lrs == sorted(lrs) and d.head_lr in lrs and len(lrs) >= 10
    assert SWEEP["finder"]["file"] == "default/lr_find.json"  # the finder the training page shows
    finder = json.loads((SWEEP_DIR.parent / SWEEP["finder"]["file"]).read_text())
    assert (finder["stage"], finder["bs"], finder["n_train"]) == ("head", c["bs"], SWEEP["n_train"])
    assert SWEEP["finder"]["suggested_lr"] == finder["suggested_lr"]
    assert SWEEP["finder"]["min_lr_div10"] == finder["min_lr_div10"]
    done = [r for r in SWEEP["runs"] if r["final"]]
    assert SWEEP["best"]["valid_loss"]["lr"] == min(done, key=lambda r: r["final"]["valid_loss"])["lr"]
    for r in SWEEP["runs"]:
        n = len(r["batch_loss"])
        assert r["diverged"] or n == c["head_epochs"] * SWEEP["steps_per_epoch"]
    if SWEEP["unfrozen_finder"]:
        assert json.loads((SWEEP_DIR.parent / SWEEP["unfrozen_finder"]).read_text())["stage"] == "unfrozen"


def test_the_sweep_at_the_default_head_lr_is_the_default_runs_stage_1():
    """Same start, batches and dropout masks: rerun `lr-sweep` whenever `reports` retrains the default run."""
    default = json.loads((SWEEP_DIR.parent / "default" / "report.json").read_text())
    run = next(r for r in SWEEP["runs"] if r["lr"] == default["config"]["head_lr"])
    frozen = [b["loss"] for b in default["history"]["batches"] if b["stage"] == "frozen"]
    assert run["batch_loss"] == pytest.approx(frozen, rel=1e-4)
    epochs = [e for e in default["history"]["epochs"] if e["stage"] == "frozen"]
    for mine, theirs in zip(run["epochs"], epochs, strict=True):
        for k in ("train_loss", "valid_loss", "error_rate"):
            assert mine[k] == pytest.approx(theirs[k], rel=1e-4), k


def test_the_training_pages_claims_hold_for_the_published_sweep():
    """training.md's words around the numbers it quotes: rerunning the sweep must not leave them false."""
    runs, near, finder = SWEEP["runs"], SWEEP["near_best"], SWEEP["finder"]
    best = SWEEP["best"]["valid_loss"]
    assert finder["suggested_lr"] < near["lo"] <= best["lr"] <= near["hi"] < finder["min_lr_div10"]  # "between", "below the band", "above it"
    default = json.loads((SWEEP_DIR.parent / "default" / "report.json").read_text())
    head_lr = default["config"]["head_lr"]  # the published default run's (the lesson's recipe), not today's code default
    assert near["lo"] <= head_lr <= near["hi"]  # "the default head's 3e-3 inside it"
    at_default = next(r for r in runs if r["lr"] == head_lr)["final"]["valid_loss"]
    assert best["valid_loss"] <= at_default < near["factor"] * best["valid_loss"]  # "a few times higher did as well"
    assert runs[0]["final"]["error_rate"] > 0.2  # "hardly moves ... still wrong"
    top = runs[-1]["final"]
    assert top["error_rate"] < 0.1 and top["valid_loss"] > 10 * best["valid_loss"]  # "only ..., yet the loss"
    assert SWEEP["n_train"] == default["metrics"]["n_train"]
    unfrozen = json.loads((SWEEP_DIR.parent / SWEEP["unfrozen_finder"]).read_text())
    sm = unfrozen["smoothed"]
    assert unfrozen["stopped"].startswith("smoothed loss passed")  # "blows up ... the test stopped there"
    assert min(sm) > 0.6 * sm[0] and sm[0] < 0.2  # "already low", "no steep stretch"
    assert default["config"]["lr_hi"] < unfrozen["lrs"][-1]  # "below the blow-up"


# ---------------------------------------------------------------- the widget's model, in Node

def test_the_model_follows_sweep_json_and_picks_the_nearest_run():
    probes = [1e-9, 1e-5, 2e-5, 5.4e-5, 1.9e-3, 3e-3, 0.052, 1.5, 2.0, 1e3]
    out = node("""
      const s = model.sweepSeries(input.sweep);
      console.log(JSON.stringify({lrs: s.runs.map((r) => r.lr), best: s.best, nValid: s.nValid,
        near: input.probes.map((lr) => model.nearestRun(s, lr)), start: model.startRun(s),
        curves: model.curves(s), texts: s.runs.map((_, i) => model.readoutText(s, i))}));""", {"probes": probes})
    runs = SWEEP["runs"]
    assert out["lrs"] == [r["lr"] for r in runs]
    assert out["near"] == [nearest(lr) for lr in probes]
    assert out["nValid"] == sum(SWEEP["valid_counts"].values())
    lrs = [r["lr"] for r in runs]
    assert lrs[out["best"]["valid_loss"]] == SWEEP["best"]["valid_loss"]["lr"] == lrs[out["start"]]
    assert lrs[out["best"]["error_rate"]] == SWEEP["best"]["error_rate"]["lr"]
    steps = SWEEP["steps_per_epoch"]
    for r, c, text in zip(runs, out["curves"], out["texts"]):
        assert c["batches"] == [[b + 1, v] for b, v in enumerate(r["batch_loss"])]
        assert c["valid"] == [[(e["epoch"] + 1) * steps, e["valid_loss"]] for e in r["epochs"]]
        assert text.startswith(f"max_lr {fmt_lr(r['lr'])}")
        if r["final"]:
            assert f"({r['final']['n_wrong']} of {out['nValid']} wrong)" in text
            assert f"error {100 * r['final']['error_rate']:.2f}%" in text


def test_the_address_keeps_the_lr_and_the_stage():
    out = node("""
      const s = model.sweepSeries(input.sweep);
      const read = (q, prefix) => { const p = new URLSearchParams(q); return model.readState((n) => p.get(n), s, prefix); };
      console.log(JSON.stringify({none: read(""), exact: read("lr=0.003"), near: read("lr=1.5&stage=unfrozen"),
        bad: read("lr=abc&stage=body"), neg: read("lr=-1"), scoped: read("lr=0.003&b-lr=1e-5", "b-"),
        written: model.writeState(s, {run: 0, stage: "head"}, "b-"),
        writtenU: model.writeState(s, {run: s.runs.length - 1, stage: "unfrozen"})}));""")
    lrs = [r["lr"] for r in SWEEP["runs"]]
    best = lrs.index(SWEEP["best"]["valid_loss"]["lr"])
    assert out["none"] == {"state": {"run": best, "stage": "head"}, "notes": []}
    assert out["exact"] == {"state": {"run": lrs.index(0.003), "stage": "head"}, "notes": []}
    assert out["near"]["state"] == {"run": nearest(1.5), "stage": "unfrozen"}
    assert "No run was trained at lr 1.5" in out["near"]["notes"][0]
    assert out["bad"]["state"] == {"run": best, "stage": "head"} and len(out["bad"]["notes"]) == 2
    assert "“abc” is not a positive number" in out["bad"]["notes"][0]
    assert out["neg"]["state"]["run"] == best and out["neg"]["notes"]
    assert out["scoped"]["state"]["run"] == 0
    (name, text), stage = out["written"]
    assert name == "b-lr" and float(text) == lrs[0] and "e" not in text and stage == ["b-stage", None]
    assert out["writtenU"][1] == ["stage", "unfrozen"] and float(out["writtenU"][0][1]) == lrs[-1]


def test_bad_sweep_files_get_clear_messages():
    run = SWEEP["runs"][0]
    cases = {
        "not an object": ([], "sweep.json should be an object"),
        "no runs": ({**SWEEP, "runs": []}, '"runs" should list the swept runs'),
        "no lr": ({**SWEEP, "runs": [{**run, "lr": "fast"}, run]}, "runs[0].lr should be a positive number"),
        "unsorted": ({**SWEEP, "runs": [SWEEP["runs"][1], run]}, "increasing lr order (runs[1])"),
        "no final": ({**SWEEP, "runs": [{**run, "final": None, "diverged": False}, SWEEP["runs"][1]]},
                     'runs[0].final should give the run'),
        "no counts": ({**SWEEP, "valid_counts": None}, '"valid_counts" should give'),
        "no batches": ({**SWEEP, "runs": [{**run, "batch_loss": 3}, SWEEP["runs"][1]]}, "runs[0].batch_loss should list"),
        "odd finder": ({**SWEEP, "finder": {"file": "../../secret.json"}}, '"finder.file" should name a report file'),
    }
    out = node("""
      const res = {};
      for (const [k, v] of Object.entries(input.cases)) {
        try { model.sweepSeries(v, "lr_sweep/sweep.json"); res[k] = "no error"; }
        catch (e) { res[k] = `${e.name}: ${e.message}`; }
      }
      const diverged = {...input.sweep, runs: [{...input.sweep.runs[0], diverged: true, final: null,
        batch_loss: [1.1, null]}, input.sweep.runs[1]]};
      res.divergedText = model.readoutText(model.sweepSeries(diverged), 0);
      console.log(JSON.stringify(res));""", {"cases": {k: v for k, (v, _) in cases.items()}})
    for k, (_, msg) in cases.items():
        assert out[k].startswith("DataError: lr_sweep/sweep.json") and msg in out[k], (k, out[k])
    assert "diverged: the loss was not a number at batch 2 of" in out["divergedText"]


# ---------------------------------------------------------------- the widget, in Chromium

def address(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def test_the_keyboard_picks_a_run_and_the_readout_is_sweep_json(watched, site):
    runs, lrs = SWEEP["runs"], [r["lr"] for r in SWEEP["runs"]]
    page = watched.page
    # a missing file first: the message names it, Retry loads it once it is there
    watched.allow_console_error(r"Failed to load resource")
    page.route("**/assets/reports/lr_sweep/sweep.json", lambda route: route.fulfill(status=404, body="gone"))
    page.goto(site.url + "training/?lr=1.5")  # a teacher's link: no run at 1.5, the nearest one opens
    w = page.locator('[data-widget="lrsweep"]')
    expect(w).to_have_attribute("data-phase", "error", timeout=20000)
    expect(w.locator(".fig-error")).to_contain_text("Could not download assets/reports/lr_sweep/sweep.json: HTTP 404")
    page.unroute("**/assets/reports/lr_sweep/sweep.json")
    w.locator("button.fig-retry").click()
    expect(w).to_have_attribute("data-phase", "ready", timeout=20000)
    readout = w.locator(".lsw-readout")
    expect(readout).to_have_attribute("data-index", str(nearest(1.5)))
    expect(w.locator(".lsw-note")).to_contain_text("No run was trained at lr 1.5")
    expect(w.locator(".lsw-final circle[data-lr]")).to_have_count(sum(1 for r in runs if r["final"]))

    def check(i):
        r = runs[i]
        expect(readout).to_have_attribute("data-index", str(i))
        d = readout.evaluate("(el) => ({...el.dataset})")
        assert float(d["lr"]) == r["lr"]
        if r["final"]:
            assert float(d["validLoss"]) == r["final"]["valid_loss"]
            assert float(d["errorRate"]) == r["final"]["error_rate"] and int(d["nWrong"]) == r["final"]["n_wrong"]
            text = readout.text_content()
            assert f"error {100 * r['final']['error_rate']:.2f}%" in text and f"max_lr {fmt_lr(r['lr'])}" in text
        assert w.locator("path.lsw-run-chosen").get_attribute("data-index") == str(i)
        assert float(address(page)["lr"]) == r["lr"]

    w.locator(".fig-plot").focus()
    page.keyboard.press("Home")
    check(0)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    check(2)
    page.keyboard.press("End")
    check(len(runs) - 1)
    target = lrs.index(TrainConfig().head_lr)
    page.keyboard.press("Home")
    for _ in range(target):
        page.keyboard.press("ArrowRight")
    check(target)
    page.reload()  # the address keeps the lr
    expect(w).to_have_attribute("data-phase", "ready", timeout=20000)
    expect(readout).to_have_attribute("data-index", str(target))
    if SWEEP["unfrozen_finder"]:
        w.get_by_label("The whole network (unfrozen)").check()
        nested = w.locator(".lsw-unfrozen")
        expect(nested).to_have_attribute("data-phase", "ready", timeout=15000)
        expect(nested.locator(".fig-readout")).to_contain_text("lr ")
        assert address(page)["stage"] == "unfrozen" and float(address(page)["lr"]) == lrs[target]
        expect(w.locator(".lsw-head")).to_be_hidden()
