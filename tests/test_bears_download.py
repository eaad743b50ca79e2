"""The downloader against a real local HTTP server (127.0.0.1) that misbehaves in every way
the web does: broken, truncated, empty and HTML-instead-of-image files, 404s, slow and
trickling responses, redirects, flaky 503s, duplicates. Plus the real URL-list formats."""

from __future__ import annotations

import http.server
import io
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from training.bears.download import (DownloadConfig, collect_lists, download, label_from_name, read_url_list,
                                     url_key)
from training.bears.images import open_image


def jpeg(seed: int, size=(96, 64), fmt="JPEG") -> bytes:
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, fmt)
    return buf.getvalue()


class Server:
    """Routes: path -> (status, headers, body) or a callable(handler). Logs every hit."""

    def __init__(self):
        self.routes: dict = {}
        self.hits: list[str] = []
        self.counts: dict[str, int] = {}
        srv = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                srv.hits.append(self.path)
                srv.counts[self.path] = srv.counts.get(self.path, 0) + 1
                route = srv.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                if callable(route):
                    route(self, srv.counts[self.path])
                    return
                status, headers, body = route
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # shutdown() waits for serve_forever to look at its flag: every 0.5 s by default, 0.5 s per test
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def image(self, path, body, ctype="image/jpeg"):
        self.routes[path] = (200, {"Content-Type": ctype}, body)


def slow(handler, n):
    time.sleep(2.0)  # longer than the client's timeout
    try:
        handler.send_response(200)
        handler.end_headers()
        handler.wfile.write(jpeg(99))
    except OSError:
        pass


def trickle(handler, n):
    body = jpeg(98, size=(300, 300))
    handler.send_response(200)
    handler.send_header("Content-Type", "image/jpeg")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    try:
        for i in range(0, len(body), 200):  # each read is quick, the whole takes seconds
            handler.wfile.write(body[i:i + 200])
            handler.wfile.flush()
            time.sleep(0.1)
    except OSError:
        pass


def flaky(handler, n):
    if n == 1:
        handler.send_error(503)
        return
    body = jpeg(7)
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@pytest.fixture
def server():
    s = Server()
    good = [jpeg(i) for i in range(5)]
    for i, b in enumerate(good):
        s.image(f"/img/good{i}.jpg", b)
    s.image("/img/photo.png", jpeg(11, fmt="PNG"), "image/png")
    s.image("/img/big.jpg", jpeg(12, size=(800, 400)))
    s.image("/img/dup.jpg", good[0])  # same bytes as good0, another URL
    s.image("/img/broken.jpg", b"\xff\xd8\xff\xe0" + bytes(np.random.default_rng(5).integers(0, 255, 3000, dtype=np.uint8)))
    s.image("/img/html.jpg", b"<!DOCTYPE html><html><body>Sign in to see this image</body></html>", "text/html")
    s.image("/img/zero.jpg", b"")
    s.image("/img/trunc.jpg", jpeg(13, size=(200, 200))[:1500])
    s.routes["/img/redirect"] = (302, {"Location": "/img/target.jpg"}, b"")
    s.image("/img/target.jpg", jpeg(14))
    s.routes["/img/slow.jpg"] = slow
    s.routes["/img/trickle.jpg"] = trickle
    s.routes["/img/flaky.jpg"] = flaky
    s.routes["/img/gone.jpg"] = (410, {}, b"gone")
    yield s
    s.httpd.shutdown()


def write_list(path: Path, urls: list[str]) -> Path:
    path.write_text("\n".join(urls) + "\n")
    return path


def cfg(tmp_path, lists, **kw) -> DownloadConfig:
    base = dict(urls=[str(p) for p in lists], out=str(tmp_path / "out"), timeout=0.6, retries=1, backoff=0.05,
                workers=6, progress=False)
    return DownloadConfig(**{**base, **kw})


def test_download_keeps_only_real_unique_images_and_says_why(tmp_path, server, capsys):
    u = server.url + "/img/"
    grizzly = write_list(tmp_path / "urls_grizzly.txt", [
        u + "good0.jpg", u + "good1.jpg", u + "photo.png", u + "broken.jpg", u + "html.jpg", u + "zero.jpg",
        u + "trunc.jpg", u + "missing.jpg", u + "gone.jpg", u + "slow.jpg", u + "trickle.jpg", u + "redirect",
        u + "dup.jpg", u + "flaky.jpg", "", u + "good1.jpg"])  # a blank line and a repeated URL
    teddy = write_list(tmp_path / "urls_teddy.csv", [u + "good2.jpg", u + "good0.jpg"])  # good0 again: cross-label dup
    rep = download(cfg(tmp_path, [grizzly, teddy]))
    out = tmp_path / "out"
    g, t = rep["summary"]["grizzly"], rep["summary"]["teddy"]
    assert g["urls"] == 14  # blank and repeated lines dropped
    assert g["fetched"] == 5  # good0, good1, photo.png, redirect -> target, flaky (after a retry)
    reasons = {r["url"].rsplit("/", 1)[1]: r["reason"] for r in rep["failures"]}
    assert reasons["broken.jpg"] in ("not an image", "broken image")
    assert reasons["html.jpg"] == "HTML/text instead of an image"
    assert reasons["zero.jpg"] == "empty (0 bytes)"
    assert reasons["trunc.jpg"] == "truncated image"
    assert reasons["missing.jpg"] == "HTTP 404"
    assert reasons["gone.jpg"] == "HTTP 410"
    assert reasons["slow.jpg"] == "timeout after 2 tries"
    assert reasons["trickle.jpg"] == "timeout after 2 tries"
    assert reasons["dup.jpg"].startswith("duplicate of grizzly/")
    # the cross-label duplicate lost to whichever copy was claimed first, and only one survives
    assert t["fetched"] + g["fetched"] == 6 and t["failed"] == 2 - t["fetched"]
    assert g["failed"] == 9
    assert server.counts["/img/missing.jpg"] == 1  # 404 is not retried
    assert server.counts["/img/flaky.jpg"] == 2  # 503 is
    # On disk: only decodable images, named by URL hash, PNG kept as PNG, nothing half-written.
    files = sorted(p for p in out.rglob("*") if p.is_file() and not p.name.startswith((".", "download_")))
    assert len(files) == 6 and not list(out.rglob("*.part"))
    for f in files:
        open_image(f)
    assert (out / "grizzly" / (url_key(u + "photo.png") + ".png")).exists()
    assert (out / "grizzly" / (url_key(u + "redirect") + ".jpg")).exists()
    printed = capsys.readouterr().out
    assert "grizzly" in printed and "HTTP 404: 1" in printed and "timeout after 2 tries: 2" in printed
    assert (out / "download_report.json").exists()


