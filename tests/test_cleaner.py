"""The data cleaner (docs/cleaner.md): the lesson's ImageCleaner in the browser.

- its DOM-free modules in Node: CSV quoting read back by Python's csv module and by
  training's load_items; matching opened paths (data folder, parent, label folder, plain
  selections) to the list's file names
- in headless Chromium on the built site, with real photos copied into tmp_path and a
  top-losses list made by the training code (training.bears.interpretation.top_losses) from the
  committed model's real predictions: open list + folder, mark by click and by keyboard,
  reload (marks and list come back, the page asks for the folder), export; cleaned.csv is
  read by training.bears.data.load_items and equals what `clean --decisions` writes from
  the exported decisions.csv; the marks stay saved until the reader presses Forget
- the committed example list with the real data folder: paging keeps at most one page of
  thumbnails alive, cleaned.csv lists exactly the data set, 375 px wide works
- a suspect ranking (suspects.json, the page's one-click example): most suspect first, its
  score and suggestion on each card, the suggested button outlined and taken with one key,
  and the exported decisions.csv applied by `train --decisions` (DataConfig.decisions)
- bad input (invalid JSON, the wrong JSON, a photo as the list, classes mismatch, an empty
  folder, no images, a corrupt JPEG, full storage) gets a clear message and loses nothing
- nothing is requested but the site's own files (the photos never leave the browser)
"""

from __future__ import annotations

import base64
import csv
import json
import shutil
from pathlib import Path

import pytest

from tests.support import ROOT, run_node_modules

WIDGET = ROOT / "site_widgets" / "cleaner"
MODELS = ROOT / "docs" / "assets" / "models"
EXAMPLE = ROOT / "docs" / "assets" / "reports" / "default" / "top_losses.json"
SUSPECTS = ROOT / "docs" / "assets" / "reports" / "default" / "suspects.json"  # the page's one-click list
CLASSES = ["black", "grizzly", "teddy"]
# Real photos: three the committed report lists as wrong predictions, two of the same name
# in two label folders (leoyoung_00000040.jpg), and ordinary ones.
PHOTOS = {
    "black": ["leoyoung_00000046.jpg", "poziki_00000065.jpg", "leoyoung_00000040.jpg", "yarjun_00000111.jpg"],
    "grizzly": ["leoyoung_00000040.jpg", "yarjun_00000013.jpg", "yarjun_00000088.jpg", "leoyoung_00000128.jpg"],
    "teddy": ["yarjun_00000013_jpeg.jpg", "poziki_00000124_jpeg.jpg", "leoyoung_00000001.jpg", "leoyoung_00000007.jpg"],
}


# ---------------------------------------------------------------- the modules, in Node

def node(script: str, payload=None) -> object:
    """Run an ES-module snippet with this widget's DOM-free modules imported (tests/support.py)."""
    return run_node_modules(WIDGET, ("csv", "match", "marks", "toplosses"), script, payload, timeout=60)


def test_csv_quoting_reads_back_in_python_and_in_load_items(tmp_path):
    from training.bears.data import load_items

    names = ["black/plain.jpg", "black/with,comma.jpg", 'teddy/say "hi".jpg', "grizzly/ünïcödé ß.jpg",
             "grizzly/semi;colon.jpg", "teddy/new\nline.jpg"]
    items = [{"file": f, "label": f.split("/")[0]} for f in names]
    marks = {names[0]: {"action": "delete"}, names[1]: {"action": "relabel", "label": "teddy"},
             names[2]: {"action": "keep"}}
    out = node("""
      const { items } = input;
      const m = new Map(Object.entries(input.marks));
      console.log(JSON.stringify({cleaned: csv.cleanedCsv(items, m), decisions: csv.decisionsCsv(items, m)}));
    """, {"items": items, "marks": marks})
    (tmp_path / "cleaned.csv").write_text(out["cleaned"], newline="")
    rows = list(csv.reader(open(tmp_path / "cleaned.csv", newline="")))
    want = sorted([[names[1], "teddy"], [names[2], "teddy"], [names[3], "grizzly"], [names[4], "grizzly"],
                   [names[5], "teddy"]])
    assert rows == [["file", "label"]] + want
    got = load_items(tmp_path / "cleaned.csv", tmp_path)
    assert [str(f.relative_to(tmp_path)) for f in got.files] == [f for f, _ in want]
    dec = list(csv.reader(out["decisions"].splitlines()))
    assert dec == [["file", "action", "label"], [names[0], "delete", ""], [names[1], "relabel", "teddy"],
                   [names[2], "keep", ""]]


