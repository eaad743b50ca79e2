"""The site builds strictly and carries its own runtimes: no CDN anywhere."""

import re

from tests.support import ROOT


def test_mkdocs_build_strict(built_site):
    # build_site() raises with mkdocs' output when --strict finds a warning.
    assert (built_site / "index.html").is_file()


def test_runtimes_are_self_hosted(built_site):
    for rel in ["assets/vendor/pyodide/pyodide.mjs", "assets/vendor/pyodide/pyodide.asm.wasm",
                "assets/vendor/pyodide/python_stdlib.zip", "assets/vendor/ort/ort.wasm.min.mjs",
                "assets/widgets/mount.js", "assets/widgets/py/sgd_core.py"]:
        assert (built_site / rel).is_file(), rel


def test_no_cdn_references_in_pages(built_site):
    """No page points at an outside host for scripts, styles or fonts."""
    pattern = re.compile(r'(?:src|href)="(https?://[^"]+)"')
    for html in built_site.rglob("*.html"):
        for url in pattern.findall(html.read_text(encoding="utf-8")):
            # Links a reader may follow are fine; loaded resources are not.
            assert not re.search(r"\.(js|mjs|css|woff2?|ttf|wasm)(\?|$)", url), f"{html}: {url}"
            assert "fonts.googleapis" not in url and "cdn" not in url, f"{html}: {url}"
