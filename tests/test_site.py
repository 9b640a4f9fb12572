"""The site's generated pages: landing page grouped by skill with results in words, banner, toc, glossary."""

from __future__ import annotations

import dataclasses
import re

import pytest

from gancore import course
from gancore.course import glossary, site
from gancore.course.runner import RunReport

from .conftest import ROOT

MANIFEST = course.load_manifest(ROOT / "book.yml")
QUICK = RunReport.load(ROOT / site.RECORDED_QUICK_RUN)


def _as_profile(report: RunReport, profile: str) -> RunReport:
    return dataclasses.replace(report, profile=profile, chapters=[dataclasses.replace(c, seconds=1.5)
                                                                  for c in report.chapters])


def test_every_headline_metric_has_a_labelled_results_row():
    for chapter in MANIFEST.chapters:
        rows = [r for r in chapter.results if r.key in chapter.headline]
        covered = {r.key for r in rows} | {r.baseline for r in rows} | {r.floor for r in rows}
        assert set(chapter.headline) <= covered, (chapter.id, sorted(set(chapter.headline) - covered))


def test_landing_page_groups_by_skill_in_book_order_and_has_no_raw_keys():
    page = site.landing_page(QUICK, MANIFEST)
    headings = re.findall(r"^## (.+)$", page, flags=re.M)
    assert headings[0] == "Skill 1: Generative models before GANs" and headings[-1] == "WGAN projects"
    assert headings.index("Skill 4: Deep convolutional GANs") < headings.index("Skill 4-II: Into the latent space")
    assert headings.index("Skill 4-II: Into the latent space") < headings.index("Skill 5: Towards stable GANs")
    in_report = {c.id for c in QUICK.chapters}
    assert len(in_report) >= 30
    for chapter in MANIFEST.chapters:
        assert page.count(f"[{chapter.title}]({chapter.notebook})") == (chapter.id in in_report), chapter.id
        for key in chapter.headline:
            assert not re.search(rf"\b{re.escape(key)}\b", page), f"raw metric key {key} on the landing page"
    assert "Plumbing check" not in page and "quick run |" in page
    vae = next(line for line in page.splitlines() if "[VAE for digits]" in line)
    value = QUICK.chapters[0].metrics["book_test_loss"]
    assert f"test loss, the book's definition: **{value:.4g}** (lower is better)" in vae


def test_a_smoke_build_says_so_and_shows_the_recorded_quick_times():
    smoke = _as_profile(QUICK, "smoke")
    page = site.landing_page(smoke, MANIFEST)
    assert page.index(site.SMOKE_BANNER) < page.index("## Skill 1")
    recorded = site.recorded_quick_seconds(MANIFEST)
    vae = next(line for line in page.splitlines() if "[VAE for digits]" in line)
    assert f"| {site.minutes(recorded['vae-digits'])} |" in vae and "quick run (recorded)" in page


def test_a_failed_chapter_shows_its_error_not_numbers():
    chapters = [dataclasses.replace(c, status="failed", error="NaN loss at step 7 | see log")
                if c.id == "gan-digits" else c for c in QUICK.chapters]
    page = site.landing_page(dataclasses.replace(QUICK, chapters=chapters), MANIFEST)
    row = next(line for line in page.splitlines() if line.startswith("| GAN for digits |"))
    assert "NaN loss at step 7 \\| see log" in row and "**" not in row


def test_table_of_contents_has_one_part_per_skill_and_the_glossary():
    toc = site.table_of_contents(QUICK, MANIFEST)
    captions = [part["caption"] for part in toc["parts"]]
    in_report = {c.id for c in QUICK.chapters}
    expected = [(heading, [c for c in chapters if c.id in in_report]) for heading, chapters in MANIFEST.by_skill()]
    assert captions == [heading for heading, chapters in expected if chapters] + ["Reference"]
    files = [entry["file"] for part in toc["parts"] for entry in part["chapters"]]
    assert files[-1] == site.GLOSSARY_PAGE
    assert files[:-1] == [c.notebook.removesuffix(".ipynb") for _, chapters in expected for c in chapters]


@pytest.mark.parametrize(("seconds", "text"), [(95, "1 min 35 s"), (42.4, "42 s"), (600, "10 min 00 s"), (None, "-")])
def test_minutes(seconds, text):
    assert site.minutes(seconds) == text


def test_glossary_defines_the_terms_the_chapters_use():
    page = glossary.markdown()
    for term in ("FD (Frechet distance)", "KID", "PatchGAN", "Lerp and slerp", "Nats", "Bits per dimension"):
        assert f"**{term}" in page
    terms = re.findall(r"^\*\*(.+?)\.\*\*", page, flags=re.M)
    assert terms == sorted(terms, key=str.lower) and len(terms) == len(glossary.TERMS)
