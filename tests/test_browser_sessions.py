"""Twenty concurrent sessions on one server, each with its own upload, see only their own data."""

from __future__ import annotations

import pytest
from browser import chromium_path, exceptions, launch, running_app, settle

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed")]

SESSIONS = 20


def survey_with(n: int, tag: str) -> bytes:
    rows = "".join(f"{i},{i % 11},{1 + i % 5},{tag} comment {i}\n" for i in range(n))
    return ("id,Likelihood to recommend,Billing,Comment\n" + rows).encode()


@pytest.mark.timeout(600)
def test_twenty_sessions_each_see_their_own_upload(tmp_path):
    from playwright.sync_api import sync_playwright

    files = []
    for k in range(SESSIONS):
        path = tmp_path / f"survey_{k}.csv"
        path.write_bytes(survey_with(30 + k, f"session{k}"))
        files.append(path)
    with running_app(env={"CX_WORKBENCH_DB": str(tmp_path / "ws.sqlite")}) as url, sync_playwright() as pw:
        browser = launch(pw)
        pages = []
        for _ in range(SESSIONS):
            page = browser.new_context(viewport={"width": 1200, "height": 800}).new_page()
            page.goto(url + "/data")
            pages.append(page)
        for page in pages:
            settle(page, timeout=120_000)
        for page, path in zip(pages, files):  # all uploads in flight at once
            page.locator('.st-key-data_upload [data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
        for k, page in enumerate(pages):
            n = 30 + k
            page.get_by_text(f"{n} of {n} respondents").first.wait_for(timeout=120_000)
        for page in pages:
            page.locator('[data-testid="stSidebarNav"]').get_by_text("Overview", exact=True).click()
        for k, page in enumerate(pages):
            settle(page, timeout=120_000)
            n = 30 + k
            body = page.locator('[data-testid="stMain"]').inner_text()
            assert f"{n} of {n} respondents" in body
            others = [f"{30 + j} of {30 + j} respondents" for j in range(SESSIONS) if j != k]
            assert not any(o in body for o in others)
            assert not exceptions(page)
        browser.close()