TRICKY = ["=1+1", "'=1+1", "''=x", "'x", "'", "''", "-", "+1", "@a", "a=b", "'+", "=HYPERLINK(\"x\",\"y\")", "-1,2", "'@", "=\n="]


def test_spreadsheet_guard_reads_back_exactly_in_training(tmp_path):
    """Cells a spreadsheet would evaluate get one apostrophe; training's reader drops exactly it."""
    from training.bears.data import guard_cell, load_items, unguard_cell

    names = [f"black/{t}.jpg" for t in TRICKY] + [f"{t}.jpg" for t in TRICKY] + TRICKY
    labels = ["=cmd", "'=tick", "-minus", "black"]
    items = [{"file": f, "label": labels[i % 4]} for i, f in enumerate(names)]
    out = node("""
      console.log(JSON.stringify({ cleaned: csv.cleanedCsv(input, new Map()), cells: input.map((it) => csv.sheetSafe(it.file)) }));
    """, items)
    for c in [c for r in csv.reader(out["cleaned"].splitlines(keepends=True)) for c in r]:
        assert c[:1] not in ("=", "+", "-", "@", "\t", "\r"), c
    assert out["cells"] == [guard_cell(it["file"]) for it in items]  # one rule on both sides
    assert [unguard_cell(guard_cell(n)) for n in names] == names
    (tmp_path / "cleaned.csv").write_text(out["cleaned"], newline="")
    got = load_items(tmp_path / "cleaned.csv", tmp_path)
    want = sorted((it["file"], it["label"]) for it in items)
    assert sorted((str(f.relative_to(tmp_path)), lab) for f, lab in zip(got.files, got.labels)) == want


def test_matching_opened_paths_to_the_list():
    listed = ["black/a.jpg", "grizzly/a.jpg", "black/b.jpg", "teddy/c.jpg"]
    cases = {
        # the data folder "bears" picked: its name is stripped; a new photo in a label folder is an
        # extra, a photo beside the label folders and a CSV are not
        "data folder": [["bears/black/a.jpg", "bears/grizzly/a.jpg", "bears/black/b.jpg", "bears/teddy/c.jpg",
                         "bears/black/new.jpg", "bears/x.jpg", "bears/manifest.csv"], None],
        # a name the list has in another label folder is another photo, not a match
        "namesake": [["bears/teddy/c.jpg", "bears/grizzly/b.jpg"], None],
        # the parent picked, with an old copy beside the data folder: the copy is a duplicate
        "parent": [["data/bears/black/a.jpg", "data/old/black/a.jpg", "data/bears/teddy/c.jpg"], None],
        # one label folder picked
        "label folder": [["black/a.jpg", "black/z.png"], None],
        # a plain selection from black/ (one batch): "a.jpg" exists in two label folders, but its
        # batch's other name says black; in a second batch alone it stays ambiguous
        "plain": [["a.jpg", "b.jpg", "n.jpg", "a.jpg"], [1, 1, 1, 2]],
    }
    got = node("""
      const out = {};
      for (const [name, [paths, batches]] of Object.entries(input.cases)) {
        const r = match.matchFiles(input.listed, paths.map((path, i) => ({path, batch: batches ? batches[i] : 0})));
        out[name] = {matched: Object.fromEntries([...r.matched].map(([f, i]) => [f, paths[i]])),
                     extras: r.extras.map((x) => [x.file, x.label]), missing: r.missing, root: r.root,
                     nonImages: r.nonImages.map((i) => paths[i]), outside: r.outside.map((i) => paths[i]),
                     ambiguous: r.ambiguous.map((i) => paths[i]), duplicates: r.duplicates.map((i) => paths[i])};
      }
      console.log(JSON.stringify(out));
    """, {"listed": listed, "cases": cases})
    d = got["data folder"]
    assert d["root"] == "bears" and d["missing"] == [] and len(d["matched"]) == 4
    assert d["extras"] == [["black/new.jpg", "black"]]
    assert d["outside"] == ["bears/x.jpg"] and d["nonImages"] == ["bears/manifest.csv"]
    ns = got["namesake"]
    assert ns["matched"] == {"teddy/c.jpg": "bears/teddy/c.jpg"} and ns["extras"] == [["grizzly/b.jpg", "grizzly"]]
    p = got["parent"]
    assert p["root"] == "data/bears" and p["matched"]["black/a.jpg"] == "data/bears/black/a.jpg"
    assert p["duplicates"] == ["data/old/black/a.jpg"] and sorted(p["missing"]) == ["black/b.jpg", "grizzly/a.jpg"]
    lf = got["label folder"]
    assert lf["root"] == "" and lf["matched"] == {"black/a.jpg": "black/a.jpg"} and lf["extras"] == [["black/z.png", "black"]]
    pl = got["plain"]
    assert set(pl["matched"]) == {"black/a.jpg", "black/b.jpg"} and pl["extras"] == [["black/n.jpg", "black"]]
    assert pl["ambiguous"] == ["a.jpg"]


