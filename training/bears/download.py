"""Download the lesson's URL lists into label folders, keeping only real, unique images.

    python -m training.bears download ../shared/data/urls/actionmichael --out runs/download
    python -m training.bears download grizzly=urls_grizzly.txt black=urls_black.txt --per_label 150 --max_side 512

A URL list is a text file with one URL a line (.txt or .csv: the lesson's browser
snippet writes them; a CSV line whose first URL-looking cell is the URL works too).
The label is the file's name without "urls_" and its extension (urls_grizzly.txt ->
grizzly) unless given as LABEL=FILE. A folder stands for all the lists in it.

For every URL: fetch it (parallel threads, a timeout for the whole download, retries with
backoff on timeouts, dropped connections and 5xx/429), then keep it only if it decodes
as an image. Empty files, HTML pages served instead of images, broken and truncated
images are removed and counted with their reason; so are byte-identical duplicates
(within and across labels, also against files from earlier runs). Files are named by a
hash of their URL, so a second run skips what is already there (resumable); writes are
atomic (a .part file renamed when complete). `--max_side` shrinks big images (JPEG q90).
At the end: a summary table and <out>/download_report.json.
"""

from __future__ import annotations

import csv
import hashlib
import http.client
import io
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from training.bears.images import ImageError, open_image
from training.options import opt
from training.paths import RUNS

EXT = {"JPEG": ".jpg", "MPO": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp", "BMP": ".bmp", "TIFF": ".tif"}
RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) lesson2-bears-downloader"
LIST_EXTS = (".txt", ".csv")


@dataclass
class DownloadConfig:
    """What to fetch, where to, and how patiently."""

    urls: list[str] = opt([], "URL list file (.txt/.csv), folder of them, or LABEL=FILE to name the label",
                          positional=True, metavar="LIST")
    out: str = opt(str(RUNS / "download"), "destination: one folder per label is made inside")
    per_label: int = opt(200, "stop a label once it has this many good images (0 = no cap)")
    workers: int = opt(8, "parallel downloads (network-bound, so more than the cores)")
    timeout: float = opt(10.0, "seconds allowed for one whole download (connect + all bytes)")
    retries: int = opt(2, "extra attempts after a timeout, dropped connection, 429 or 5xx (not 404)")
    backoff: float = opt(0.5, "seconds before the first retry; doubles each time")
    max_side: int = opt(0, "shrink images whose longest side is larger (0 = keep as downloaded)")
    max_bytes: int = opt(20_000_000, "refuse downloads larger than this (bytes)")
    progress: bool = opt(True, "progress bar")


class FetchError(Exception):
    """Why one URL gave no image (the reason goes into the summary)."""


# ---------------------------------------------------------------- URL lists
def label_from_name(path: Path) -> str:
    stem = path.stem
    for prefix in ("urls_", "url_", "urls-", "url-"):
        if stem.lower().startswith(prefix):
            stem = stem[len(prefix):]
    return stem


def is_url(s: str) -> bool:
    return s.startswith(("http://", "https://", "data:image/"))


def read_url_list(path: str | Path) -> tuple[list[str], list[str]]:
    """-> (unique URLs in file order, lines that were not URLs).

    Whole lines are URLs when they start with http(s):// — real lists contain URLs
    with commas in them (?resize=620,413), so lines are never blindly split on commas.
    Otherwise the line is read as CSV and its first URL-looking cell is taken.
    """
    text = Path(path).read_text(encoding="utf-8", errors="replace").lstrip("\ufeff")
    urls, rejected, seen = [], [], set()
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        url = line if is_url(line) else next(
            (c.strip() for c in next(csv.reader([line]), []) if is_url(c.strip())), None)
        if url is None:
            rejected.append(line)
        elif url not in seen:
            seen.add(url)
            urls.append(url)
    return urls, rejected


def collect_lists(specs: list[str]) -> dict[str, list[Path]]:
    """LABEL=FILE, FILE, or FOLDER (every .txt/.csv inside) -> {label: [files]}."""
    out: dict[str, list[Path]] = {}
    for spec in specs:
        label, _, p = spec.rpartition("=") if "=" in spec and not Path(spec).exists() else ("", "", spec)
        path = Path(p)
        if path.is_dir():
            files = sorted(f for f in path.iterdir() if f.suffix.lower() in LIST_EXTS)
            if not files:
                raise FileNotFoundError(f"no .txt/.csv URL lists in {path}")
        elif path.is_file():
            files = [path]
        else:
            raise FileNotFoundError(f"no URL list at {path}")
        for f in files:
            out.setdefault(label or label_from_name(f), []).append(f)
    return out


