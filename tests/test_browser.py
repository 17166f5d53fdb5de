"""The main user journey in a real headless Chromium against the real app."""

from __future__ import annotations

import pytest
from browser import chromium_path, exceptions, launch, running_app, settle

pytestmark = [pytest.mark.browser, pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed")]

PAGES = ["Data", "Overview"]


@pytest.fixture(scope="module")
def app_url():
    with running_app() as url:
        yield url


@pytest.fixture()
def page(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
        pg = context.new_page()
        pg.goto(app_url)
        settle(pg)
        yield pg
        browser.close()


def go(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    settle(page)
    assert not exceptions(page), exceptions(page)


def test_upload_qualtrics_and_visit_every_page(page, shapes_dir):
    assert page.locator("h1").first.inner_text() == "Overview"
    page.wait_for_selector('[data-testid="stVegaLiteChart"] svg.marks, [data-testid="stVegaLiteChart"] canvas')
    go(page, "Data")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(shapes_dir / "qualtrics_labels.csv"))
    settle(page)
    page.get_by_text("22 of 22 respondents").wait_for()
    for title in PAGES:
        go(page, title)
