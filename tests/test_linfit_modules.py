"""The SGD widget's DOM-free modules in Node (site_widgets/linfit/state.js, python.js), its
starting code, and the length of every function of the widgets this branch owns.

- state.js: settings and their URL form, playback, the bookkeeping of runs (which answer is
  shown, which one is out of date), the time a run may take, every message.
- python.js against a fake worker: start, runs, the timeout, a worker that breaks the protocol
  or sends numbers that are not finite, a crash, and dispose(), after which nothing restarts.
"""

from __future__ import annotations

import json

import pytest

from tests.support import ROOT, run_node_modules
from tests.widget_code import longest

LINFIT = ROOT / "site_widgets" / "linfit"
RECORDED = json.loads((ROOT / "docs/assets/sgd/fit.json").read_text())


def node(script: str, payload=None):
    return run_node_modules(LINFIT, ("state", "python", "settings"), script, payload, timeout=60)


# ---------------------------------------------------------------- the code the editor starts with

def test_update_py_is_the_update_the_sgd_page_shows():
    """The page shows training/sgd_core.py's update() (pymdownx.snippets); the widget starts with
    site_widgets/linfit/update.py. They must be the same text."""
    core = (ROOT / "training" / "sgd_core.py").read_text()
    start = core.index("# --8<-- [start:update]\n") + len("# --8<-- [start:update]\n")
    assert (LINFIT / "update.py").read_text() == core[start:core.index("# --8<-- [end:update]")]
    assert '--8<-- "training/sgd_core.py:update"' in (ROOT / "docs" / "sgd.md").read_text()


# ---------------------------------------------------------------- state.js

def test_settings_from_the_address_and_back():
    out = node("""
      const a = state.settingsFrom(new URLSearchParams("lr=1.5&batch=all&steps=nope&mom=0.9"));
      const b = state.settingsFrom(new URLSearchParams("batch=10&steps=1000&other=1"));
      const withMomentum = settings.settingKeys({momentum: true});
      const c = state.settingsFrom(new URLSearchParams("lr=1.5&mom=0.9"), withMomentum);
      const d = state.settingsFrom(new URLSearchParams("mom=0.3"), withMomentum);
      console.log(JSON.stringify({a, b, c, d, keys: [settings.settingKeys(), withMomentum],
        params: [state.paramOf("lr", 0.1), state.paramOf("lr", 2), state.paramOf("batch_size", 0),
                 state.paramOf("batch_size", 10), state.paramOf("steps", 20), state.paramOf("momentum", 0.9)]}));""")
    # momentum is read only where the widget shows it (the schedules page's update() has its own)
    assert out["a"]["settings"] == {"lr": 1.5, "batch_size": 0, "steps": 100, "momentum": 0}
    assert out["a"]["notes"] == ["steps=nope in the address is not one of the choices; using 100."]
    assert out["b"] == {"settings": {"lr": 0.1, "batch_size": 10, "steps": 1000, "momentum": 0}, "notes": []}
    assert out["c"]["settings"] == {"lr": 1.5, "batch_size": 0, "steps": 100, "momentum": 0.9}
    assert out["d"]["notes"] == ["mom=0.3 in the address is not one of the choices; using 0."]
    assert out["keys"] == [["lr", "batch_size", "steps"], ["lr", "batch_size", "steps", "momentum"]]
    assert out["params"] == [["lr", None], ["lr", "2"], ["batch", None], ["batch", "10"], ["steps", "20"],
                             ["mom", "0.9"]]


