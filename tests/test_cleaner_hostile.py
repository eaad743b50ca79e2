"""The data cleaner against hostile and clumsy input (issue 12), in headless Chromium.

Lists are written by hand here (no photos needed: the cleaner works on a list alone),
with names a plain object would confuse, cells a spreadsheet would evaluate, paths that
leave the data folder, a data folder that is a shell command, wrong types; and readers
who fill their storage, work in two tabs, or reload right after a download. What the
page exports is read back by the training code (load_items, read_decisions, clean).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
from pathlib import Path

from tests.test_cleaner import CLASSES, download, error_text, open_cleaner, open_list, saved_keys, shown_marks


def row(file, label="black", pred="grizzly", loss=1.0, p=0.7):
    return {"file": file, "label": label, "pred": pred, "prob_pred": p, "prob_label": round(1 - p - 0.05, 4), "loss": loss}


def write_list(path: Path, rows, **top) -> Path:
    obj = {"on": "all", "data": str(path.parent / "photos"), "csv_root": None, "classes": CLASSES, "top_losses": rows}
    obj.update(top)
    path.write_text(json.dumps(obj, indent=1))
    return path


def marked(page) -> str:
    return page.get_attribute(".cln", "data-marked")


def mark(page, file, act, label=None):
    """Press a card's button (via the DOM: names with newlines make poor CSS selectors)."""
    page.evaluate("""([file, act, label]) => {
      const li = [...document.querySelectorAll('.cln-item')].find((e) => e.dataset.file === file);
      if (!li) throw new Error('no card for ' + file);
      const sel = label === null ? `button[data-act="${act}"]` : `button[data-label="${CSS.escape(label)}"]`;
      li.querySelector(sel).click(); }""", [file, act, label])


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(text.splitlines(keepends=True)))


# ---------------------------------------------------------------- names an object's keys would confuse

PROTO = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "black/a.jpg"]


def test_names_like_proto_are_ordinary_photos_and_their_marks_round_trip(watched, site, tmp_path):
    from training.bears.clean import CleanConfig, clean, read_decisions

    # the data set as a CSV, so files at its top level are photos of the set (clean reads it)
    photos = tmp_path / "set"
    photos.mkdir()
    with open(photos / "manifest.csv", "w", newline="") as f:
        csv.writer(f).writerows([["file", "label"]] + [[n, "black"] for n in PROTO])
    tl = write_list(tmp_path / "top_losses.json", [row(n, loss=3 - i / 10) for i, n in enumerate(PROTO)],
                    data=str(photos / "manifest.csv"))
    page = open_cleaner(watched, site)
    open_list(page, tl)
    page.wait_for_selector(".cln[data-phase=list]")
    # nothing is marked before the reader marks anything
    assert marked(page) == "0" and shown_marks(page) == {}
    assert page.inner_text(".cln-progress").startswith("0 of 6 marked")
    mark(page, "__proto__", "keep")
    mark(page, "constructor", "delete")
    mark(page, "toString", "relabel", "teddy")
    want = {"__proto__": "keep", "constructor": "delete", "toString": "relabel:teddy"}
    assert shown_marks(page) == want and marked(page) == "3"
    page.reload()
    page.wait_for_selector(".cln[data-phase=list]")
    assert shown_marks(page) == want and marked(page) == "3"  # the keep on __proto__ was stored
    download(page, "Download decisions.csv", tmp_path / "decisions.csv")
    assert read_decisions(tmp_path / "decisions.csv", CLASSES) == {
        "__proto__": ("keep", None), "constructor": ("delete", None), "toString": ("relabel", "teddy")}
    log = clean(CleanConfig(top_losses=str(tl), decisions=str(tmp_path / "decisions.csv"), out=str(tmp_path / "c" / "cleaned.csv")))
    assert log["deleted"] == ["constructor"] and log["relabelled"] == [{"file": "toString", "from": "black", "to": "teddy"}]


# ---------------------------------------------------------------- cells a spreadsheet would evaluate

# Label folders whose names start with what a spreadsheet evaluates, one with an apostrophe
# before it, ordinary and unicode (right-to-left) names, commas and quotes.
SHEET = {
    "=cmd": ["=1+1.jpg"], "+plus": ["b.jpg"], "-minus": ["c.jpg"], "@at": ["d.jpg"], "'=tick": ["e.jpg"],
    "black": ["ok.jpg", "-x.jpg", 'comma, "q".jpg', "שלום עולם.jpg", "'plain.jpg"],
}


