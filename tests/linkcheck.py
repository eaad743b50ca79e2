"""Link check of a built site, offline: every internal href/src (a, img, link, script,
source) must name a file of the build and every #fragment an id on the target page;
external links cannot be fetched here, so they are listed and must be well-formed https.

    python -m tests.linkcheck site/ [--site-url https://user.github.io/lesson2/]

The site URL (which absolute links count as internal, and the sub-path root-relative
links must stay under) defaults to the home page listed in sitemap.xml. Exit status 1
when anything is broken.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

CHECKED = {"a": ("href",), "img": ("src", "srcset"), "link": ("href",), "script": ("src",), "source": ("src", "srcset")}
NOT_FETCHED = ("mailto:", "tel:", "javascript:", "data:", "blob:")
HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.I)


class _Page(HTMLParser):
    """The ids of one HTML file and the URLs it points at."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[int, str, str]] = []  # (line, "tag attr", url)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        for attr in CHECKED.get(tag, ()):
            value = (attrs.get(attr) or "").strip()
            if not value:
                continue
            urls = [part.split()[0] for part in value.split(",") if part.strip()] if attr == "srcset" else [value]
            self.links += [(self.getpos()[0], f"{tag} {attr}", url) for url in urls]


@dataclass
class Report:
    checked: int = 0
    broken: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def site_url_from_sitemap(root: Path) -> str:
    sitemap = root / "sitemap.xml"
    locs = re.findall(r"<loc>\s*([^<\s]+)\s*</loc>", sitemap.read_text(encoding="utf-8")) if sitemap.is_file() else []
    return min(locs, key=len) if locs else "http://site.invalid/"


def _external_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme != "https":
        return "external link is not https"
    if re.search(r"\s", url) or not parts.hostname or not HOST.match(parts.hostname):
        return "external link is malformed"
    return None


def check_site(root: Path, site_url: str | None = None) -> Report:
    root = Path(root)
    site_url = site_url or site_url_from_sitemap(root)
    site = urlsplit(site_url)
    base = site.path.rstrip("/") + "/"
    pages = {p.relative_to(root).as_posix(): _parse(p) for p in sorted(root.rglob("*.html"))}
    report, external = Report(), set()

    def target_file(path: str) -> str | None:
        rel = unquote(path[len(base):])
        for candidate in ([rel + "index.html"] if rel == "" or rel.endswith("/") else [rel, rel + "/index.html"]):
            if (root / candidate).is_file():
                return candidate
        return None

    for rel, page in pages.items():
        here = f"{site.scheme}://{site.netloc}{base}{rel}"
        for line, what, raw in page.links:
            report.checked += 1
            if raw.lower().startswith(NOT_FETCHED):
                continue
            url = urljoin(here, raw)
            parts = urlsplit(url)
            where = f"{rel}:{line} <{what}={raw!r}>"
            if (parts.scheme, parts.netloc) != (site.scheme, site.netloc):
                external.add(url)
                if problem := _external_problem(url):
                    report.broken.append(f"{where}: {problem}")
                continue
            if not parts.path.startswith(base):
                report.broken.append(f"{where}: leaves the site's path {base}")
                continue
            target = target_file(parts.path)
            if target is None:
                report.broken.append(f"{where}: no such file in the build")
            elif parts.fragment and target in pages and unquote(parts.fragment) not in pages[target].ids:
                report.broken.append(f"{where}: {target} has no id {unquote(parts.fragment)!r}")
    report.external = sorted(external)
    return report


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("site", type=Path, help="the built site (mkdocs' site_dir)")
    p.add_argument("--site-url", help="where the site is served (default: the home page in sitemap.xml)")
    args = p.parse_args(argv)
    report = check_site(args.site, args.site_url)
    print(f"{report.checked} links checked in {args.site}")
    print(f"external links, not fetched ({len(report.external)}):")
    for url in report.external:
        print(f"  {url}")
    if report.broken:
        print(f"BROKEN ({len(report.broken)}):")
        for line in report.broken:
            print(f"  {line}")
        return 1
    print("no broken link")
    return 0


if __name__ == "__main__":
    sys.exit(main())