def test_short_edited_code_goes_in_the_address_and_comes_back_unrun():
    out = node("""
      const s = state.createState({recorded: input, code: "def update(a, xb, yb, lr):\\n    return a\\n"});
      const log = [state.codeParamOf(s)];
      s.code = "def update(a, xb, yb, lr):\\n    return [0, 0]\\n";
      log.push(state.codeParamOf(s));
      const back = state.codeFrom(new URLSearchParams([["code", log[1][1]]]), s.originalCode);
      s.code = "#".repeat(5000) + "\\n";
      log.push(state.codeParamOf(s), back,
        state.codeFrom(new URLSearchParams([["code", s.code]]), s.originalCode),
        state.codeFrom(new URLSearchParams([["code", s.originalCode]]), s.originalCode));
      console.log(JSON.stringify(log));""", RECORDED)
    assert out[0] == ["code", None]  # the lesson's code: nothing in the address
    assert out[1] == ["code", "def update(a, xb, yb, lr):\n    return [0, 0]\n"]
    assert out[2] == ["code", None]  # too long for an address
    assert out[3]["code"] == out[1][1] and "press Run my update to run it" in out[3]["note"]
    assert out[4]["code"] == "" and "more than the 1200" in out[4]["note"]
    assert out[5] == {"code": "", "note": ""}


def test_playback_walks_the_run_and_never_back():
    out = node("""
      const s = state.createState({recorded: input, code: "def update(a, xb, yb, lr):\\r\\n    return a"});
      const log = [state.play(s), s.playing];
      let pos = state.advance(s, 0, 1000);            // 30 steps a second
      log.push(s.k);
      pos = state.advance(s, pos, -50);                // a frame time before the previous one
      log.push(s.k);
      pos = state.advance(s, pos, 60000);
      log.push(s.k, s.playing, state.play(s), s.k);    // at the end, Play starts again from 0
      log.push(state.play(s, {reduced: true}), s.k, s.playing);
      state.rewind(s); state.stepOnce(s); log.push(s.k);
      console.log(JSON.stringify({log, code: s.originalCode}));""", RECORDED)
    assert out["log"] == ["animate", True, 30, 30, 100, False, "animate", 0, "jump", 100, False, 1]
    assert out["code"] == "def update(a, xb, yb, lr):\n    return a\n"


def test_only_the_newest_wanted_run_is_shown():
    out = node("""
      const s = state.createState({recorded: input, code: "x"});
      const log = [];
      log.push(state.begin(s, false), s.wanted.reason, state.begin(s, false));  // first use: the recording's own run
      const swap = state.takeJob(s);
      log.push(state.play(s));                                  // the recording plays meanwhile
      state.changeSetting(s, "lr", 1.5); state.want(s, "new");
      log.push(state.play(s), state.takeJob(s));                // the new run is not on screen yet; one at a time
      const ok = {ok: true, a: [[0, 0], [1, 1]], loss: [2, 1], diverged: false, stdout: "hi"};
      log.push(state.finish(s, swap, ok), s.source);            // out of date: shown nowhere
      const fresh = state.takeJob(s);
      log.push(fresh.settings.lr, state.request(s, fresh).lr, state.request(s, fresh).seed);
      log.push(state.finish(s, fresh, ok), s.source, s.k, s.results, state.busy(s));
      state.want(s, "new");
      const bad = state.takeJob(s);
      log.push(state.finish(s, bad, {ok: false, error: "NameError: x", stdout: ""}), s.run.loss);
      console.log(JSON.stringify(log));""", RECORDED)
    assert out[:3] == [True, "swap", False]
    assert out[3] == "animate"
    assert out[4:6] == ["wait", None]
    assert out[6:8] == [None, "recorded"]
    assert out[8:11] == [1.5, 1.5, 42]
    assert out[11] == {"output": "hi", "error": None, "play": True}
    assert out[12:16] == ["python", 0, 2, False]
    assert out[16]["error"].endswith("\n\nNameError: x") and out[16]["play"] is False
    assert out[17] == [2, 1]  # the last good run stays


def test_messages_say_what_happened_and_what_is_kept():
    out = node("""
      const s = state.createState({recorded: input, code: "x"});
      const job = {reason: "new", settings: s.settings, code: "x"};
      const E = (kind, message, extra = {}) => new python.RunError(kind, message, extra);
      console.log(JSON.stringify([
        state.fail(s, job, E("timeout", "", {budgetMs: 4500})), state.fail(s, job, E("crashed", "Python ended: exit(1)")),
        state.fail(s, job, E("protocol", "a \\"ready\\" message out of turn")), state.fail(s, job, E("stopped", "")),
        state.fail(s, job, E("unavailable", "offline"))]));""", RECORDED)
    assert out[0].startswith("Your update() did not finish within 4.5 s (an endless loop?)")
    assert "Python stopped working while it ran your code (Python ended: exit(1))" in out[1]
    assert 'Python sent the page a "ready" message out of turn, which the widget did not ask for' in out[2]
    assert all("Your code is still in the editor" in m for m in out[:3])
    assert out[3] is None and out[4] == "Python is not available: offline"