def test_the_list_reader_refuses_what_is_not_a_top_losses_list():
    report = (ROOT / "docs" / "assets" / "reports" / "default" / "report.json").read_text()
    example = EXAMPLE.read_text()
    mismatch = json.dumps({**json.loads(example), "classes": ["black", "grizzly"]})
    # older reports carry only "on" and "top_losses": the classes are read from the labels
    bare = json.dumps({k: v for k, v in json.loads(example).items() if k in ("on", "top_losses")})
    got = node("""
      const out = {};
      for (const [name, text] of Object.entries(input)) {
        try { const l = toplosses.parseTopLosses(text, name); out[name] = {ok: l.items.length, classes: l.classes, first: l.items[0].file}; }
        catch (e) { out[name] = {error: e.message}; }
      }
      console.log(JSON.stringify(out));
    """, {"example": example, "bare": bare, "report.json": report, "broken.json": example[:200], "empty.json": "",
          "mismatch.json": mismatch, "rows.json": json.dumps({"top_losses": [{"file": "a.jpg"}]}),
          "suspects.json": SUSPECTS.read_text()})
    ex = json.loads(example)
    assert got["example"] == {"ok": len(ex["top_losses"]), "classes": CLASSES, "first": ex["top_losses"][0]["file"]}
    assert got["bare"] == got["example"]
    assert "not a list of photos to review" in got["report.json"]["error"] and "kind" in got["report.json"]["error"]
    ranking = json.loads(SUSPECTS.read_text())["ranking"]
    assert got["suspects.json"] == {"ok": len(ranking), "classes": CLASSES, "first": ranking[0]["file"]}
    assert "not valid JSON" in got["broken.json"]["error"]
    assert "is empty" in got["empty.json"]["error"]
    assert "classes mismatch" in got["mismatch.json"]["error"] and "teddy" in got["mismatch.json"]["error"]
    assert 'entry 1: "label" must be a class name' in got["rows.json"]["error"]


# ---------------------------------------------------------------- test data, made in tmp_path

def make_top_losses(data: Path, out: Path) -> dict:
    """What `interpret --on all` writes for `data`, from the committed model's real predictions
    (ONNX Runtime here instead of PyTorch), through training's own top_losses()."""
    import torch

    from export.runtime import run_onnx, session
    from export.pixels import load_pixels
    from training.bears.data import data_root, items_from_folder, relative
    from training.bears.interpretation import top_losses

    m = json.loads((MODELS / "bears.json").read_text())
    v = m["variants"][m["default"]]
    items = items_from_folder(data)
    probs = run_onnx(session(MODELS / v["model"], config=v.get("session_config")), load_pixels(items.files, m["preprocess"]))
    logp = torch.log(torch.as_tensor(probs, dtype=torch.float64).clamp_min(1e-30)).float()
    targets = [m["labels"].index(lab) for lab in items.labels]
    rows = top_losses(logp, targets, [relative(f, data_root(data)) for f in items.files], m["labels"])
    res = {"on": "all", "data": str(data), "csv_root": None, "classes": m["labels"], "top_losses": rows}
    out.write_text(json.dumps(res, indent=1))
    return res


@pytest.fixture
def bears_copy(tmp_path, bears_dir):
    """tmp/bears/<label>/*.jpg (12 real photos) + its top-losses list; then, as if added after
    training: a new teddy photo, a corrupt JPEG, and a text file."""
    data = tmp_path / "bears"
    for lab, names in PHOTOS.items():
        (data / lab).mkdir(parents=True)
        for n in names:
            shutil.copy(bears_dir / lab / n, data / lab / n)
    tl = make_top_losses(data, tmp_path / "top_losses.json")
    shutil.copy(bears_dir / "teddy" / "leoyoung_00000018.jpg", data / "teddy" / "added_later.jpg")
    (data / "black" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 these bytes are not a JPEG " * 40)
    (data / "notes.txt").write_text("where the photos came from\n")
    return data, tmp_path / "top_losses.json", tl


# ---------------------------------------------------------------- browser helpers

def open_cleaner(watched, site, width=1200):
    page = watched.page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(site.url + "cleaner/")
    page.wait_for_selector("[data-widget=cleaner][data-mounted=yes]")
    return page


def open_list(page, path):
    page.set_input_files(".cln-json", str(path))


def open_folder(page, path):
    page.set_input_files(".cln-folder", str(path))
    page.wait_for_selector(".cln-report[data-found]")


def card(page, file):
    return page.locator(f'.cln-item[data-file="{file}"]')


def shown_marks(page) -> dict:
    # pairs, not an object: a file named "__proto__" would not survive as an object's key
    return dict(page.evaluate("""() => [...document.querySelectorAll('.cln-item')]
      .filter((li) => li.dataset.action !== 'none')
      .map((li) => [li.dataset.file, li.dataset.action === 'relabel' ? 'relabel:' + li.dataset.newLabel : li.dataset.action])"""))


def report(page) -> dict:
    return page.evaluate("() => ({...document.querySelector('.cln-report').dataset})")


def error_text(page) -> str:
    return page.evaluate("() => { const e = document.querySelector('.cln-error'); return e.hidden ? '' : e.textContent; }")


def download(page, button: str, dest: Path) -> str:
    with page.expect_download() as info:
        page.locator(".cln-export button", has_text=button).click()
    info.value.save_as(dest)
    assert info.value.suggested_filename == dest.name
    return dest.read_bytes().decode()  # exactly, line endings included


def saved_keys(page) -> list[str]:
    return page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('lesson2-cleaner/'))")