# ---------------------------------------------------------------- one URL
def url_key(url: str) -> str:
    return hashlib.sha1(url.encode()).hexdigest()[:16]


def fetch(url: str, timeout: float, retries: int = 2, backoff: float = 0.5, max_bytes: int = 20_000_000) -> bytes:
    """The body of `url`, or FetchError with a short reason. Redirects are followed."""
    reason = "?"
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            return _fetch_once(url, timeout, max_bytes)
        except urllib.error.HTTPError as e:
            reason = f"HTTP {e.code}"
            if e.code not in RETRY_STATUS:
                break
        except (TimeoutError, socket.timeout) as e:
            reason = "timeout"
        except urllib.error.URLError as e:
            if isinstance(e.reason, (TimeoutError, socket.timeout)):
                reason = "timeout"
            else:
                reason = f"connection failed ({e.reason})"
        except (ConnectionError, http.client.HTTPException, OSError) as e:
            reason = f"connection failed ({type(e).__name__})"
        except FetchError as e:  # too large: retrying will not help
            raise
    raise FetchError(reason if retries == 0 or reason.startswith("HTTP 4") else f"{reason} after {retries + 1} tries")


def _fetch_once(url: str, timeout: float, max_bytes: int) -> bytes:
    deadline = time.monotonic() + timeout
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "image/*,*/*;q=0.5"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        chunks, n = [], 0
        while True:
            if time.monotonic() > deadline:  # a server trickling bytes slowly
                raise TimeoutError
            c = r.read1(64 * 1024)  # whatever has arrived: a trickle cannot outlast the deadline
            if not c:
                break
            n += len(c)
            if n > max_bytes:
                raise FetchError(f"larger than {max_bytes} bytes")
            chunks.append(c)
    return b"".join(chunks)


def sniff(data: bytes) -> None:
    """Cheap checks before decoding: FetchError for empty files and HTML/text pages."""
    if not data:
        raise FetchError("empty (0 bytes)")
    if data[:512].lstrip()[:1] == b"<":  # <!DOCTYPE html>, <html>, <?xml ...
        raise FetchError("HTML/text instead of an image")


def verify_file(path: Path) -> tuple[Image.Image, str]:
    """Decode `path` fully -> (RGB image, PIL format name), or FetchError saying why not."""
    try:
        with Image.open(path) as probe:
            fmt = probe.format
    except Exception as e:
        raise FetchError("not an image") from e
    try:
        return open_image(path), fmt
    except ImageError as e:
        raise FetchError("truncated image" if "truncat" in str(e).lower() else "broken image") from e


