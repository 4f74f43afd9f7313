"""Every page opens in headless Chromium, offline, without an exception.

The full-page screenshots are kept in tmp_path and copied to docs/screenshots/<page>.png
(for the README; git-ignored, they show demo imagery).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import PAGES, docs_screenshot
from test_map_page_browser import diagnose, full_screenshot, own_failed_requests


@pytest.mark.timeout(600)
def test_every_page_opens_offline(streamlit_server, browser_page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    base_url = streamlit_server(script="app.py")
    page = browser_page
    for path, title, late_text in PAGES:
        try:
            page.goto(f"{base_url}/{path}", wait_until="domcontentloaded")
            expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=120_000)
            expect(page.get_by_text(late_text, exact=False).first).to_be_visible(timeout=180_000)
            assert page.locator('[data-testid="stException"]').count() == 0, f"exception on /{path}"
        except Exception as exc:
            raise diagnose(page, tmp_path, path or "home", exc) from exc
        shot = tmp_path / f"page_{path or 'home'}.png"
        full_screenshot(page, shot)
        docs_screenshot(shot, (path or "home").lower())
    assert page.external_requests == [], f"requests left 127.0.0.1: {page.external_requests}"
    # moving on to the next page aborts script chunks still loading: not a failure of the page
    failed = [r for r in own_failed_requests(page) if not r.startswith("net::ERR_ABORTED")]
    assert failed == [], f"local requests failed: {failed}"