def only_own_requests(watched, site):
    foreign = [u for u in watched.requests if not u.startswith(site.url) and not u.startswith(("blob:", "data:"))]
    assert foreign == [], f"requests other than the site's own files: {foreign}"


# ---------------------------------------------------------------- the whole round trip

def test_mark_reload_export_and_training_reads_it(watched, site, bears_copy, tmp_path):
    from training.bears.clean import CleanConfig, clean, read_decisions
    from training.bears.data import load_items, verify

    data, tl_path, tl = bears_copy
    listed = [t["file"] for t in tl["top_losses"]]  # worst first
    page = open_cleaner(watched, site)
    assert page.get_attribute(".cln", "data-phase") == "empty"

    open_list(page, tl_path)
    page.wait_for_selector(".cln[data-phase=list]")
    assert "12 photos (the whole data set)" in page.inner_text(".cln-listinfo")
    open_folder(page, data)
    assert report(page) == {"found": "12", "missing": "0", "extra": "2", "outside": "0", "nonImages": "1", "ambiguous": "0"}
    assert "Found 12 of the 12 listed photos" in page.inner_text(".cln-report")
    assert "1 file that is not an image, ignored (bears/notes.txt)" in page.inner_text(".cln-report")
    # worst first, then the two photos the list does not name
    order = page.eval_on_selector_all(".cln-item", "els => els.map((e) => e.dataset.file)")
    assert order == listed + ["black/broken.jpg", "teddy/added_later.jpg"]
    page.wait_for_selector(f'.cln-item[data-file="{listed[0]}"] img[data-photo=shown]')
    wrong = sum(t["pred"] != t["label"] for t in tl["top_losses"])
    assert f"Wrong predictions ({wrong})" in page.inner_text(".cln-filter")

    def other(file, n=0):
        label = next(t["label"] for t in tl["top_losses"] if t["file"] == file)
        return [c for c in CLASSES if c != label][n]

    # by click: delete the worst, relabel the second (buttons show it pressed)
    card(page, listed[0]).locator("button[data-act=delete]").click()
    target1 = other(listed[1])
    card(page, listed[1]).locator(f'button[data-label="{target1}"]').click()
    assert card(page, listed[1]).locator(f'button[data-label="{target1}"]').get_attribute("aria-pressed") == "true"
    assert card(page, listed[0]).locator("button[data-act=delete]").get_attribute("aria-pressed") == "true"
    assert card(page, listed[0]).locator("button[data-act=keep]").get_attribute("aria-pressed") == "false"
    # by keyboard: k on the third, a class number on the fourth; the focus moves on after each
    card(page, listed[2]).focus()
    page.keyboard.press("k")
    assert page.evaluate("document.activeElement.dataset.file") == listed[3]
    target3 = other(listed[3], 1)
    page.keyboard.press(str(CLASSES.index(target3) + 1))
    assert page.evaluate("document.activeElement.dataset.file") == listed[4]
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.file") == listed[5]
    page.keyboard.press("ArrowLeft")
    # a mark taken back: click a pressed button again, or press u
    page.keyboard.press("d")
    card(page, listed[4]).locator("button[data-act=delete]").click()
    assert card(page, listed[4]).get_attribute("data-action") == "none"
    card(page, listed[5]).focus()
    page.keyboard.press("3")
    card(page, listed[5]).focus()
    page.keyboard.press("u")
    assert card(page, listed[5]).get_attribute("data-action") == "none"
    # up and down follow the grid's columns
    x = card(page, listed[5]).bounding_box()["x"]
    page.keyboard.press("ArrowDown")
    below = page.evaluate("document.activeElement.dataset.file")
    assert listed.index(below) > 6 and card(page, below).bounding_box()["x"] == x
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.dataset.file") == listed[5]
    # the corrupt JPEG: a clear placeholder, and it can still be marked
    broken = card(page, "black/broken.jpg")
    broken.scroll_into_view_if_needed()
    page.wait_for_selector('.cln-item[data-file="black/broken.jpg"] [data-photo=broken]')
    assert "Could not decode this image" in broken.inner_text()
    broken.focus()
    page.keyboard.press("d")
    want_marks = {listed[0]: "delete", listed[1]: f"relabel:{target1}", listed[2]: "keep",
                  listed[3]: f"relabel:{target3}", "black/broken.jpg": "delete"}
    assert shown_marks(page) == want_marks
    assert page.inner_text(".cln-progress").startswith("5 of 14 marked (1 keep, 2 delete, 2 relabel)")
    assert page.get_attribute(".cln", "data-saved") == "yes"

    # a reload: the list, the extras and the marks come back; the photos need the folder again
    page.reload()
    page.wait_for_selector("[data-widget=cleaner][data-mounted=yes]")
    status = page.inner_text(".cln-status")
    assert "Restored from this browser's storage" in status and "5 marks" in status
    assert "Open the photo folder again" in status
    assert page.get_attribute(".cln", "data-items") == "14"
    assert shown_marks(page) == want_marks
    assert "Open the photo folder again to see this photo." in card(page, listed[0]).inner_text()
    open_folder(page, data)
    card(page, listed[0]).scroll_into_view_if_needed()  # thumbnails load lazily; a reload may keep the scroll
    page.wait_for_selector(f'.cln-item[data-file="{listed[0]}"] img[data-photo=shown]')
    assert shown_marks(page) == want_marks

    # export cleaned.csv: every photo, minus deletions, relabels applied, paths relative to the data folder
    text = download(page, "Download cleaned.csv", tmp_path / "cleaned.csv")
    labels = {t["file"]: t["label"] for t in tl["top_losses"]} | {"teddy/added_later.jpg": "teddy"}
    labels.update({listed[1]: target1, listed[3]: target3})
    for f in (listed[0],):
        del labels[f]
    want_rows = sorted(labels.items())
    assert text == "file,label\r\n" + "".join(f"{f},{lab}\r\n" for f, lab in want_rows)
    # the marks stay saved (the download may have gone wrong) until the reader forgets them
    assert "the marks stay saved in case the download went wrong" in page.inner_text(".cln-savenote")
    assert page.get_attribute(".cln", "data-saved") == "yes" and saved_keys(page) != []
    assert shown_marks(page) == want_marks
    # the command the page gives is the one that works
    assert f"--csv_root={data}" in page.inner_text(".cln-howto")
    items = load_items(tmp_path / "cleaned.csv", data)
    assert [(str(f.relative_to(data)), lab) for f, lab in zip(items.files, items.labels)] == want_rows
    assert verify(items).skipped == []  # every row a real, decodable photo

    # decisions.csv: what `clean --decisions` reads; its cleaned.csv has the same photos and labels
    # (clean keeps photos it was not told about, so the corrupt one is in it: the only difference)
    download(page, "Download decisions.csv", tmp_path / "decisions.csv")
    assert "1 mark on photos outside the list is only in cleaned.csv" in page.inner_text(".cln-exportnote")
    assert read_decisions(tmp_path / "decisions.csv", CLASSES) == {
        listed[0]: ("delete", None), listed[1]: ("relabel", target1), listed[2]: ("keep", None),
        listed[3]: ("relabel", target3)}
    log = clean(CleanConfig(top_losses=str(tl_path), decisions=str(tmp_path / "decisions.csv"),
                            out=str(tmp_path / "by_clean" / "cleaned.csv")))
    theirs = load_items(log["cleaned_csv"])
    theirs = {(str(f.resolve().relative_to(data.resolve())), lab) for f, lab in zip(theirs.files, theirs.labels)}
    assert theirs - {("black/broken.jpg", "black")} == set(want_rows)

    # once the reader forgets the saved marks, a reload has nothing to restore
    page.locator(".cln-forget").click()
    assert page.get_attribute(".cln", "data-saved") == "cleared" and saved_keys(page) == []
    page.reload()
    page.wait_for_selector("[data-widget=cleaner][data-mounted=yes]")
    assert page.get_attribute(".cln", "data-phase") == "empty"
    assert "Restored" not in page.inner_text(".cln-status")
    assert page.locator(".cln-item").count() == 0 and saved_keys(page) == []
    only_own_requests(watched, site)