def test_a_slow_machine_gets_more_time_in_proportion():
    out = node("""
      const d = settings.DEFAULTS;
      console.log(JSON.stringify([state.runBudgetMs(d, 100, null), state.runBudgetMs(d, 100, 80),
        state.runBudgetMs({...d, steps: 1000}, 100, 80), state.runBudgetMs({...d, steps: 1000, batch_size: 10}, 100, 160),
        state.runBudgetMs({...d, steps: 1000}, 100, 800)]));""")
    assert out[0] == out[1] == 3000  # this machine: the floor
    assert out[2] == 6 * 80 * 10  # 10x the calibrated work, 6x slack
    assert out[3] == 6 * 160 * 10 * 110 // 200  # batches of 10: each step costs 10 + 100 points, not 200
    assert out[4] == 48000


def test_readout_blames_the_learning_rate_only_for_the_lessons_code():
    out = node("""
      const s = state.createState({recorded: input, code: "x"});
      s.run = {a: [[0, 0], [5, 5], [9, 9]], loss: [1, 1e7, 1e9], diverged: true}; s.k = 2;
      const lesson = state.readout(s);
      s.runCode = "mine";
      console.log(JSON.stringify([lesson, state.readout(s).warning]));""", RECORDED)
    assert out[0]["warning"] == "The loss is exploding: the learning rate is too high (numbers overflowed after step 2)."
    assert out[0]["step"] == "2 / 100 (epoch 2)" and out[0]["coefficients"] == "(9.000, 9.000)"
    assert "look at what your update() does" in out[1]


# ---------------------------------------------------------------- python.js against a fake worker

FAKE = """
class FakeWorker {
  constructor() { this.listeners = {}; this.sent = []; this.terminated = false; FakeWorker.all.push(this); }
  addEventListener(type, fn) { (this.listeners[type] ||= []).push(fn); }
  postMessage(data) { this.sent.push(data); }
  terminate() { this.terminated = true; }
  emit(data) { for (const fn of this.listeners.message || []) fn({data}); }
}
FakeWorker.all = [];
const states = [];
const runner = new python.PythonRunner({spawn: () => new FakeWorker(), onState: (s) => states.push(s)});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const settle = async (p) => { try { return {ok: await p}; } catch (e) { return {kind: e.kind, message: e.message}; } };
const req = {a: [-1, 1], steps: 2};
const good = {ok: true, a: [[0, 0], [1, 1], [2, 2]], loss: [3, 2, 1], diverged: false, stdout: ""};
async function ready() {
  const p = runner.start();
  FakeWorker.all.at(-1).emit({type: "ready", ms: 5, calibrationMs: 80});
  await p;
  return FakeWorker.all.at(-1);
}
"""


def test_runner_runs_one_request_and_reads_the_calibration():
    out = node(FAKE + """
      const w = await ready();
      const p = runner.run(req, 1000);
      await sleep(0);
      const {id} = w.sent[0];
      w.emit({type: "started", id}); w.emit({type: "result", id, result: good});
      console.log(JSON.stringify({res: await settle(p), states, cal: runner.calibrationMs, ready: runner.ready,
        workers: FakeWorker.all.length, sent: w.sent[0].request}));""")
    assert out["res"] == {"ok": {"ok": True, "a": [[0, 0], [1, 1], [2, 2]], "loss": [3, 2, 1], "diverged": False, "stdout": ""}}
    assert out["states"] == ["loading", "ready"] and out["cal"] == 80 and out["ready"] is True
    assert out["workers"] == 1 and out["sent"] == {"a": [-1, 1], "steps": 2}