def test_download_resumes_without_refetching(tmp_path, server):
    u = server.url + "/img/"
    lst = write_list(tmp_path / "urls_black.txt", [u + f"good{i}.jpg" for i in range(3)] + [u + "missing.jpg"])
    first = download(cfg(tmp_path, [lst]))
    assert first["summary"]["black"]["fetched"] == 3
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "out" / "black").iterdir()}
    server.hits.clear()
    # a stale half-written file from a crash must not count as downloaded
    (tmp_path / "out" / "black" / "deadbeef.part").write_bytes(b"\xff\xd8")
    lst2 = write_list(tmp_path / "urls_black.txt", [u + f"good{i}.jpg" for i in range(4)] + [u + "missing.jpg"])
    second = download(cfg(tmp_path, [lst2]))
    s = second["summary"]["black"]
    assert (s["skipped"], s["fetched"], s["failed"]) == (3, 1, 1)
    assert sorted(server.hits) == ["/img/good3.jpg", "/img/missing.jpg"]
    after = {p: p.stat().st_mtime_ns for p in (tmp_path / "out" / "black").iterdir()}
    assert all(after[p] == m for p, m in before.items())
    assert not list((tmp_path / "out").rglob("*.part"))


def test_duplicates_of_earlier_runs_are_dropped(tmp_path, server):
    u = server.url + "/img/"
    download(cfg(tmp_path, [write_list(tmp_path / "urls_a.txt", [u + "good0.jpg"])]))
    rep = download(cfg(tmp_path, [write_list(tmp_path / "urls_b.txt", [u + "dup.jpg"])]))
    assert rep["failures"][0]["reason"].startswith("duplicate of a/")


def test_cap_per_label_and_resize(tmp_path, server):
    u = server.url + "/img/"
    lst = write_list(tmp_path / "urls_grizzly.txt", [u + "big.jpg", u + "missing.jpg"] + [u + f"good{i}.jpg" for i in range(5)])
    rep = download(cfg(tmp_path, [lst], per_label=3, max_side=256))
    s = rep["summary"]["grizzly"]
    assert s["images"] == 3 and s["fetched"] == 3 and s["capped"] == 3  # 7 URLs: 3 kept, 1 failed, 3 never tried
    assert "/img/good4.jpg" not in server.hits
    big = open_image(tmp_path / "out" / "grizzly" / (url_key(u + "big.jpg") + ".jpg"))
    assert max(big.size) == 256 and big.size == (256, 128)


def test_real_url_lists_parse(urls_dir):
    lists = collect_lists([str(d) for d in sorted(urls_dir.iterdir()) if d.is_dir()])
    assert {"grizzly", "black", "teddys", "grizzlybear", "blackbear", "teddybear"} <= set(lists)
    total = 0
    for files in lists.values():
        for f in files:
            urls, rejected = read_url_list(f)
            lines = [x.strip() for x in f.read_text().splitlines() if x.strip()]
            http_lines = list(dict.fromkeys(x for x in lines if x.startswith("http")))
            assert urls == http_lines  # every URL line, whole (commas inside URLs stay), in order, once
            assert rejected == [x for x in lines if not x.startswith("http")]
            total += len(urls)
    assert total > 2000
    # the CSV lists hold URLs with commas in them: they must not be cut there
    assert any("," in u for f in lists["grizzly"] for u in read_url_list(f)[0])


def test_list_names_and_explicit_labels(tmp_path):
    assert label_from_name(Path("urls_grizzly.txt")) == "grizzly"
    assert label_from_name(Path("teddybear.txt")) == "teddybear"
    f = write_list(tmp_path / "x.csv", ["file,url", "a.jpg,https://e.com/a.jpg", '"b.jpg","https://e.com/b,c.jpg"', "nope"])
    assert read_url_list(f) == (["https://e.com/a.jpg", "https://e.com/b,c.jpg"], ["file,url", "nope"])
    assert collect_lists([f"teddy={f}"]) == {"teddy": [f]}
    with pytest.raises(FileNotFoundError):
        collect_lists([str(tmp_path / "nope.txt")])


def test_download_through_the_cli(tmp_path, server, capsys):
    from training.bears.cli import main

    u = server.url + "/img/"
    lst = write_list(tmp_path / "teddybear.txt", [u + "good0.jpg", u + "zero.jpg"])
    rc = main(["download", f"teddy={lst}", "--out", str(tmp_path / "out"), "--timeout", "1", "--retries", "0",
               "--no-progress"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "teddy" in out and "empty (0 bytes): 1" in out
    assert len(list((tmp_path / "out" / "teddy").iterdir())) == 1
    assert main(["download", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "out")]) == 2
    assert "no URL list at" in capsys.readouterr().err