# ---------------------------------------------------------------- the committed example, the real folder

def test_example_list_with_the_real_folder_pages_and_exports_the_data_set(watched, site, bears_dir, tmp_path):
    from training.bears.data import items_from_folder, load_items

    example = json.loads(EXAMPLE.read_text())
    n_listed = len(example["top_losses"])
    page = open_cleaner(watched, site, width=375)
    open_list(page, EXAMPLE)
    page.wait_for_selector(".cln[data-phase=list]")
    info = page.inner_text(".cln-listinfo")
    assert f"{n_listed} photos (the validation split only)" in info
    assert ("read from the labels" in info) == ("classes" not in example)
    assert f"--csv_root={example['data']}" in page.inner_text(".cln-howto")
    # a validation list alone cannot make cleaned.csv for the whole data set: refused, with the reason
    page.locator(".cln-export button", has_text="Download cleaned.csv").click()
    assert "only the validation split" in error_text(page)

    open_folder(page, bears_dir)
    everything = items_from_folder(bears_dir)
    rep = report(page)
    assert rep["found"] == str(n_listed) and rep["missing"] == "0"
    assert int(rep["extra"]) == len(everything) - n_listed and rep["nonImages"] == "1"  # manifest.csv
    assert page.get_attribute(".cln", "data-items") == str(len(everything))

    # one page of photos at a time; turning the page revokes the old page's object URLs
    page.wait_for_selector(".cln-item img[data-photo=shown]")
    assert page.locator(".cln-item").count() == 24
    first_urls = page.eval_on_selector_all(".cln-item img", "els => els.map((e) => e.src)")
    assert len(first_urls) == 24 and int(page.get_attribute(".cln", "data-live-urls")) == 24
    page.locator(".cln-pager").first.locator("button", has_text="Next page").click()
    assert "Page 2 of" in page.inner_text(".cln-pageinfo >> nth=0")
    assert int(page.get_attribute(".cln", "data-live-urls")) <= 24
    # fetching a revoked URL fails, and Chromium logs each failure: exactly these are expected
    watched.allow_console_error(r"^Failed to load resource: net::ERR_FILE_NOT_FOUND$")
    errors_before = len(watched.console_errors)
    still = page.evaluate("""async (urls) => { let ok = 0;
      for (const u of urls) { try { await (await fetch(u)).blob(); ok++; } catch { } } return ok; }""", first_urls)
    assert still == 0, f"{still} thumbnails of the previous page are still alive"
    assert len(watched.console_errors) - errors_before <= len(first_urls)
    # keyboard across pages: PageDown, then focus on the first photo of page 3
    page.locator(".cln-item").first.focus()
    page.keyboard.press("PageDown")
    assert "Page 3 of" in page.inner_text(".cln-pageinfo >> nth=0")
    assert page.evaluate("document.activeElement.classList.contains('cln-item')")

    # 375 px wide: nothing sticks out, one column
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    boxes = page.eval_on_selector_all(".cln-item", "els => els.slice(0, 2).map((e) => e.getBoundingClientRect().left)")
    assert boxes[0] == boxes[1]

    # no marks: cleaned.csv is exactly the data set, as training reads the folder
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    text = download(page, "Download cleaned.csv", tmp_path / "cleaned.csv")
    assert "come from the opened folder" in page.inner_text(".cln-exportnote")
    items = load_items(tmp_path / "cleaned.csv", bears_dir)
    assert sorted(zip(map(str, items.files), items.labels)) == sorted(zip(map(str, everything.files), everything.labels))
    assert text.count("\r\n") == len(everything) + 1
    only_own_requests(watched, site)