def test_cells_a_spreadsheet_would_evaluate_are_guarded_and_training_reads_them_back_exactly(watched, site, tmp_path):
    from training.bears.clean import CleanConfig, clean, read_decisions
    from training.bears.data import load_items

    photos = tmp_path / "photos"
    files = []
    for lab, names in SHEET.items():
        (photos / lab).mkdir(parents=True)
        for n in names:
            (photos / lab / n).write_bytes(b"not decoded by these checks")
            files.append(f"{lab}/{n}")
    classes = sorted(SHEET)
    tl = write_list(tmp_path / "top_losses.json", [row(f, f.split("/")[0], "black", 2 - i / 20) for i, f in enumerate(files)],
                    classes=classes)
    page = open_cleaner(watched, site)
    open_list(page, tl)
    page.wait_for_selector(".cln[data-phase=list]")
    assert page.get_attribute(".cln", "data-items") == str(len(files))
    mark(page, "black/ok.jpg", "relabel", "=cmd")
    mark(page, "+plus/b.jpg", "delete")
    mark(page, "@at/d.jpg", "keep")
    mark(page, "'=tick/e.jpg", "relabel", "-minus")
    text = download(page, "Download cleaned.csv", tmp_path / "cleaned.csv")
    dec = download(page, "Download decisions.csv", tmp_path / "decisions.csv")
    for c in [c for r in cells(text) + cells(dec) for c in r]:
        assert c[:1] not in ("=", "+", "-", "@", "\t", "\r"), f"a spreadsheet would evaluate {c!r}"

    want = {f: f.split("/")[0] for f in files if f != "+plus/b.jpg"}
    want.update({"black/ok.jpg": "=cmd", "'=tick/e.jpg": "-minus"})
    items = load_items(tmp_path / "cleaned.csv", photos)
    assert {str(f.relative_to(photos)): lab for f, lab in zip(items.files, items.labels)} == want
    assert read_decisions(tmp_path / "decisions.csv", classes) == {
        "black/ok.jpg": ("relabel", "=cmd"), "+plus/b.jpg": ("delete", None), "@at/d.jpg": ("keep", None),
        "'=tick/e.jpg": ("relabel", "-minus")}
    log = clean(CleanConfig(top_losses=str(tl), decisions=str(tmp_path / "decisions.csv"), out=str(photos / "cleaned_by_clean.csv")))
    theirs = load_items(log["cleaned_csv"])
    assert {str(f.resolve().relative_to(photos.resolve())): lab for f, lab in zip(theirs.files, theirs.labels)} == want


# ---------------------------------------------------------------- paths that leave the data folder

UNSAFE = ["../etc/passwd.jpg", "/abs/x.jpg", "C:\\Users\\x.jpg", "c:/x.jpg", "https://evil.example/x.jpg",
          "black/../../y.jpg", "\\\\server\\share\\z.jpg", "file:///etc/w.jpg", " black/space.jpg", "black/trail.jpg ",
          "black/nul\u0000.jpg"]


def test_paths_outside_the_data_folder_are_refused_by_name_and_the_rest_loads(watched, site, tmp_path):
    good = ["black/a.jpg", "grizzly/b.jpg", "teddy/c.jpg"]
    rows = [row(f, loss=2 - i / 20) for i, f in enumerate(good[:1] + UNSAFE + good[1:])]
    tl = write_list(tmp_path / "top_losses.json", rows)
    page = open_cleaner(watched, site)
    open_list(page, tl)
    page.wait_for_selector(".cln[data-phase=list]")
    assert page.get_attribute(".cln", "data-items") == "3"
    assert page.get_attribute(".cln", "data-refused") == str(len(UNSAFE))
    warn = page.inner_text(".cln-listwarn")
    assert f"{len(UNSAFE)} entries" in warn
    for i, name in enumerate(UNSAFE[:5]):  # the first ones are named, with their entry number
        assert f"entry {i + 2}" in warn and name in warn, (name, warn)
    assert "outside the data folder" in warn and "not in cleaned.csv" in warn
    mark(page, "black/a.jpg", "delete")
    text = download(page, "Download cleaned.csv", tmp_path / "cleaned.csv")
    assert cells(text) == [["file", "label"], ["grizzly/b.jpg", "black"], ["teddy/c.jpg", "black"]]
    assert "https:/" not in text
    assert "refused" in page.inner_text(".cln-exportnote")


