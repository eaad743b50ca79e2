"""The classifier when its model cannot be downloaded (offline classroom, dead URL):
a clear message, then the next photo works once the network is back."""

import json

from playwright.sync_api import expect

from tests.support import ROOT


MANIFEST = json.loads((ROOT / "docs/assets/models/bears.json").read_text())
MODEL_FILE = MANIFEST["variants"][MANIFEST["default"]]["model"]


def test_model_download_failure_is_explained_and_recovers(watched, site, bears_dir):
    photo = sorted((bears_dir / "grizzly").glob("*.jpg"))[0]
    page = watched.page
    watched.allow_console_error(r"Failed to load resource: net::ERR_INTERNET_DISCONNECTED")
    page.route(f"**/{MODEL_FILE}", lambda route: route.abort("internetdisconnected"))
    page.goto(site.url + "production/")
    expect(page.locator('[data-widget="classifier"]')).to_have_attribute("data-mounted", "yes", timeout=15000)
    picker = page.locator('[data-widget="classifier"] input[type=file]').first
    picker.set_input_files(str(photo))
    page.wait_for_function("document.querySelector('.clf').dataset.runs === '1'", timeout=30000)
    assert page.get_attribute(".clf", "data-phase") == "error"
    expect(page.locator(".clf-error")).to_contain_text("if you are offline, reconnect")
    page.unroute(f"**/{MODEL_FILE}")
    picker.set_input_files(str(photo))
    page.wait_for_function("document.querySelector('.clf').dataset.runs === '2'", timeout=60000)
    assert page.get_attribute(".clf", "data-phase") == "done"
    assert page.get_attribute(".clf", "data-top") in MANIFEST["labels"]
