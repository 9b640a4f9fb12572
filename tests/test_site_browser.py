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
    statuses = {row[0]: row[1] for row in rows if len(row) >= 3 and row[0] != "Chapter"}
    for chapter in CHAPTERS:
        assert statuses.get(chapter.title) == "ok", (
            f"{chapter.title}: status {statuses.get(chapter.title)!r}; landing page {browser.title!r} has "
            f"{len(rows)} table rows, first {rows[:2]}")
    missing = [t for t in internal_targets(browser, HTML / "index.html") if not t.exists()]
    assert not missing, f"broken internal links: {missing}"
    # a smoke build says so on every page, in the theme's announcement banner and on the landing page
    banner = browser.execute_script("return document.querySelector('.bd-header-announcement')?.innerText || ''")
    assert "Plumbing check" in banner, f"no smoke banner on {browser.title!r}"
    assert (HTML / "glossary.html").is_file() and "Frechet" in (HTML / "glossary.html").read_text()


def test_latent_explorer_shows_its_static_stand_in(browser):
    """Widgets cannot run on the site: the explorer's section carries the static strip, and no widget output."""
    page = HTML / "chapters" / "skill04" / "latent_space.html"
    browser.get(page.as_uri())
    from selenium.webdriver.support.ui import WebDriverWait

    script = ("const s = document.getElementById('explore-it-yourself');"
              "return s ? [...s.querySelectorAll('img')].map(i => [i.complete, i.naturalWidth]) : null")
    # wait for the section and its image (get() may return while the theme's scripts still run)
    def loaded_images(driver):
        images = driver.execute_script(script)
        return images if images and all(complete for complete, _ in images) else None

    images = WebDriverWait(browser, 30).until(loaded_images,
                                              message=f"no 'Explore it yourself' section with an image on {page.name}")
    assert all(complete and width > 300 for complete, width in images), images
    assert "widget-view" not in browser.page_source and "Loading widget" not in browser.page_source


def test_book_bug_detours_are_folded(browser):
    """A detour tagged `book-bug` is a closed dropdown on the site, so the idea -> code -> result path stays short."""
    page = HTML / "chapters" / "skill06" / "infogan_digits.html"
    browser.get(page.as_uri())
    from selenium.webdriver.support.ui import WebDriverWait

    script = "return [...document.querySelectorAll('.admonition.dropdown .admonition-title')].map(t => t.textContent)"
    titles = WebDriverWait(browser, 30).until(lambda d: d.execute_script(script) or None,
                                              message=f"no folded detour on {page.name}")
    assert any("Bug 1" in t for t in titles) and any("Bug 2" in t for t in titles), titles
