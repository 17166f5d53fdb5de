"""The main user journey in a real headless Chromium against the real app."""

from __future__ import annotations

import pytest
from browser import chromium_path, exceptions, launch, running_app, settle

pytestmark = [pytest.mark.browser, pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed")]

PAGES = ["Data", "Overview", "Key drivers", "Comments", "Root cause", "Revenue at risk", "Action plan", "Sampling",
         "Leading indicators", "Present"]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    with running_app(env={"CX_WORKBENCH_DB": str(tmp_path_factory.mktemp("ws") / "ws.sqlite")}) as url:
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
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
    settle(page)
    assert page.locator("h1").first.inner_text() == title
    assert not exceptions(page), (title, exceptions(page))


@pytest.mark.timeout(600)
def test_main_journey(page, tmp_path):
    """Upload a Qualtrics export, correct a role, visit every page, drill from a driver to its comments and from
    a Pareto bar to its verbatims, fill a 5 Whys, download the one-page PDF plan, reload and find the work."""
    import pypdf
    from survey_shapes import qualtrics_from_sample

    export = tmp_path / "acme_relationship_survey.csv"
    export.write_bytes(qualtrics_from_sample(1500))
    assert page.locator("h1").first.inner_text() == "Overview"
    page.wait_for_selector('[data-testid="stVegaLiteChart"] svg.marks')

    # 1. upload the Qualtrics export; its three header rows are understood
    go(page, "Data")
    page.locator('.st-key-data_upload [data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(export))
    page.get_by_text("1,500 of 1,500 respondents").first.wait_for(timeout=60_000)
    settle(page)
    page.get_by_text("Recognised a Qualtrics export").first.wait_for()

    # 2. correct one role: the response date is the end of the survey, not when it was recorded
    date_box = page.get_by_role("combobox", name="Response date").first
    date_box.click()
    date_box.fill("EndDate")
    page.get_by_role("option", name="EndDate", exact=True).click()
    page.get_by_role("button", name="Apply mapping").click()
    settle(page)
    page.get_by_text("Mapping applied to every page.").first.wait_for()
    page.get_by_text('Date "EndDate"').first.wait_for()

    # 3. every page opens without an exception
    for title in PAGES:
        go(page, title)

    # 4. click a driver in the importance–performance chart and land on its comments
    go(page, "Key drivers")
    page.wait_for_selector(".st-key-drivers_matrix svg.marks")
    page.locator('.st-key-drivers_matrix path[aria-label*="Driver: Billing accuracy"]').first.click(force=True)
    settle(page)
    assert page.locator(".st-key-drivers_pick input").input_value() == "Billing accuracy"
    page.locator(".st-key-drivers_read_comments button").first.click()
    settle(page)
    assert page.locator("h1").first.inner_text() == "Comments"
    page.get_by_text("driver: Billing accuracy").first.wait_for()
    assert not exceptions(page)

    # 5. click a Pareto bar and read its verbatims
    page.wait_for_selector(".st-key-comments_pareto svg.marks")
    bar = page.locator('.st-key-comments_pareto path[aria-roledescription="bar"][aria-label*="Billing errors"]')
    bar.first.click()
    settle(page)
    page.get_by_text("comments mention Billing errors").first.wait_for()
    assert not exceptions(page)

    # 6. fill a 5 Whys for that theme
    page.locator(".st-key-comments_five_whys button").first.click()
    settle(page)
    assert page.locator("h1").first.inner_text() == "Root cause"
    whys = ["Invoices show wrong unit prices", "The price list in billing is out of date",
            "Price changes are uploaded by hand", "No one owns the price list hand-off",
            "Invoices are released without a validation step"]
    for i, why in enumerate(whys):
        box = page.locator(f'[class*="st-key-rc_"][class*="_why{i}"] input').first
        box.fill(why)
        box.press("Enter")
        settle(page)
    name = page.locator('[class*="st-key-rc_"][class*="_name"] input').first
    name.fill("% invoices passing validation first time")
    name.press("Enter")
    settle(page)
    owner = page.locator('[class*="st-key-rc_"][class*="_owner"] input').first
    owner.fill("Head of billing operations")
    owner.press("Enter")
    settle(page)
    assert not exceptions(page)

    # 7. download the one-page PDF plan and check it
    go(page, "Action plan")
    with page.expect_download(timeout=120_000) as info:
        page.locator(".st-key-plan_dl_pdf button").first.click()
    pdf = tmp_path / "plan.pdf"
    info.value.save_as(pdf)
    reader = pypdf.PdfReader(pdf)
    text = " ".join(reader.pages[0].extract_text().split())
    assert len(reader.pages) == 1
    assert "Billing errors" in text and "validation" in text and "Head of billing operations" in text

    # 8. reload: the work is still there
    page.reload()
    settle(page)
    assert page.locator("h1").first.inner_text() == "Action plan"
    page.get_by_text("1,500 of 1,500 respondents").first.wait_for()
    go(page, "Root cause")
    assert page.locator('[class*="st-key-rc_"][class*="_why4"] input').first.input_value() == whys[4]
    assert not exceptions(page)


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