def test_plain_selections_and_a_drop_find_the_photos(watched, site, bears_copy):
    data, tl_path, tl = bears_copy
    page = open_cleaner(watched, site)
    # photos first, then the list: the photos wait for it
    page.set_input_files(".cln-photos", sorted(str(p) for p in (data / "black").glob("*.jpg")))
    assert "Now open the list" in page.inner_text(".cln-report")
    open_list(page, tl_path)
    page.wait_for_selector(".cln-report[data-found]")
    # black/leoyoung_00000040.jpg also exists in grizzly/: the selection's other names place it
    assert report(page)["found"] == "4" and report(page)["ambiguous"] == "0" and report(page)["extra"] == "1"
    assert card(page, "black/leoyoung_00000040.jpg").locator("img").count() == 1
    page.set_input_files(".cln-photos", sorted(str(p) for p in (data / "grizzly").glob("*.jpg")))
    page.wait_for_function("document.querySelector('.cln-report').dataset.found === '8'")
    assert report(page)["missing"] == "4"
    # a drop of the teddy photos (no folder entries: plain files)
    files = [{"name": p.name, "b64": base64.b64encode(p.read_bytes()).decode()} for p in sorted((data / "teddy").glob("*.jpg"))]
    page.evaluate("""(files) => {
      const dt = new DataTransfer();
      for (const f of files) {
        const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bytes], f.name, {type: 'image/jpeg'}));
      }
      document.querySelector('.cln-open').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""", files)
    page.wait_for_function("document.querySelector('.cln-report').dataset.found === '12'")
    assert report(page)["missing"] == "0" and report(page)["extra"] == "2"  # broken.jpg, added_later.jpg
    only_own_requests(watched, site)


