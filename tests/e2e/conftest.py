import os
import shutil

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Less work per frame for a browser nobody watches: the GPU thread in the browser process (no
    # GPU process to talk to), grey-scale text, no smooth scrolling, whole tiles rastered at once.
    "--in-process-gpu",
    "--disable-lcd-text",
    "--disable-smooth-scrolling",
    "--disable-partial-raster",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed (scripts/ensure-system-packages.sh installs it)")
        pytest.skip("Debian's chromium is not installed: run `make test` as root, or apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


# The public world of tests/network (who is shown on the map), for the public journeys.
from tests.network.conftest import world  # noqa: E402, F401
