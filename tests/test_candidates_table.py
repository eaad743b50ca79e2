"""export.candidates: which browser-bench row gives a candidate its speed (a body and an input size,
timed with the page's own session settings), and that the published table has one for each row."""

import json
from pathlib import Path

from export.candidates import browser_figures

ROOT = Path(__file__).resolve().parents[1]


def bench_row(p50_1: float, p50_2: float, crop: int, options: dict | None = None, **extra) -> dict:
    timing = lambda p50: {"run": {"p50_ms": p50}, "cpu": {"browser": {"ms": p50 + 1}}, "native": {"p50_ms": p50 / 6}}  # noqa: E731
    return {"crop": crop, "options": options or {}, "single": timing(p50_1), "isolated": {"threads": 2, **timing(p50_2)},
            **extra}


BENCH = {"machine": {"loadavg": [1.0, 1.0, 1.0]}, "latency": {
    "shipped +batch1": bench_row(40.0, 20.0, 224, {"freeDimensionOverrides": {"N": 1}}),  # a lever, not the model
    "shipped int8": bench_row(45.0, 27.0, 224),  # an older bench: no `arch`, the shipped body
    "lite0 160 int8": bench_row(25.0, 15.0, 160),
    "lite1 240 int8": bench_row(65.0, 37.0, 240, arch="efficientnet_lite1"),
}}


def test_a_candidate_gets_the_row_of_its_body_and_size_with_the_pages_settings():
    got = browser_figures(BENCH, "efficientnet_lite0", 224, shipped_arch="efficientnet_lite0")
    assert got["bench_row"] == "shipped int8" and got["p50_ms_1thread"] == 45.0 and got["p50_ms_isolated"] == 27.0
    assert browser_figures(BENCH, "efficientnet_lite0", 160, "efficientnet_lite0")["p50_ms_1thread"] == 25.0
    assert browser_figures(BENCH, "efficientnet_lite1", 240, "efficientnet_lite0")["bench_row"] == "lite1 240 int8"


def test_no_row_for_another_body_or_size_means_no_figure():
    assert browser_figures(BENCH, "efficientnet_lite0", 128, "efficientnet_lite0") is None
    # "shipped" rows are the body the site shipped when the bench ran: another body gets nothing from them
    assert browser_figures(BENCH, "efficientnet_lite1", 224, "efficientnet_lite0") is None


def test_the_published_table_times_every_candidate():
    table = json.loads((ROOT / "docs" / "assets" / "reports" / "candidates.json").read_text())
    missing = [name for name, c in table["candidates"].items() if not (c.get("browser") or {}).get("p50_ms_1thread")]
    assert not missing, f"no browser figure for {missing}: run export.candidates with --browser"
