"""Presentation mode in a real headless Chromium: every screen fits a projector, keys move, downloads work."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from browser import chromium_path, exceptions, launch, running_app, settle

pytestmark = [pytest.mark.browser, pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed")]

CANVASES = [
    {"id": "b1", "theme": "Billing errors", "scope": "Overall",
     "whys": ["wrong amounts", "price table out of date", "no sync after price changes", "manual upload",
              "invoices released without validation"],
     "diamond": "invoice release check",
     "indicator": {"name": "% invoices right first time", "owner": "Finance ops", "due": "2027-01-31"}},
    {"id": "b2", "theme": "Returns and credits", "scope": "Logistics", "whys": ["credit notes wait for approval"],
     "indicator": {"name": "days to a credit note", "due": "2027-03-31"}},
]
SIZES = {(1366, 768): "1366 × 768 (projector)", (1920, 1080): "1920 × 1080 (full HD)"}
CHART = '[data-testid="stVegaLiteChart"]'


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app on a workspace database of its own (each test adds the workspace it opens)."""
    db = tmp_path_factory.mktemp("present_ws") / "ws.sqlite"
    with running_app(env={"CX_WORKBENCH_DB": str(db)}) as url:
        yield url, db


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return tmp_path_factory.mktemp("present_screens")


def open_present(pw, app, size, **keys):
    """A new workspace on the sample survey with the 5 Whys canvases, opened on the Present page."""
    from cx.workspace import WorkspaceStore

    url, db = app
    wid = WorkspaceStore(db).create("desk-present", "offsite", "sample_survey.csv",
                                    settings={"work": {"root_causes": CANVASES},
                                              "keys": {"present_screen_size": SIZES[size], **keys}})
    browser = launch(pw)
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{url}/present?desk=desk-present&ws={wid}")
    settle(page)
    assert not exceptions(page), exceptions(page)
    return browser, page


def counter(page) -> str:
    return page.locator(".st-key-present_counter").inner_text()


def counter_shows(page, prefix: str) -> bool:
    """Whether the screen counter comes to start with ``prefix``: on a busy machine a key's rerun can start
    after `settle` has already seen the page quiet."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            "p => (document.querySelector('.st-key-present_counter')?.innerText || '').startsWith(p)",
            arg=prefix, timeout=20_000)
    except PlaywrightTimeout:
        return False
    settle(page)
    return True


@pytest.mark.parametrize("size", list(SIZES), ids=["1366x768", "1920x1080"])
def test_every_screen_fits_without_scrolling_a_chart_out_of_view(app, shots, size):
    from playwright.sync_api import sync_playwright

    width, height = size
    with sync_playwright() as pw:
        browser, page = open_present(pw, app, size)
        page.locator(".st-key-present_mode label").click()
        settle(page)
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
        assert not page.get_by_role("heading", name="Present").is_visible()
        for k in range(1, 7):
            assert counter_shows(page, f"{k} / 6"), counter(page)
            page.wait_for_selector(f"{CHART} svg.marks", timeout=30_000)
            page.wait_for_timeout(300)
            page.screenshot(path=str(shots / f"screen_{k}_{width}x{height}.png"))
            charts = page.locator(CHART).all()
            assert len(charts) == 1
            box = charts[0].bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
            assert box["y"] >= 0 and box["y"] + box["height"] <= height, box
            assert not exceptions(page), exceptions(page)
            if k == 2:
                page.locator(".st-key-present_next button").click()  # the button works as well as the key
            elif k < 6:
                page.keyboard.press("ArrowRight")
            settle(page)
        assert page.locator(".st-key-present_next button").is_disabled()
        page.keyboard.press("ArrowLeft")
        assert counter_shows(page, "5 / 6"), counter(page)
        page.keyboard.press("PageUp")  # what a presenter's remote sends
        assert counter_shows(page, "4 / 6"), counter(page)
        page.keyboard.press("PageDown")
        assert counter_shows(page, "5 / 6"), counter(page)
        browser.close()
    assert len(list(shots.glob(f"screen_*_{width}x{height}.png"))) == 6


def test_what_if_slider_follows_the_keyboard_on_the_money_screen(app):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser, page = open_present(pw, app, (1366, 768), present_mode=True, present_index=4)
        assert counter(page).startswith("5 / 6")
        takeaway = page.locator(".st-key-present_takeaway")
        assert "winning back 10% of them" in takeaway.inner_text()
        page.locator(".st-key-present_convert_share input").first.focus()
        page.keyboard.press("ArrowRight")  # on the focused slider the arrow moves the slider, not the screen
        settle(page)
        page.wait_for_function(
            "() => document.querySelector('.st-key-present_takeaway').innerText.includes('winning back 15%')",
            timeout=20_000)
        assert counter(page).startswith("5 / 6")
        browser.close()


def test_chart_picture_and_deck_download(app):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    with sync_playwright() as pw:
        browser, page = open_present(pw, app, (1366, 768))
        page.wait_for_selector(f"{CHART} svg.marks", timeout=30_000)
        png_button = page.locator(".st-key-present_preview_nps_png button")
        for attempt in range(3):  # a click while the page still lays itself out can miss (about 1 in 4 here)
            try:
                page.get_by_role("button", name="Download chart").first.click()
                png_button.wait_for(state="visible", timeout=5_000)
                with page.expect_download(timeout=15_000) as png:
                    png_button.click()
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
                page.keyboard.press("Escape")
                settle(page)
        assert png.value.suggested_filename.endswith(".png")
        assert Path(png.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        page.keyboard.press("Escape")
        with page.expect_download(timeout=60_000) as pdf:
            page.get_by_role("button", name="Deck (PDF)").click()
        reader = PdfReader(io.BytesIO(Path(pdf.value.path()).read_bytes()))
        assert len(reader.pages) == 6
        assert "What is it worth?" in reader.pages[4].extract_text()
        browser.close()