# ---------------------------------------------------------------- the command shown to the reader

HOSTILE_DATA = ["bears;id>pwned0.txt;", "$(touch pwned1)", "`touch pwned2`", "it's; touch pwned3", "a b|touch pwned4",
                "x && touch pwned5", "*", "-rf", "ünï cödé/bears"]


def test_the_training_command_quotes_every_value_from_the_list(watched, site, tmp_path):
    page = open_cleaner(watched, site)
    run = tmp_path / "run"
    run.mkdir()
    for i, data in enumerate(HOSTILE_DATA + ["line\nbreak"]):
        tl = write_list(tmp_path / f"top_losses{i}.json", [row("black/a.jpg"), row(f"grizzly/{i}.jpg", "grizzly")], data=data)
        open_list(page, tl)
        page.wait_for_function("(n) => document.querySelector('.cln-listinfo').textContent.includes(n)", arg=tl.name)
        cmd = page.inner_text(".cln-howto pre >> nth=0").strip()
        assert "\n" not in cmd
        # run what a reader would paste, with `python` replaced by a function that prints its arguments
        out = subprocess.run(["bash", "-c", 'python() { printf "%s\\0" "$@"; }\n' + cmd], cwd=run, capture_output=True,
                             text=True, env={"HOME": str(tmp_path), "PATH": os.environ["PATH"]}, timeout=10)
        assert out.returncode == 0, (cmd, out.stderr)
        args = out.stdout.split("\0")[:-1]
        root = data if "\n" not in data else "/path/to/your/photos"
        assert args == ["-m", "training.bears", "train", "--data", f"{tmp_path}/Downloads/cleaned.csv",
                        f"--csv_root={root}", "--out", "runs/cleaned"], cmd
        assert sorted(os.listdir(run)) == [], f"{cmd!r} ran something"
    assert "control characters" in page.inner_text(".cln-howto")


# ---------------------------------------------------------------- wrong types in the list

WRONG = {
    "prob.json": ([row("black/a.jpg", p=-3)], {}, ["entry 1", "prob_pred", "between 0 and 1"]),
    "loss.json": ([row("black/a.jpg"), row("black/b.jpg", loss=-1)], {}, ["entry 2", "loss", "-1"]),
    "classes.json": ([row("black/a.jpg")], {"classes": "black"}, ['"classes"', "list"]),
    "pred.json": ([row("black/a.jpg", pred=5)], {}, ["entry 1", '"pred"', "5"]),
    "file.json": ([row("black/a.jpg"), {**row("x"), "file": 3}], {}, ["entry 2", '"file"']),
    "label.json": ([row("black/a.jpg", label="panda")], {}, ["entry 1", "panda", "classes"]),
    "probtext.json": ([{**row("black/a.jpg"), "prob_label": "0.5"}], {}, ["entry 1", "prob_label"]),
}


def test_wrong_types_in_the_list_are_refused_naming_the_entry(watched, site, tmp_path):
    page = open_cleaner(watched, site)
    for name, (rows, top, words) in WRONG.items():
        open_list(page, write_list(tmp_path / name, rows, **top))
        page.wait_for_function("(n) => document.querySelector('.cln-error').textContent.includes(n)", arg=name)
        err = error_text(page)
        for w in words:
            assert w in err, (name, w, err)
        assert page.get_attribute(".cln", "data-phase") == "empty"
        assert "%" not in page.inner_text(".cln")


# ---------------------------------------------------------------- storage: full, two tabs, after a download

def fill_storage(page) -> int:
    return page.evaluate("""() => { let i = 0;
      for (let n = 1 << 20; n >= 1; n >>= 1) {
        const s = 'x'.repeat(n);
        for (;;) { try { localStorage.setItem('fill-' + i++, s); } catch { break; } }
      }
      return i; }""")


def free_storage(page):
    page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('fill-')).forEach((k) => localStorage.removeItem(k))")