# ---------------------------------------------------------------- the run
class Downloader:
    def __init__(self, cfg: DownloadConfig):
        self.cfg = cfg
        self.out = Path(cfg.out)
        self.lock = threading.Lock()
        self.index_path = self.out / ".downloaded.json"  # md5 -> file, so resumed runs still catch duplicates
        self.md5s: dict[str, str] = {}
        self.results: list[dict] = []

    def existing(self, label: str) -> dict[str, Path]:
        d = self.out / label
        if not d.is_dir():
            return {}
        for part in d.glob("*.part"):  # a crash mid-write leaves these: never counted, always redone
            part.unlink()
        return {f.stem: f for f in d.iterdir() if f.is_file() and not f.name.startswith(".")}

    def load_index(self) -> None:
        if self.index_path.exists():
            try:
                self.md5s = {k: v for k, v in json.loads(self.index_path.read_text()).items()
                             if (self.out / v).exists()}
            except (ValueError, OSError):
                self.md5s = {}
        known = set(self.md5s.values())
        for f in self.out.glob("*/*"):  # files we did not write (or an index lost): hash them
            rel = str(f.relative_to(self.out))
            if f.is_file() and not f.name.startswith(".") and rel not in known and f.suffix != ".part":
                self.md5s.setdefault(hashlib.md5(f.read_bytes()).hexdigest(), rel)

    def one(self, label: str, url: str) -> dict:
        row = {"label": label, "url": url}
        try:
            data = fetch(url, self.cfg.timeout, self.cfg.retries, self.cfg.backoff, self.cfg.max_bytes)
            sniff(data)
            md5 = hashlib.md5(data).hexdigest()
            dest = self.out / label / url_key(url)
            dest.parent.mkdir(parents=True, exist_ok=True)
            part = dest.with_name(dest.name + ".part")
            part.write_bytes(data)
            try:
                im, fmt = verify_file(part)
            except FetchError:
                part.unlink(missing_ok=True)  # broken downloads are removed, and reported
                raise
            with self.lock:  # claim this content, or find it was claimed already
                if md5 in self.md5s:
                    part.unlink()
                    raise FetchError(f"duplicate of {self.md5s[md5]}")
                dest = dest.with_suffix(EXT.get(fmt, ".jpg"))
                self.md5s[md5] = str(dest.relative_to(self.out))
            if self.cfg.max_side and max(im.size) > self.cfg.max_side:
                im.thumbnail((self.cfg.max_side, self.cfg.max_side), Image.Resampling.LANCZOS)
                dest = dest.with_suffix(".jpg")
                im.save(part, "JPEG", quality=90)
                with self.lock:
                    self.md5s[md5] = str(dest.relative_to(self.out))
            part.replace(dest)
            row.update(status="fetched", file=str(dest.relative_to(self.out)))
        except FetchError as e:
            row.update(status="failed", reason=str(e))
        except Exception as e:  # never let one URL end the run
            row.update(status="failed", reason=f"error ({type(e).__name__}: {e})")
        return row

    def run(self, lists: dict[str, list[Path]]) -> dict:
        self.out.mkdir(parents=True, exist_ok=True)
        self.load_index()
        todo: dict[str, list[str]] = {}
        have: dict[str, int] = {}
        summary: dict[str, dict] = {}
        for label, files in lists.items():
            urls, rejected = [], []
            for f in files:
                u, r = read_url_list(f)
                urls += [x for x in u if x not in urls]
                rejected += r
            ex = self.existing(label)
            skipped = [u for u in urls if url_key(u) in ex]
            todo[label] = [u for u in urls if url_key(u) not in ex]
            have[label] = len(ex)
            summary[label] = {"urls": len(urls), "not_urls": len(rejected), "skipped": len(skipped),
                              "fetched": 0, "failed": 0, "reasons": Counter(), "capped": 0}
        cap = self.cfg.per_label or float("inf")
        total = sum(len(v) for v in todo.values())
        bar = tqdm(total=total, desc="download", unit="url", disable=not self.cfg.progress)
        with ThreadPoolExecutor(self.cfg.workers) as pool:
            while True:  # waves: ask only for as many URLs as each label still needs
                wave = []
                for label, urls in todo.items():
                    need = int(min(cap - have[label], len(urls)))
                    wave += [(label, u) for u in urls[:max(need, 0)]]
                    todo[label] = urls[max(need, 0):]
                if not wave:
                    break
                for row in pool.map(lambda lu: self.one(*lu), wave):
                    s = summary[row["label"]]
                    if row["status"] == "fetched":
                        s["fetched"] += 1
                        have[row["label"]] += 1
                    else:
                        s["failed"] += 1
                        s["reasons"][row["reason"].split(" of ")[0]] += 1
                    self.results.append(row)
                    bar.update(1)
        bar.close()
        for label, urls in todo.items():  # not tried because the label reached its cap
            summary[label]["capped"] = len(urls)
            summary[label]["images"] = have[label]
            summary[label]["reasons"] = dict(summary[label]["reasons"])
        self.index_path.write_text(json.dumps(self.md5s, indent=0))
        rep = {"out": str(self.out), "config": {k: v for k, v in vars(self.cfg).items()},
               "summary": summary, "failures": [r for r in self.results if r["status"] == "failed"]}
        (self.out / "download_report.json").write_text(json.dumps(rep, indent=1))
        return rep


def format_summary(rep: dict) -> str:
    lines = [f"{'label':<12}{'urls':>6}{'fetched':>9}{'skipped':>9}{'failed':>8}{'capped':>8}{'images':>8}  reasons"]
    for label, s in rep["summary"].items():
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(s["reasons"].items(), key=lambda kv: -kv[1]))
        lines.append(f"{label:<12}{s['urls']:>6}{s['fetched']:>9}{s['skipped']:>9}{s['failed']:>8}"
                     f"{s['capped']:>8}{s['images']:>8}  {reasons}")
    lines.append(f"-> {rep['out']} (details: download_report.json)")
    return "\n".join(lines)


def download(cfg: DownloadConfig) -> dict:
    if not cfg.urls:
        raise ValueError("give at least one URL list (file, folder, or LABEL=FILE)")
    rep = Downloader(cfg).run(collect_lists(cfg.urls))
    print(format_summary(rep))
    return rep