# ---------------------------------------------------------------- bad input

def test_bad_input_gets_a_clear_message_and_loses_nothing(watched, site, bears_copy, tmp_path):
    data, tl_path, tl = bears_copy
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "top_losses.json").write_text('{"on": "all", "top_losses": [')
    (bad / "notes.txt").write_text("not a photo\n")
    mismatch = bad / "mismatch.json"
    mismatch.write_text(json.dumps({**tl, "classes": ["black", "grizzly"]}))
    (bad / "empty").mkdir()
    (bad / "texts").mkdir()
    (bad / "texts" / "a.txt").write_text("a")
    (bad / "texts" / "b.csv").write_text("file,label\n")
    panda = tmp_path / "panda_bears"
    shutil.copytree(data, panda)
    (panda / "panda").mkdir()
    shutil.copy(data / "black" / PHOTOS["black"][0], panda / "panda" / "p1.jpg")

    page = open_cleaner(watched, site)
    for path, message in [
        (bad / "top_losses.json", "is not valid JSON"),
        (ROOT / "docs" / "assets" / "reports" / "default" / "report.json", "is JSON but not a list of photos to review"),
        (data / "black" / PHOTOS["black"][0], "is a photo, not the list"),
        (bad / "notes.txt", "is not valid JSON"),
        (mismatch, "classes mismatch"),
    ]:
        open_list(page, path)
        page.wait_for_function("(m) => document.querySelector('.cln-error').textContent.includes(m)", arg=message)
        assert page.get_attribute(".cln", "data-phase") == "empty"

    open_list(page, tl_path)
    page.wait_for_selector(".cln[data-phase=list]")
    assert error_text(page) == ""
    card(page, tl["top_losses"][0]["file"]).locator("button[data-act=delete]").click()
    open_folder(page, data)
    found_before = report(page)
    for folder, message in [(bad / "empty", "is empty"), (bad / "texts", "No photos in the folder")]:
        try:
            page.set_input_files(".cln-folder", str(folder))
        except Exception as err:  # Playwright may refuse an empty folder itself
            assert folder.name == "empty", err
            continue
        page.wait_for_function("(m) => document.querySelector('.cln-error').textContent.includes(m)", arg=message)
        assert report(page) == found_before  # the opened photos are still there
    page.set_input_files(".cln-photos", str(bad / "notes.txt"))
    page.wait_for_function("document.querySelector('.cln-error').textContent.includes('none of them an image')")
    assert report(page) == found_before and page.get_attribute(".cln", "data-marked") == "1"

    # a label folder that is not one of the classes: said, and its photo can be relabelled
    open_folder(page, panda)
    page.wait_for_function("document.querySelector('.cln-report').textContent.includes('classes mismatch')")
    assert "folder “panda”" in page.inner_text(".cln-report")
    card(page, "panda/p1.jpg").locator('button[data-label="black"]').click()
    assert card(page, "panda/p1.jpg").get_attribute("data-action") == "relabel"
    only_own_requests(watched, site)


def test_full_storage_is_said_and_the_page_keeps_working(watched, site, bears_copy, tmp_path):
    data, tl_path, tl = bears_copy
    page = open_cleaner(watched, site)
    filled = page.evaluate("""() => { let i = 0;
      for (let n = 1 << 20; n >= 1; n >>= 1) {
        const s = 'x'.repeat(n);
        for (;;) { try { localStorage.setItem('fill-' + i++, s); } catch { break; } }
      }
      return i; }""")
    assert filled > 1
    open_list(page, tl_path)
    page.wait_for_selector(".cln[data-phase=list]")
    note = page.inner_text(".cln-savenote")
    assert "cannot be saved" in note and "storage for the site is full" in note
    assert page.get_attribute(".cln", "data-saved") == "no"
    open_folder(page, data)
    first = tl["top_losses"][0]["file"]
    card(page, first).focus()
    page.keyboard.press("d")
    assert card(page, first).get_attribute("data-action") == "delete"
    text = download(page, "Download cleaned.csv", tmp_path / "cleaned.csv")
    assert f"\r\n{first}," not in text and text.count("\r\n") == 1 + 14 - 1
    page.evaluate("localStorage.clear()")