def test_full_storage_says_what_is_saved_and_what_is_not(watched, site, tmp_path):
    files = ["black/a.jpg", "grizzly/b.jpg", "teddy/c.jpg"]
    tl = write_list(tmp_path / "top_losses.json", [row(f, loss=2 - i / 10) for i, f in enumerate(files)])
    page = open_cleaner(watched, site)
    open_list(page, tl)
    page.wait_for_selector(".cln[data-phase=list]")
    mark(page, files[0], "delete")
    assert page.get_attribute(".cln", "data-saved") == "yes"
    assert fill_storage(page) > 1
    mark(page, files[1], "keep")
    note = page.inner_text(".cln-savenote")
    assert "storage for the site is full" in note and "unknown reason" not in note
    assert "1 of your 2 marks is not saved" in note, note
    assert page.get_attribute(".cln", "data-saved") == "no"
    mark(page, files[2], "relabel", "teddy")
    note = page.inner_text(".cln-savenote")
    assert "storage for the site is full" in note and "2 of your 3 marks are not saved" in note, note
    # space again: the next mark saves everything
    free_storage(page)
    mark(page, files[2], "relabel", "grizzly")
    assert page.get_attribute(".cln", "data-saved") == "yes"
    page.reload()
    page.wait_for_selector(".cln[data-phase=list]")
    assert shown_marks(page) == {files[0]: "delete", files[1]: "keep", files[2]: "relabel:grizzly"}


def test_storage_full_from_the_start_stays_said_after_a_mark(watched, site, tmp_path):
    files = ["black/a.jpg", "grizzly/b.jpg"]
    tl = write_list(tmp_path / "top_losses.json", [row(f, loss=2 - i / 10) for i, f in enumerate(files)])
    page = open_cleaner(watched, site)
    assert fill_storage(page) > 1
    open_list(page, tl)
    page.wait_for_selector(".cln[data-phase=list]")
    assert "storage for the site is full" in page.inner_text(".cln-savenote")
    mark(page, files[0], "delete")
    note = page.inner_text(".cln-savenote")
    assert "storage for the site is full" in note and "unknown reason" not in note, note
    assert "your 1 mark is not saved" in note and "the list is not saved either" in note, note
    free_storage(page)


def test_two_tabs_on_the_same_list_merge_their_marks(watched, site, tmp_path):
    files = [f"black/{i}.jpg" for i in range(8)]
    tl = write_list(tmp_path / "top_losses.json", [row(f, loss=2 - i / 10) for i, f in enumerate(files)])
    a = open_cleaner(watched, site)
    open_list(a, tl)
    a.wait_for_selector(".cln[data-phase=list]")
    b = a.context.new_page()
    b.goto(a.url)
    b.wait_for_selector(".cln[data-phase=list]")  # the same list, restored from storage
    for f, act in zip(files[:3], ["keep", "delete", "keep"]):
        mark(a, f, act)
    mark(b, files[3], "delete")
    mark(b, files[4], "keep")
    # tab A hears of tab B's marks, and tab B kept tab A's when it saved
    a.wait_for_function("document.querySelector('.cln').dataset.marked === '5'", timeout=5000)
    assert b.get_attribute(".cln", "data-marked") == "5"
    assert "another tab" in a.inner_text(".cln-savenote")
    # the same photo marked in both: the later mark wins in both tabs; an unmark travels too
    mark(b, files[0], "delete")
    a.wait_for_function(f"document.querySelector('.cln-item[data-file=\"{files[0]}\"]').dataset.action === 'delete'", timeout=5000)
    mark(a, files[1], "delete")  # pressing a pressed button takes the mark back
    b.wait_for_function("document.querySelector('.cln').dataset.marked === '4'", timeout=5000)
    want = {files[0]: "delete", files[2]: "keep", files[3]: "delete", files[4]: "keep"}
    assert shown_marks(a) == want and shown_marks(b) == want
    a.reload()
    a.wait_for_selector(".cln[data-phase=list]")
    assert shown_marks(a) == want
    b.close()


def test_a_reload_right_after_a_download_keeps_the_marks_until_the_reader_forgets_them(watched, site, tmp_path):
    files = ["black/a.jpg", "grizzly/b.jpg", "teddy/c.jpg"]
    tl = write_list(tmp_path / "top_losses.json", [row(f, loss=2 - i / 10) for i, f in enumerate(files)])
    page = open_cleaner(watched, site)
    open_list(page, tl)
    page.wait_for_selector(".cln[data-phase=list]")
    mark(page, files[0], "delete")
    mark(page, files[1], "keep")
    download(page, "Download cleaned.csv", tmp_path / "cleaned.csv")
    # the save dialog may have been cancelled, the file lost: the marks stay until the reader says
    page.reload()
    page.wait_for_selector(".cln[data-phase=list]")
    assert shown_marks(page) == {files[0]: "delete", files[1]: "keep"}
    assert "already downloaded" in page.inner_text(".cln-status")
    page.locator(".cln-forget").click()
    assert saved_keys(page) == [] and page.get_attribute(".cln", "data-saved") == "cleared"
    assert shown_marks(page) == {files[0]: "delete", files[1]: "keep"}  # still on the page
    page.reload()
    page.wait_for_selector("[data-widget=cleaner][data-mounted=yes]")
    assert page.get_attribute(".cln", "data-phase") == "empty"


