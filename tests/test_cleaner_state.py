"""The cleaner's state module (site_widgets/cleaner/state.js) in Node, without a page:
opening a list, matching photos, marks, filters and pages, saving, restoring, exports."""

from __future__ import annotations

import csv

from tests.support import ROOT, run_node_modules

WIDGET = ROOT / "site_widgets" / "cleaner"
CLASSES = ["black", "grizzly", "teddy"]

# A Storage in memory (the shape of window.localStorage), and a list written as training writes it.
PRELUDE = """
class MemoryStorage {
  constructor(quota = Infinity) { this.map = new Map(); this.quota = quota; }
  get used() { let n = 0; for (const [k, v] of this.map) n += k.length + v.length; return n; }
  getItem(k) { return this.map.has(k) ? this.map.get(k) : null; }
  setItem(k, v) {
    const before = this.map.get(k);
    this.map.set(k, String(v));
    if (this.used > this.quota) {
      if (before === undefined) this.map.delete(k); else this.map.set(k, before);
      const e = new Error("quota"); e.name = "QuotaExceededError"; throw e;
    }
  }
  removeItem(k) { this.map.delete(k); }
  key(i) { return [...this.map.keys()][i] ?? null; }
  get length() { return this.map.size; }
}
const newState = (storage, opts = {}) => new state.CleanerState({ store: new marks.MarkStore(storage), ...opts });
const openText = (st, obj, name = "top_losses.json") => st.openList(toplosses.parseTopLosses(JSON.stringify(obj), name), name);
const file = (size = 1) => ({ size, lastModified: 0 });
const out = (x) => console.log(JSON.stringify(x));
"""


def node(script: str, payload=None):
    return run_node_modules(WIDGET, ("state", "marks", "toplosses", "text"), PRELUDE + script, payload, timeout=60)


def listing(n=30, on="all"):
    rows = [{"file": f"{CLASSES[i % 3]}/p{i:03d}.jpg", "label": CLASSES[i % 3], "pred": CLASSES[(i + (i % 2)) % 3],
             "prob_pred": 0.6, "prob_label": 0.3, "loss": round(3 - i / 100, 4)} for i in range(n)]
    return {"on": on, "data": "/data/bears", "csv_root": None, "classes": CLASSES, "top_losses": rows}


def test_a_list_marks_filters_pages_and_exports():
    got = node("""
      const st = newState(new MemoryStorage(), { pageSize: 7 });
      const opened = openText(st, input);
      const pages0 = [st.pages, st.pageSlice()];
      st.goPage(99);
      const last = st.pageSlice();
      const it = (f) => st.items.find((x) => x.file === f);
      st.setMark(it("black/p000.jpg"), "delete");
      st.setMark(it("grizzly/p001.jpg"), "relabel", "teddy");
      st.setMark(it("teddy/p002.jpg"), "relabel", "teddy"); // its own label: a keep
      st.setMark(it("black/p003.jpg"), "keep");
      st.setMark(it("black/p003.jpg"), null); // taken back
      st.setFilter("unmarked");
      const unmarked = st.order.length;
      st.setFilter("wrong");
      out({ opened, phase: st.phase, items: st.items.length, pages0, page: st.page, last, unmarked,
            wrong: st.order.length, wrongCount: st.wrongCount(), tally: st.tally(), saved: st.saved,
            cleaned: st.cleaned(), decisions: st.decisions(), problem: st.coverageProblem() });
    """, listing())
    assert got["opened"]["ok"] and got["phase"] == "list" and got["items"] == 30
    assert got["pages0"] == [5, {"start": 0, "indexes": list(range(7))}]
    assert got["page"] == 0 and got["last"] == {"start": 28, "indexes": [28, 29]}  # filter resets the page
    assert got["tally"] == {"total": 30, "marked": 3, "keep": 1, "delete": 1, "relabel": 1}
    assert got["unmarked"] == 27 and got["wrong"] == got["wrongCount"] == 15
    assert got["saved"] == "yes" and got["problem"] is None
    rows = list(csv.reader(got["cleaned"]["text"].splitlines()))
    assert rows[0] == ["file", "label"] and len(rows) == 30 and ["grizzly/p001.jpg", "teddy"] in rows
    assert got["cleaned"]["rows"] == 29
    assert list(csv.reader(got["decisions"]["text"].splitlines())) == [
        ["file", "action", "label"], ["black/p000.jpg", "delete", ""], ["grizzly/p001.jpg", "relabel", "teddy"],
        ["teddy/p002.jpg", "keep", ""]]


