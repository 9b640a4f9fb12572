"""The built site in headless Chromium: every chapter page loads, figures render, internal links resolve."""

import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from gancore import course

from .conftest import ROOT, SMOKE_DIR

pytestmark = [pytest.mark.chapters, pytest.mark.browser]
CHAPTERS = course.load_manifest(ROOT / "book.yml").chapters


@pytest.fixture(scope="module")
def browser(smoke_run):
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        if os.environ.get("CI"):
            pytest.fail("chromium/chromedriver missing in CI: `make browser` should have installed them")
        pytest.skip("chromium and chromedriver are not installed (Debian: chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,1600"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


HTML = SMOKE_DIR / "site" / "_build" / "html"


def internal_targets(driver, page: Path) -> list[Path]:
    hrefs = driver.execute_script("return [...document.querySelectorAll('a[href]')].map(a => a.href)")
    targets = []
    for href in hrefs:
        url = urlparse(href)
        if url.scheme == "file" and url.path:
            targets.append(Path(unquote(url.path)))
    return targets


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.id)
def test_chapter_page_loads_with_figures_and_links(browser, chapter):
    page = HTML / chapter.notebook.replace(".ipynb", ".html")
    browser.get(page.as_uri())
    assert chapter.title.split()[0] in browser.title or chapter.title.split()[0] in browser.page_source
    images = browser.execute_script(
        "return [...document.querySelectorAll('main img')].map(i => [i.src, i.complete, i.naturalWidth])")
    assert len(images) >= 2, "expected the chapter's figures on its page"
    broken = [src for src, complete, width in images if not complete or width == 0]
    assert not broken, f"figures that did not render: {broken}"
    missing = [t for t in internal_targets(browser, page) if not t.exists()]
    assert not missing, f"broken internal links: {missing}"


def test_landing_page_lists_every_chapter_with_runtime(browser):
    browser.get((HTML / "index.html").as_uri())
    from selenium.webdriver.support.ui import WebDriverWait

    script = ("return [...document.querySelectorAll('main table tr')]"
              ".map(r => [...r.cells].map(c => c.textContent.trim()))")
    # wait for the rendered table (the theme's scripts may still be running when get() returns)
    rows = WebDriverWait(browser, 30).until(lambda d: d.execute_script(script) or None,
                                            message=f"no table rendered in {HTML / 'index.html'}")
    statuses = {row[1]: row[2] for row in rows[1:] if len(row) >= 3}
    for chapter in CHAPTERS:
        assert statuses.get(chapter.title) == "ok", (
            f"{chapter.title}: status {statuses.get(chapter.title)!r}; landing page {browser.title!r} has "
            f"{len(rows)} table rows, first {rows[:2]}")
    missing = [t for t in internal_targets(browser, HTML / "index.html") if not t.exists()]
    assert not missing, f"broken internal links: {missing}"
