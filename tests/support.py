"""Test helpers shared by the suite: a static server that behaves like GitHub
Pages (sub-path, gzip, no COOP/COEP), Chromium launch flags, Pyodide-in-Node."""

from __future__ import annotations

import gzip
import http.server
import json
import mimetypes
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from training.paths import ROOT  # noqa: F401  (the repository; tests import it from here)

SUBPATH = "/lesson2/"  # GitHub Pages serves project sites from /<repo>/

CHROMIUM = os.environ.get("LESSON2_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

# What site_widgets/offline/sw.js adds to pages and worker scripts from a reader's second visit on:
# with it a page is cross-origin isolated and onnxruntime-web gets several threads.
ISOLATION = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"}
# site_widgets/offline/isolate.js's sessionStorage mark: this tab has made its one full load toward isolation.
ISOLATION_TRIED = "lesson2:isolation-tried"


def instant_navigation_only(context):
    """Mark every page of `context` as having made the one full load toward isolation (isolate.js),
    so its links stay instant navigations whenever the site's worker turns active: tests of what
    instant navigation does must not turn into full loads depending on how fast the worker saved
    the site. test_site_offline.py tests the full load itself. -> context."""
    context.add_init_script(f"try {{ sessionStorage.setItem('{ISOLATION_TRIED}', '1'); }} catch {{}}")
    return context

# GitHub Pages compresses these on the fly; mirroring that makes the byte counts honest.
GZIP_TYPES = ("text/", "application/javascript", "application/json", "application/wasm", "image/svg+xml")
MIME = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
        ".json": "application/json", ".py": "text/plain", ".onnx": "application/octet-stream",
        ".zip": "application/zip"}


@dataclass
class Hit:
    path: str
    status: int
    raw_bytes: int
    sent_bytes: int


@dataclass
class SiteServer:
    root: Path
    port: int = 0
    hits: list[Hit] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{SUBPATH}"

    def clear(self) -> None:
        self.hits.clear()

    def sent(self, since: int = 0) -> int:
        return sum(h.sent_bytes for h in self.hits[since:])


_GZ_CACHE: dict[tuple[str, int], bytes] = {}


def _gzip_cached(path: str, body: bytes) -> bytes:
    """Compress once per file version, as a CDN does, so timings measure the page, not this server."""
    key = (path, hash(body))
    if key not in _GZ_CACHE:
        _GZ_CACHE[key] = gzip.compress(body, 6)
    return _GZ_CACHE[key]


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return  # a browser closed mid-request (a page or context closed): nothing the site did
        super().handle_error(request, client_address)


def start_server(root: Path, headers: dict | None = None) -> tuple[SiteServer, http.server.ThreadingHTTPServer]:
    """`headers`: sent with every answer (e.g. ISOLATION, what the site's service worker adds)."""
    site = SiteServer(root=root)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def do_GET(self):
            path = unquote(urlsplit(self.path).path)
            if not path.startswith(SUBPATH):
                return self._send(404, b"not under the site's sub-path", "text/plain", path)
            rel = path[len(SUBPATH):]
            target = (site.root / rel).resolve()
            if site.root.resolve() not in target.parents and target != site.root.resolve():
                return self._send(403, b"forbidden", "text/plain", path)
            if target.is_dir():
                if not path.endswith("/"):
                    self.send_response(301)
                    self.send_header("Location", path + "/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    site.hits.append(Hit(path, 301, 0, 0))
                    return
                target = target / "index.html"
            if not target.is_file():
                body = (site.root / "404.html").read_bytes() if (site.root / "404.html").exists() else b"404"
                return self._send(404, body, "text/html", path)
            ctype = MIME.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            self._send(200, target.read_bytes(), ctype, path)

        def _send(self, status, body, ctype, path):
            raw = len(body)
            if "gzip" in self.headers.get("Accept-Encoding", "") and ctype.startswith(GZIP_TYPES):
                body = _gzip_cached(path, body)
                enc = "gzip"
            else:
                enc = None
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "max-age=600")  # what GitHub Pages sends
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            if enc:
                self.send_header("Content-Encoding", enc)
            self.end_headers()
            self.wfile.write(body)
            site.hits.append(Hit(path, status, raw, len(body)))

    httpd = _QuietServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    site.port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return site, httpd


def build_site(dest: Path, site_url: str = f"http://127.0.0.1{SUBPATH}", env: dict | None = None) -> Path:
    """`mkdocs build --strict` into dest; raises with mkdocs' output on failure.

    site_url should be where the site will be served: Material's instant
    navigation only intercepts links listed in sitemap.xml under that URL.
    env: extra variables mkdocs.yml reads (e.g. REPO_URL)."""
    env = dict(os.environ, **(env or {}), SITE_URL=site_url, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "mkdocs") if (ROOT / ".venv/bin/mkdocs").exists() else "mkdocs",
         "build", "--strict", "--site-dir", str(dest)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise AssertionError(f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}")
    return dest


def run_pyodide(files: dict[str, str], code: str, timeout: float = 120) -> object:
    """Run `code` in real Pyodide under Node, with `files` written to its
    working directory; the code's last expression must be JSON-serialisable
    (convert with json.dumps in Python) and is returned decoded."""
    script = ROOT / "tests" / "node" / "run_pyodide.mjs"
    payload = json.dumps({"files": files, "code": code})
    proc = subprocess.run(["node", str(script)], input=payload, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
    if proc.returncode != 0:
        raise AssertionError(f"pyodide run failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_node_modules(folder: Path, names: tuple[str, ...], script: str, payload=None, timeout: float = 60) -> object:
    """Run an ES-module snippet in Node with `import * as NAME from "<folder>/NAME.js"` for
    each name and `input` = `payload` (JSON on stdin); returns the JSON it prints.
    This is how the widgets' DOM-free modules are tested without a browser."""
    imports = "\n".join(f'import * as {n} from "{(folder / f"{n}.js").as_uri()}";' for n in names)
    code = imports + '\nimport fs from "fs";\nconst input = JSON.parse(fs.readFileSync(0, "utf8"));\n' + script
    proc = subprocess.run(["node", "--input-type=module", "-e", code], input=json.dumps(payload),
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(proc.stderr[-3000:])
    return json.loads(proc.stdout)


def copy_photos(bears_dir: Path, dest: Path, per_label: int, labels=("black", "grizzly", "teddy")) -> Path:
    """The first `per_label` real photos of each label (sorted by name) copied into
    dest/<label>/: a small real data set for a test, in tmp, never in the repository."""
    for lab in labels:
        (dest / lab).mkdir(parents=True)
        for f in sorted((bears_dir / lab).glob("*.jpg"))[:per_label]:
            shutil.copy(f, dest / lab / f.name)
    return dest