@pytest.mark.parametrize("answer,kind,message", [
    ("null", "timeout", "stopped after 0.15 s"),  # no answer at all
    ('{type: "result", id: 99, result: good}', "protocol", 'a "result" message out of turn'),
    ('{type: "ready"}', "protocol", 'a "ready" message out of turn'),
    ('"hello"', "protocol", "a message out of turn"),
    ('{type: "result", id, result: {...good, loss: [3, NaN, 1]}}', "protocol", "losses that are not finite numbers"),
    ('{type: "result", id, result: {...good, a: [[0, 0], [1, "1"], [2, 2]]}}', "protocol", "coefficients that are not finite numbers"),
    ('{type: "result", id, result: {...good, a: good.a.concat([[3, 3]]), loss: [3, 2, 1, 0]}}', "protocol", "a run with the wrong number of steps"),
    ('{type: "crashed", id, message: "Python ended: exit(1)"}', "crashed", "Python ended: exit(1)"),
])
def test_runner_ends_a_worker_that_breaks_the_protocol_and_starts_afresh(answer, kind, message):
    out = node(FAKE + f"""
      const w = await ready();
      const p = runner.run(req, 150);
      await sleep(0);
      const id = w.sent[0].id;
      const answer = {answer};
      if (answer !== null) w.emit(answer);
      const res = await settle(p);
      console.log(JSON.stringify({{res, terminated: w.terminated, workers: FakeWorker.all.length, states}}));""")
    assert out["res"] == {"kind": kind, "message": message}
    assert out["terminated"] is True
    assert out["workers"] == 2 and out["states"] == ["loading", "ready", "loading"]  # a fresh Python for the next run


def test_started_gives_the_run_its_full_budget_once():
    out = node(FAKE + """
      const w = await ready();
      const t0 = Date.now();
      const p = runner.run(req, 300);
      await sleep(200);
      w.emit({type: "started", id: w.sent[0].id});   // Python started late: 300 ms from now
      await sleep(200);
      w.emit({type: "started", id: w.sent[0].id});   // a second "started" is out of turn
      const res = await settle(p);
      console.log(JSON.stringify({res, waited: Date.now() - t0}));""")
    assert out["res"]["kind"] == "protocol" and out["waited"] < 600


def test_dispose_ends_everything_and_nothing_restarts():
    out = node(FAKE + """
      const w = await ready();
      const p = runner.run(req, 100);
      runner.dispose();
      const res = await settle(p);
      await sleep(300);                               // past the run's budget
      const again = await settle(runner.start());
      console.log(JSON.stringify({res, again, terminated: w.terminated, workers: FakeWorker.all.length}));""")
    assert out["res"]["kind"] == "stopped" and out["again"]["kind"] == "stopped"
    assert out["terminated"] is True and out["workers"] == 1


def test_a_worker_that_cannot_start_is_reported_and_can_be_retried():
    out = node(FAKE + """
      const first = settle(runner.start());
      FakeWorker.all[0].emit({type: "fatal", message: "could not load pyodide.asm.wasm"});
      const a = await first;
      const thrower = new python.PythonRunner({spawn: () => { throw new Error("no workers here"); }, onState: (s) => states.push("2:" + s)});
      const b = await settle(thrower.start());
      const c = await ready();
      console.log(JSON.stringify({a, b, states, retried: FakeWorker.all.length, ready: runner.ready}));""")
    assert out["a"] == {"kind": "unavailable", "message": "could not load pyodide.asm.wasm"}
    assert out["b"] == {"kind": "unavailable", "message": "no workers here"}
    assert out["states"] == ["loading", "failed", "2:loading", "2:failed", "loading", "ready"]
    assert out["retried"] == 2 and out["ready"] is True


# ---------------------------------------------------------------- small functions

OWNED = [ROOT / "site_widgets" / d for d in ("linfit", "figures", "common")] + [ROOT / "site_widgets" / "mount.js"]


@pytest.mark.parametrize("path", [p for d in OWNED for p in (sorted(d.rglob("*")) if d.is_dir() else [d])
                                  if p.suffix in (".js", ".py")], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_function_is_over_80_lines(path):
    n, start = longest(path)
    assert n <= 80, f"{path.name}:{start} has a function of {n} lines"