# ---------------------------------------------------------------- a huge list

def test_a_list_of_100000_photos_opens_marks_and_survives_a_reload(watched, site, tmp_path):
    n = 100_000
    rows = [row(f"{CLASSES[i % 3]}/photo_{i:06d}.jpg", CLASSES[i % 3], CLASSES[(i + 1) % 3], loss=round(5 - i / n, 6))
            for i in range(n)]
    tl = write_list(tmp_path / "top_losses.json", rows)
    page = open_cleaner(watched, site)
    t0 = page.evaluate("performance.now()")
    open_list(page, tl)
    page.wait_for_selector(".cln[data-phase=list]", timeout=30000)
    opened = page.evaluate("performance.now()") - t0
    assert page.get_attribute(".cln", "data-items") == str(n)
    assert opened < 15000, f"opening took {opened:.0f} ms"
    t0 = page.evaluate("performance.now()")
    for f in [r["file"] for r in rows[:5]]:
        mark(page, f, "delete")
    per_mark = (page.evaluate("performance.now()") - t0) / 5
    assert per_mark < 500, f"a mark took {per_mark:.0f} ms"
    assert marked(page) == "5" and page.get_attribute(".cln", "data-saved") == "yes"
    page.reload()
    page.wait_for_selector("[data-widget=cleaner][data-mounted=yes]")
    # whether or not the list itself fitted in storage, the reader is told how to get the marks back
    if page.get_attribute(".cln", "data-phase") == "empty":
        assert "open it again" in page.inner_text(".cln-status")
        open_list(page, tl)
        page.wait_for_selector(".cln[data-phase=list]", timeout=30000)
    assert marked(page) == "5"


# ---------------------------------------------------------------- names in any script, many classes

def test_names_show_as_they_are_and_every_class_has_a_button(watched, site, tmp_path):
    from training.bears.clean import read_decisions

    classes = ["שחור", "black", "grizzly", "teddy", "panda", "polar", "sun", "sloth", "spectacled", "moon", "koala", "\u202eevil"]
    files = ["שחור/דוב לבן.jpg", "black/\u202egpj.exe.jpg", "black/new\nline.jpg", "grizzly/ok.jpg"]
    rows = [row(f, "שחור" if f.startswith("שחור") else f.split("/")[0], "teddy", loss=2 - i / 10) for i, f in enumerate(files)]
    tl = write_list(tmp_path / "top_losses.json", rows, classes=classes)
    page = open_cleaner(watched, site)
    open_list(page, tl)
    page.wait_for_selector(".cln[data-phase=list]")
    shown = page.eval_on_selector_all(".cln-item", """els => els.map((li) => { const b = li.querySelector('.cln-name bdi');
      return { file: li.dataset.file, name: b.textContent, isolated: getComputedStyle(b).unicodeBidi,
               relabel: li.querySelectorAll('button[data-act=relabel]').length }; })""")
    assert [s["file"] for s in shown] == files
    assert [s["name"] for s in shown] == ["שחור/דוב לבן.jpg", "black/\\u202egpj.exe.jpg", "black/new\\u000aline.jpg", "grizzly/ok.jpg"]
    assert all(s["isolated"] == "isolate" and s["relabel"] == 12 for s in shown)
    assert "the other 3 classes by their buttons" in page.inner_text(".cln-keys")
    mark(page, files[0], "relabel", "koala")  # the eleventh class: no key, a button
    mark(page, files[1], "relabel", "\u202eevil")
    mark(page, files[2], "delete")
    download(page, "Download decisions.csv", tmp_path / "decisions.csv")
    assert read_decisions(tmp_path / "decisions.csv", classes) == {
        files[0]: ("relabel", "koala"), files[1]: ("relabel", "\u202eevil"), files[2]: ("delete", None)}