def test_the_sites_own_example_list_opens_with_one_click(watched, site):
    """Readers without a trained model can try the cleaner on the published suspect ranking of every photo."""
    ranking = json.loads(SUSPECTS.read_text())["ranking"]
    page = open_cleaner(watched, site)
    page.locator(".cln-example").click()
    page.wait_for_selector(".cln[data-phase=list]")
    info = page.inner_text(".cln-listinfo")
    changes = sum(r["suggested"] != r["label"] for r in ranking)
    assert f"“suspects.json”: {len(ranking)} photos (the whole data set), ranked most suspect first, {changes} suggested changes" in info
    first = page.eval_on_selector_all(".cln-item", "els => els.map((e) => e.dataset.file)")[0]
    assert first == ranking[0]["file"]  # most suspect first
    assert f"score {ranking[0]['score']:.2f}" in card(page, first).inner_text()


def test_the_example_list_unreachable_says_so(watched, site):
    page = open_cleaner(watched, site)
    page.route("**/reports/default/suspects.json", lambda route: route.abort())
    watched.allow_console_error("Failed to load resource")  # the aborted request, as the browser logs it
    page.locator(".cln-example").click()
    page.wait_for_selector(".cln-error:not([hidden])")  # the fetch fails after the click returns
    assert "Could not load the example list" in error_text(page)
    assert page.get_attribute(".cln", "data-phase") == "empty"


def test_a_suspect_list_shows_its_suggestions_and_training_applies_its_decisions(watched, site, bears_dir, tmp_path):
    """The published ranking's rows for a few real photos copied to tmp, plus a puppy from the teddy folder."""
    from training.bears.data import DataConfig, prepare, read_decisions
    from tests.support import copy_photos

    data = copy_photos(bears_dir, tmp_path / "bears", 3)
    dog = "teddy/leoyoung_00000098.jpg"  # a puppy: the ranking suggests deleting it
    shutil.copy(bears_dir / dog, data / dog)
    published = json.loads(SUSPECTS.read_text())
    here = {str(p.relative_to(data)) for p in data.rglob("*.jpg")}
    ranking = [r for r in published["ranking"] if r["file"] in here]
    assert len(ranking) == 10 and next(r for r in ranking if r["file"] == dog)["suggested"] == "delete"
    tl = tmp_path / "suspects.json"
    tl.write_text(json.dumps({**published, "data": str(data), "ranking": ranking[::-1]}))  # any order: sorted by score

    page = open_cleaner(watched, site)
    open_list(page, tl)
    page.wait_for_selector(".cln[data-phase=list]")
    open_folder(page, data)
    assert report(page)["found"] == "10" and report(page)["extra"] == "0"
    order = page.eval_on_selector_all(".cln-item", "els => els.map((e) => e.dataset.file)")
    assert order == [r["file"] for r in ranking]
    changes = [r for r in ranking if r["suggested"] != r["label"]]
    assert f"Suggested changes ({len(changes)})" in page.inner_text(".cln-filter")
    assert "a accepts the suggestion" in page.inner_text(".cln-keys")
    puppy = card(page, dog)
    assert "suggested delete" in puppy.inner_text() and "ImageNet: " in puppy.inner_text()
    assert puppy.locator("button[data-suggested=true]").get_attribute("data-act") == "delete"
    assert "(suggested)" in puppy.locator("button[data-act=delete]").get_attribute("aria-label")
    # a takes the suggestion: delete for the puppy, keep where the suggestion is the photo's own label
    puppy.focus()
    page.keyboard.press("a")
    keep = next(r["file"] for r in ranking if r["suggested"] == r["label"])
    card(page, keep).focus()
    page.keyboard.press("a")
    assert shown_marks(page) == {dog: "delete", keep: "keep"}
    # decisions.csv goes straight into training, which drops the puppy
    assert "--decisions" in page.inner_text(".cln-howto")
    download(page, "Download decisions.csv", tmp_path / "decisions.csv")
    assert read_decisions(tmp_path / "decisions.csv") == {dog: ("delete", None), keep: ("keep", None)}
    items, _, _ = prepare(DataConfig(data=str(data), decisions=str(tmp_path / "decisions.csv")))
    assert sorted(str(f.relative_to(data)) for f in items.files) == sorted(here - {dog})
    assert items.decided["n_deleted"] == 1
    only_own_requests(watched, site)
