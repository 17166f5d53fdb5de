"""Comments with links, e-mail addresses and Streamlit's colour and icon codes stay plain text in Chromium.

Escaping markdown punctuation is not enough there: the browser's markdown renderer turns a bare
"https://…", "www.…" or "name@host" into a live link, and Streamlit draws ":red[…]" in colour and
":material/…:" as an icon. Only the rendered page shows whether any of that happens.
"""

from __future__ import annotations

import pytest
from browser import chromium_path, exceptions, launch, running_app, settle

pytestmark = [pytest.mark.browser, pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed")]

COMMENT = ('Wrong invoice =HYPERLINK("http://evil.example/a","click") see www.evil.example, '
           "write to bad@evil.example :red[alarm] :material/warning: :smile: [x](https://evil.example/b) "
           "<script>alert(1)</script> &amp;")
# What the pages must show of it, character for character (both mask the e-mail address).
SHOWN = ('=HYPERLINK("http://evil.example/a","click") see www.evil.example, write to',
         ":red[alarm] :material/warning: :smile: [x](https://evil.example/b) <script>alert(1)</script> &amp;")


def survey() -> bytes:
    quoted = COMMENT.replace('"', '""')
    rows = "".join(f'{i},{i % 11},{1 + i % 5},EMEA,"{quoted} #{i}"\n' for i in range(40))
    return ("id,Likelihood to recommend,Billing,Region,Comment\n" + rows).encode()


def data_links(page) -> list[str]:
    """Links and icons inside the page's markdown that did not come from the app itself."""
    main = page.locator('[data-testid="stMain"]')
    hrefs = [a.get_attribute("href") or "" for a in main.locator('[data-testid="stMarkdownContainer"] a').all()]
    icons = main.locator('[data-testid="stMarkdownContainer"] [data-testid="stIconMaterial"]').all()
    return [h for h in hrefs if "evil" in h or h.startswith("mailto:")] + [i.inner_text() for i in icons]


def visible_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text().replace("\u2060", "")


@pytest.mark.timeout(300)
def test_links_and_codes_in_comments_stay_text_on_comments_and_present(tmp_path):
    from playwright.sync_api import sync_playwright

    path = tmp_path / "links.csv"
    path.write_bytes(survey())
    with running_app(env={"CX_WORKBENCH_DB": str(tmp_path / "ws.sqlite")}) as url, sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.goto(url + "/data")
        settle(page)
        page.locator('.st-key-data_upload [data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
        page.get_by_text("40 of 40 respondents").first.wait_for(timeout=60_000)

        page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Comments", exact=True).click()
        settle(page)
        page.get_by_role("combobox", name="Theme", exact=True).first.click()
        page.keyboard.press("ArrowDown")  # a click may only focus the box
        page.get_by_role("option", name="Billing errors (40 comments)").click()
        settle(page)
        assert not exceptions(page), exceptions(page)
        body = visible_text(page)
        assert SHOWN[0] in body and SHOWN[1] in body
        assert "\\" not in body.split("Verbatims", 1)[1].split("Download these verbatims")[0]
        assert not data_links(page)

        page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Present", exact=True).click()
        settle(page)
        assert not exceptions(page), exceptions(page)
        body = visible_text(page)
        assert SHOWN[0] in body and SHOWN[1] in body
        assert not data_links(page)
        browser.close()
