"""Every internal link, image, script and stylesheet of the built site resolves to a file
of the build, and every #fragment to an id on its page (tests/linkcheck.py). External
links cannot be fetched here (no internet): they are listed, and must be well-formed https."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.linkcheck import check_site
from tests.support import ROOT

BROKEN_PAGE = """<!doctype html><html><head><link rel="stylesheet" href="../assets/nope.css"></head><body>
<h2 id="here">Here</h2>
<a href="../sgd/">fine</a> <a href="#here">fine too</a> <a href="../">home, fine</a>
<a href="../no-such-page/">missing page</a>
<a href="../sgd/#no-such-section">missing section</a>
<img src="missing.png" alt="">
<a href="/elsewhere/">outside the sub-path</a>
<a href="http://example.org/">not https</a>
<a href="https://exa mple.org/">malformed</a>
</body></html>
"""


def test_every_internal_link_and_fragment_resolves(built_site, capsys):
    report = check_site(built_site)
    with capsys.disabled():
        print(f"\n{report.checked} links checked; external, not fetched ({len(report.external)}):")
        for url in report.external:
            print(f"  {url}")
    assert report.checked > 100  # the check saw the pages' links at all
    assert report.broken == []
    assert all(url.startswith("https://") for url in report.external)


def test_the_checker_reports_what_is_broken(built_site, tmp_path):
    copy = tmp_path / "site"
    shutil.copytree(built_site, copy)
    (copy / "broken").mkdir()
    (copy / "broken" / "index.html").write_text(BROKEN_PAGE)

    broken = check_site(copy).broken
    assert all(line.startswith("broken/index.html:") for line in broken), broken
    found = "\n".join(broken)
    for needle in ["'../assets/nope.css'>: no such file", "'../no-such-page/'>: no such file",
                   "'../sgd/#no-such-section'>: sgd/index.html has no id 'no-such-section'",
                   "'missing.png'>: no such file", "'/elsewhere/'>: leaves the site's path",
                   "'http://example.org/'>: external link is not https",
                   "'https://exa mple.org/'>: external link is malformed"]:
        assert needle in found, f"not reported: {needle}\n{found}"
    assert len(broken) == 7, found

    cli = [sys.executable, "-m", "tests.linkcheck"]
    bad = subprocess.run([*cli, str(copy)], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 1 and "BROKEN (7)" in bad.stdout, bad.stdout + bad.stderr
    good = subprocess.run([*cli, str(built_site)], cwd=ROOT, capture_output=True, text=True)
    assert good.returncode == 0 and "no broken link" in good.stdout, good.stdout + good.stderr
