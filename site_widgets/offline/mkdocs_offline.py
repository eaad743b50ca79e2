"""MkDocs hook (mkdocs.yml), run after mkdocs has written the site: the service worker
that keeps the site readable offline once loaded.

It lists the files the build really produced, with a content hash (revision) each,
and writes:

- ``sw.js`` at the site root (so its scope covers every page): ``const MANIFEST = {...};``
  followed by the worker's code from ``site_widgets/offline/sw.js``;
- ``assets/offline/precache.json``: the same manifest, for people and tests.

Two kinds of files:

- precache: pages, CSS, JS, the search index and worker, images, JSON data. Fetched
  by the worker after the page has loaded; a few MB at most.
- runtime: the heavy runtimes and models (what site_widgets/registry.json lists as a widget's
  runtimes and lazy files: Pyodide, onnxruntime-web, the *.onnx models). Never fetched ahead: the worker keeps a copy the first time a
  widget loads one, keyed by its revision, so a rebuild that changes one replaces it.

The manifest's version (a hash of all precache revisions) names the cache, so a
rebuild that changes any file yields a new sw.js, a new cache, and the old one deleted.
"""

from __future__ import annotations

import fnmatch
import hashlib
import html
import json
import re
from pathlib import Path
from urllib.parse import quote, urlsplit

TEMPLATE = Path(__file__).with_name("sw.js")
MANIFEST_URI = "assets/offline/precache.json"

REGISTRY = Path(__file__).resolve().parent.parent / "registry.json"


def lazy_patterns(registry_path: Path = REGISTRY) -> list[str]:
    """Site paths (fnmatch) loaded by a widget on first use, never ahead: every runtime's
    folder and each widget's "lazy" files, as site_widgets/registry.json lists them
    (tests/test_site_pages.py, tests/bench/sgd_widget.py check that pages do not fetch them early)."""
    registry = json.loads(registry_path.read_text(encoding="utf-8"))
    return ([f"assets/vendor/{name}/*" for name in registry["runtimes"]]
            + [p for spec in registry["widgets"].values() for p in spec.get("lazy", [])])
# Never needed by a reader: source maps, the gzipped sitemap, the worker and its own manifest.
SKIP = re.compile(r"\.map$|^sitemap\.xml\.gz$|^sw\.js$|^" + re.escape(MANIFEST_URI) + "$")
# Lunr's language packs: the search worker loads them only for languages other than English.
LUNR = re.compile(r"^assets/javascripts/lunr/")


def revision(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def url_of(rel: str) -> str:
    """File path in the build -> the URL path the site links to ('sgd/index.html' -> 'sgd/')."""
    if rel == "index.html" or rel.endswith("/index.html"):
        rel = rel[: -len("index.html")]
    return quote(rel, safe="/!$&'()*+,;=:@")  # what browsers leave unescaped in a URL path


def search_languages(site: Path) -> list[str]:
    index = site / "search" / "search_index.json"
    if not index.is_file():
        return []
    return json.loads(index.read_text(encoding="utf-8")).get("config", {}).get("lang", ["en"])


def page_title(path: Path, site_name: str) -> str:
    """<title> without Material's " - <site name>" suffix."""
    m = re.search(r"<title>(.*?)</title>", path.read_text(encoding="utf-8", errors="replace"), re.S)
    title = html.unescape(re.sub(r"\s+", " ", m.group(1)).strip()) if m else path.parent.name
    return title.removesuffix(f" - {site_name}") if site_name else title


def nav_order(site: Path, base_path: str) -> dict[str, int]:
    """Page URL -> its place in sitemap.xml, which lists pages in navigation order."""
    if not (site / "sitemap.xml").is_file():
        return {}
    locs = re.findall(r"<loc>\s*([^<\s]+)\s*</loc>", (site / "sitemap.xml").read_text(encoding="utf-8"))
    paths = [urlsplit(loc).path for loc in locs]
    return {p[len(base_path):]: i for i, p in enumerate(paths) if p.startswith(base_path)}


def build_manifest(site: Path, site_name: str = "", base_path: str = "/") -> dict:
    english_only = search_languages(site) in ([], ["en"])
    lazy = lazy_patterns()
    precache, runtime, pages, size = [], [], [], 0
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        rel = path.relative_to(site).as_posix()
        if SKIP.search(rel) or (english_only and LUNR.search(rel)):
            continue
        entry = [url_of(rel), revision(path)]
        if any(fnmatch.fnmatchcase(rel, pat) for pat in lazy):
            runtime.append(entry)
            continue
        precache.append(entry)
        size += path.stat().st_size
        if rel.endswith(".html") and rel != "404.html":
            pages.append([entry[0], page_title(path, site_name)])
    order = nav_order(site, base_path)
    pages.sort(key=lambda p: (order.get(p[0], len(order)), p[0]))
    version = hashlib.sha256(json.dumps(precache).encode()).hexdigest()[:16]
    return {"version": version, "precache": precache, "precache_bytes": size,
            "runtime": runtime, "pages": pages}


def write_offline(site: Path, site_url: str = "", site_name: str = "", enabled: bool = True) -> dict:
    """Write sw.js and the manifest into the built site; returns the manifest.

    site_url/site_name (mkdocs' config) give the pages' order and titles for the
    offline page. enabled=False (``mkdocs serve``) writes a worker that removes itself and its
    caches, so an author never sees a cached copy of what they are editing."""
    base_path = urlsplit(site_url).path.rstrip("/") + "/"
    if enabled:
        manifest = build_manifest(site, site_name, base_path)
    else:
        manifest = {"version": "disabled", "disabled": True, "precache": [], "runtime": [], "pages": []}
    text = json.dumps(manifest, separators=(",", ":"))
    out = site / MANIFEST_URI
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    code = TEMPLATE.read_text(encoding="utf-8")
    (site / "sw.js").write_text(f"// Generated by site_widgets/offline/mkdocs_offline.py.\nconst MANIFEST = {text};\n\n{code}",
                                encoding="utf-8")
    return manifest


# ---------------------------------------------------------------- the hook
# `mkdocs serve` gets a worker that removes itself: an author must see what they edit, not a cached copy.
_serving = False


def on_startup(command, dirty) -> None:
    global _serving
    _serving = command == "serve"


def on_post_build(config) -> None:
    write_offline(Path(config.site_dir), site_url=config.site_url or "", site_name=config.site_name,
                  enabled=not _serving)