def test_photos_matched_extras_and_a_restore_in_a_second_page():
    got = node("""
      const storage = new MemoryStorage();
      const st = newState(storage);
      openText(st, input);
      const entries = [...input.top_losses.slice(0, 5).map((t) => ({ path: "bears/" + t.file, file: file() })),
                       { path: "bears/teddy/new.jpg", file: file() }, { path: "bears/notes.txt", file: file() }];
      const sorted = state.CleanerState.sortOpened(entries);
      st.addPhotos(sorted.others, { replace: true });
      st.setMark(st.items.at(-1), "delete");
      const report = text.matchReport(st);
      // a reload: a new state on the same storage
      const again = newState(storage);
      const res = again.restore();
      out({ phase: st.phase, items: st.items.length, found: st.found.size, report, last: st.items.at(-1),
            restored: { ok: res.ok, name: res.name, fromStorage: res.fromStorage, items: again.items.length,
                        marks: [...again.marks], phase: again.phase, note: text.photoNote(again) } });
    """, listing(12, on="valid"))
    assert got["phase"] == "ready" and got["items"] == 13 and got["found"] == 6
    assert got["report"]["data"] == {"found": 5, "missing": 7, "extra": 1, "outside": 0, "nonImages": 1, "ambiguous": 0}
    assert "Found 5 of the 12 listed photos" in got["report"]["text"]
    assert got["last"]["file"] == "teddy/new.jpg" and got["last"]["listed"] is False
    r = got["restored"]
    assert r["ok"] and r["fromStorage"] and r["items"] == 13 and r["phase"] == "list"
    assert r["marks"] == [["teddy/new.jpg", {"action": "delete"}]]
    assert r["note"] == "Open the photo folder again to see this photo."


def test_user_data_keys_are_never_object_keys():
    names = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "black/a.jpg"]
    lst = {"on": "all", "classes": CLASSES,
           "top_losses": [{"file": n, "label": "black", "pred": "teddy", "prob_pred": 0.5, "prob_label": 0.2, "loss": 1}
                          for n in names]}
    got = node("""
      const st = newState(new MemoryStorage());
      openText(st, input);
      const before = st.tally().marked;
      st.setMark(st.items[0], "keep");
      st.setMark(st.items[1], "delete");
      out({ before, tally: st.tally(), decisions: st.decisions().text });
    """, lst)
    assert got["before"] == 0 and got["tally"]["marked"] == 2
    assert list(csv.reader(got["decisions"].splitlines()))[1:] == [["__proto__", "keep", ""], ["constructor", "delete", ""]]


def test_a_validation_list_alone_cannot_make_cleaned_csv():
    got = node("""
      const st = newState(new MemoryStorage());
      openText(st, input);
      out(st.coverageProblem());
    """, listing(6, on="valid"))
    assert "only the validation split" in got


def test_text_for_a_list_is_plain_words():
    got = node("""
      const st = newState(new MemoryStorage());
      openText(st, input);
      out({ info: text.listInfo(st.list, st.wrongCount()), keys: text.keysHelp(st.list.classes),
            progress: text.progress(st.tally()), howto: text.howto(st) });
    """, listing(6))
    assert got["info"].startswith("“top_losses.json”: 6 photos (the whole data set), 3 wrong predictions; classes black, grizzly, teddy")
    assert "1 black, 2 grizzly, 3 teddy" in got["keys"]
    assert got["progress"] == "0 of 6 marked"
    assert any("--csv_root" in b.get("code", "") for b in got["howto"])


