"""The SGD widget's starting code (site_widgets/linfit/update.py)."""

from __future__ import annotations

from tests.support import ROOT

LINFIT = ROOT / "site_widgets" / "linfit"


def test_update_py_is_the_update_the_sgd_page_shows():
    """The page shows training/sgd_core.py's update() (pymdownx.snippets); the widget starts with
    site_widgets/linfit/update.py. They must be the same text."""
    core = (ROOT / "training" / "sgd_core.py").read_text()
    start = core.index("# --8<-- [start:update]\n") + len("# --8<-- [start:update]\n")
    assert (LINFIT / "update.py").read_text() == core[start:core.index("# --8<-- [end:update]")]
    assert '--8<-- "training/sgd_core.py:update"' in (ROOT / "docs" / "sgd.md").read_text()
