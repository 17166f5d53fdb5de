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
    page.locator('.st-key-data_upload [data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(shapes_dir / "qualtrics_labels.csv"))
    settle(page)
    page.get_by_text("22 of 22 respondents").first.wait_for()
    for title in PAGES:
        go(page, title)


def pick(page, label: str, option: str) -> None:
    """Choose an option in a Streamlit multiselect or selectbox found by its label."""
    page.get_by_role("combobox", name=label, exact=True).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    settle(page)


def test_work_survives_a_server_restart(tmp_path):
    from playwright.sync_api import sync_playwright

    env = {"CX_WORKBENCH_DB": str(tmp_path / "ws.sqlite")}
    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        with running_app(env=env) as url:
            page.goto(url)
            settle(page)
            pick(page, "Region", "EMEA")
            page.get_by_text("1,629 of 5,000 respondents").first.wait_for()
            address = page.url
        assert "ws=" in address
        with running_app(env=env) as url2:
            page.goto(url2 + address[address.index("/", 8):])
            settle(page)
            page.get_by_text("1,629 of 5,000 respondents").first.wait_for(timeout=20_000)
            assert not exceptions(page)
        browser.close()