def test_the_schema_allows_what_training_may_leave_out():
    rows = [{"file": "black/a.jpg", "label": "black", "pred": None, "prob_pred": None, "prob_label": None, "loss": None},
            {"file": "teddy/b.jpg", "label": "teddy"}]
    got = node("""
      const l = toplosses.parseTopLosses(JSON.stringify(input), "bare.json");
      out({ items: l.items, classes: l.classes, on: l.on });
    """, rows)
    assert got["classes"] == ["black", "teddy"] and got["on"] is None
    assert got["items"][0] == {"file": "black/a.jpg", "label": "black", "pred": None, "probPred": None, "probLabel": None, "loss": None,
                               "score": None, "suggested": None, "imagenetTop": None}


def test_refused_entries_and_folders_are_named_and_survive_a_reload():
    lst = listing(6)
    lst["top_losses"] += [{**lst["top_losses"][0], "file": "../up.jpg"}, {**lst["top_losses"][0], "file": "black/x.jpg", "label": "black "}]
    got = node("""
      const storage = new MemoryStorage();
      const st = newState(storage);
      openText(st, input);
      st.addPhotos([{ path: "bears/black/p000.jpg", file: file() }, { path: "bears/black /new.jpg", file: file() },
                    { path: "bears/teddy/new.jpg", file: file() }], { replace: true });
      const again = newState(storage);
      again.restore();
      out({ refused: st.list.refused, note: text.refusedNote(st.list.refused), extras: st.extras, bad: st.badFolders,
            report: text.matchReport(st), restored: again.list.refused });
    """, lst)
    assert got["refused"] == [{"entry": 7, "file": "../up.jpg", "why": "its file goes up out of the data folder (..)"},
                              {"entry": 8, "file": "black/x.jpg", "why": "its label begins or ends with white space, which training's CSV reader trims"}]
    assert got["note"].startswith("2 entries of the list refused") and "entry 7 “../up.jpg”" in got["note"]
    assert got["extras"] == [{"file": "teddy/new.jpg", "label": "teddy"}] and got["bad"] == 1
    assert got["report"]["data"]["extra"] == 1 and "folder whose name begins or ends with white space" in got["report"]["text"]
    assert got["restored"] == got["refused"]


def test_shell_quoting_is_pythons_shlex_quote():
    import shlex

    values = ["bears", "/data/bears", "a b", "it's", "$(id)", "`id`", "x;y", "a|b", "*", "-rf", "~/x", "ünï", "", "a\nb",
              "'", '"', "\\", "!", "#", "{a,b}", "%s", "x=1", "@home"]
    got = node("out(input.map(text.shellQuote));", values)
    assert got == [shlex.quote(v) for v in values]


def test_two_states_on_one_storage_merge_and_a_full_storage_says_what_is_missing():
    got = node("""
      const storage = new MemoryStorage();
      const a = newState(storage), b = newState(storage);
      openText(a, input); openText(b, input);
      const it = (st, i) => st.items[i];
      a.setMark(it(a, 0), "delete"); a.setMark(it(a, 1), "keep");
      const fromA = b.setMark(it(b, 2), "keep").merged;   // b's save reads a's marks first
      a.onStorage("lesson2-cleaner/v1/" + a.key + "/marks");
      b.setMark(it(b, 0), null);                            // b takes a's mark back: later wins
      a.onStorage("lesson2-cleaner/v1/" + a.key + "/marks");
      const marksOf = (st) => [...st.marks].map(([f, m]) => [f, m.action]).sort();
      const merged = { a: marksOf(a), b: marksOf(b), fromA };
      // storage fills up: the page says how many marks it does not hold
      storage.quota = storage.used;
      const r = a.setMark(it(a, 3), "delete");
      const full = { saved: a.saved, pending: a.saving.pending, note: text.saveNote(a), atRisk: a.atRisk() };
      // the other tab forgets: this one says its marks are not saved any more
      storage.quota = Infinity;
      b.forget();
      a.onStorage("lesson2-cleaner/v1/" + a.key + "/marks");
      out({ merged, full, removed: { saved: a.saved, note: text.saveNote(a).text, atRisk: a.atRisk() } });
    """, listing(6))
    m = got["merged"]
    assert m["fromA"] == ["black/p000.jpg", "grizzly/p001.jpg"]
    assert m["a"] == m["b"] == [["grizzly/p001.jpg", "keep"], ["teddy/p002.jpg", "keep"]]
    f = got["full"]
    assert f["saved"] == "no" and f["pending"] == {"marks": 1, "unmarks": 0} and f["atRisk"]
    assert "1 of your 3 marks is not saved. The list is saved." in f["note"]["text"] and f["note"]["warn"]
    r = got["removed"]
    assert r["saved"] == "no" and r["atRisk"] and r["note"].startswith("Another tab removed the saved marks of this list")


def test_a_photo_listed_twice_is_named_and_a_folder_without_the_photos_is_said():
    lst = listing(4)
    dup = {**lst, "top_losses": lst["top_losses"] + [{**lst["top_losses"][1], "file": "./grizzly\\p001.jpg"}]}
    got = node("""
      let error = null;
      try { toplosses.parseTopLosses(JSON.stringify(input.dup), "dup.json"); } catch (e) { error = e.message; }
      const st = newState(new MemoryStorage());
      openText(st, input.lst);
      st.addPhotos([{ path: "holiday/beach.jpg", file: file() }, { path: "holiday/dog.png", file: file() }], { replace: true });
      out({ error, report: text.matchReport(st), items: st.items.length });
    """, {"dup": dup, "lst": lst})
    assert "entry 5: grizzly/p001.jpg is listed twice (entry 2 too)" in got["error"]
    assert got["report"]["data"]["found"] == 0 and got["items"] == 4
    assert got["report"]["text"].startswith("None of the 4 listed photos is among the opened files")


def ranking():
    """A suspects.json as `python -m training.bears suspects` writes it (rows in the wrong order on purpose)."""
    rows = [(f"{lab}/s{i}.jpg", lab, sugg, score) for i, (lab, sugg, score) in enumerate([
        ("black", "delete", 0.9), ("grizzly", "grizzly", 0.2), ("teddy", "black", 0.5),
        ("black", "grizzly", 0.7), ("grizzly", "grizzly", 0.1), ("teddy", "teddy", 0.3)])]
    return {"method": "out of fold", "on": "all", "data": "/data/bears", "csv_root": None, "classes": CLASSES,
            "ranking": [{"file": f, "label": lab, "suggested": sugg, "score": score, "pred": lab, "prob_pred": 0.6,
                         "prob_label": 0.6, "imagenet_top": "Maltese dog" if sugg == "delete" else "brown bear"}
                        for f, lab, sugg, score in reversed(rows)]}


def test_a_ranking_opens_with_its_scores_and_suggestions():
    got = node("""
      const st = newState(new MemoryStorage());
      const opened = openText(st, input, "suspects.json");
      st.setFilter("wrong");
      const flagged = st.order.map((i) => st.items[i].file);
      const sugg = Object.fromEntries(st.items.map((it) => [it.file, state.suggestion(it)]));
      st.setMark(st.items[0], ...sugg[st.items[0].file]);
      out({ opened, kind: st.list.kind, method: st.list.method, items: st.items, flagged, sugg,
            info: text.listInfo(st.list, st.wrongCount()), filters: text.filterLabels(st.tally(), st.wrongCount(), st.list.kind),
            keys: text.keysHelp(st.list.classes, st.list.kind), howto: text.howto(st), problem: st.coverageProblem(),
            decisions: st.decisions().text });
    """, ranking())
    assert got["opened"]["ok"] and got["kind"] == "ranking" and got["method"] == "out of fold"
    # most suspect first, whatever the file's order
    assert [it["file"] for it in got["items"]] == ["black/s0.jpg", "black/s3.jpg", "teddy/s2.jpg", "teddy/s5.jpg",
                                                  "grizzly/s1.jpg", "grizzly/s4.jpg"]
    assert {k: got["items"][0][k] for k in ("score", "suggested", "imagenetTop")} == {
        "score": 0.9, "suggested": "delete", "imagenetTop": "Maltese dog"}
    # the "wrong" filter shows the suggested changes; a suggestion is a mark's action and label
    assert got["flagged"] == ["black/s0.jpg", "black/s3.jpg", "teddy/s2.jpg"]
    assert got["sugg"] == {"black/s0.jpg": ["delete", None], "black/s3.jpg": ["relabel", "grizzly"],
                           "teddy/s2.jpg": ["relabel", "black"], "teddy/s5.jpg": ["keep", None],
                           "grizzly/s1.jpg": ["keep", None], "grizzly/s4.jpg": ["keep", None]}
    assert got["info"].startswith("“suspects.json”: 6 photos (the whole data set), ranked most suspect first, 3 suggested changes")
    assert got["filters"]["wrong"] == "Suggested changes (3)" and "a accepts the suggestion" in got["keys"]
    assert got["problem"] is None
    assert any("train --data /data/bears --decisions ~/Downloads/decisions.csv" in b.get("code", "") for b in got["howto"])
    assert list(csv.reader(got["decisions"].splitlines())) == [["file", "action", "label"], ["black/s0.jpg", "delete", ""]]


def test_a_ranking_restored_from_storage_is_still_a_ranking():
    got = node("""
      const storage = new MemoryStorage();
      openText(newState(storage), input, "suspects.json");
      const st = newState(storage);
      const res = st.restore();
      out({ ok: res.ok, name: res.name, kind: st.list.kind, items: st.items.map((it) => [it.file, it.score, it.suggested, it.imagenetTop]) });
    """, ranking())
    assert got["ok"] and got["name"] == "suspects.json" and got["kind"] == "ranking"
    assert [r[1] for r in got["items"]] == sorted((r[1] for r in got["items"]), reverse=True)
    assert got["items"][0] == ["black/s0.jpg", 0.9, "delete", "Maltese dog"]


def test_a_ranking_goes_through_the_same_checks():
    good = ranking()
    rows = good["ranking"]
    cases = {
        "no score": {**good, "ranking": [{k: v for k, v in rows[0].items() if k != "score"}, *rows[1:]]},
        "score 1.5": {**good, "ranking": [{**rows[0], "score": 1.5}, *rows[1:]]},
        "panda": {**good, "ranking": [{**rows[0], "suggested": "panda"}, *rows[1:]]},
        "absolute": {**good, "ranking": [{**rows[0], "file": "/etc/passwd"}, *rows[1:]]},
        "spaces": {**good, "ranking": [{**rows[0], "suggested": " delete"}, *rows[1:]]},
        "neither": {"method": "x", "rows": rows},
    }
    got = node("""
      const out_ = {};
      for (const [name, obj] of Object.entries(input)) {
        try { const l = toplosses.parseTopLosses(JSON.stringify(obj), name); out_[name] = {ok: l.items.length, refused: l.refused}; }
        catch (e) { out_[name] = {error: e.message}; }
      }
      out(out_);
    """, cases)
    assert 'entry 1: "score" must be a score between 0 and 1, got nothing' in got["no score"]["error"]
    assert '"score" must be a score between 0 and 1, got 1.5' in got["score 1.5"]["error"]
    assert "classes mismatch: entry 1 has suggested “panda”" in got["panda"]["error"]
    assert got["absolute"]["ok"] == 5 and "is an absolute path" in got["absolute"]["refused"][0]["why"]
    assert got["spaces"]["ok"] == 5 and "suggested begins or ends with white space" in got["spaces"]["refused"][0]["why"]
    assert 'no "top_losses" or "ranking" array' in got["neither"]["error"]
