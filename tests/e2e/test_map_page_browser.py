"""The Map page in a real browser: a click on the map generates ground views, links reopen a place.

The real app (app.py) is started; nothing may leave 127.0.0.1. Click positions are
computed inside the component iframe with Leaflet itself (``latLngToContainerPoint``),
avoiding markers, clusters and controls (see ``harness.pick_map_point``).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from harness import (
    STREAMLIT_PROBE_RE,
    HarnessError,
    docs_screenshot,
    generated_images,
    pick_map_point,
    read_place,
    wait_for_map,
    wait_for_new_images,
    wait_for_place,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

# The first page load opens the data and, on a cold cache, renders the map overlays.
FIRST_LOAD_TIMEOUT_MS = 120_000
GENERATE_TIMEOUT_MS = 60_000
DEFAULT_VIEWS = 16
# Land places in wide, photo-less areas (few markers in the way), tried in order.
LAND_CANDIDATES = [(23.0, 10.0), (-24.0, 133.0), (45.0, 90.0), (-10.0, -60.0)]


def own_console_errors(page) -> list[str]:
    """Console errors but the 404s of Streamlit's own base-path probing (see harness)."""
    return [e["text"] + (f" ({e['url']})" if e["url"] else "") for e in page.console_error_details
            if not STREAMLIT_PROBE_RE.match(e["url"])]


def own_failed_requests(page) -> list[str]:
    return [f for f in page.failed_requests if not STREAMLIT_PROBE_RE.match(f.split(" ")[-1])]


def full_screenshot(page, path: Path) -> None:
    """A screenshot of the whole app (Streamlit scrolls inside its main block, not the document)."""
    height = page.evaluate(
        """() => { const m = document.querySelector('[data-testid="stMain"]') || document.body;
                   return Math.max(m.scrollHeight, window.innerHeight); }"""
    )
    page.set_viewport_size({"width": page.viewport_size["width"], "height": min(int(height) + 40, 6000)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(path), full_page=True)


def diagnose(page, tmp_path: Path, name: str, exc: Exception) -> AssertionError:
    shot = tmp_path / f"{name}-failed.png"
    try:
        page.screenshot(path=str(shot), full_page=True)
    except Exception:  # best effort only
        pass
    return AssertionError(
        f"{exc}\nurl: {page.url}\nplace: {read_place(page)}\ngenerated: {generated_images(page)}"
        f"\nconsole errors: {page.console_errors}\nfailed local requests: {page.failed_requests}"
        f"\nexternal requests: {page.external_requests}\nscreenshot: {shot}"
    )


def assert_offline_and_clean(page) -> None:
    assert page.external_requests == [], f"requests left 127.0.0.1: {page.external_requests}"
    assert own_failed_requests(page) == [], f"local requests failed: {page.failed_requests}"
    assert own_console_errors(page) == [], f"errors in the browser console: {page.console_errors}"


def test_click_on_map_generates_views(streamlit_server, browser_page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    started = time.monotonic()
    base_url = streamlit_server(script="app.py")
    page = browser_page
    try:
        page.goto(f"{base_url}/Map", wait_until="domcontentloaded")
        wait_for_map(page, timeout_ms=FIRST_LOAD_TIMEOUT_MS)
        expect(page.get_by_text("Click anywhere on the map")).to_be_visible(timeout=FIRST_LOAD_TIMEOUT_MS)
        loaded = time.monotonic()
        assert read_place(page) is None and generated_images(page) is None

        click = None
        for lat, lon in LAND_CANDIDATES:
            try:
                click = pick_map_point(page, lat, lon, max_shift_px=12)
                break
            except HarnessError:
                continue
        assert click is not None, f"every candidate place is covered by a marker: {LAND_CANDIDATES}"
        page.mouse.click(click.x, click.y)
        wait_for_place(page, click.lat, click.lon, timeout_ms=GENERATE_TIMEOUT_MS)
        block = wait_for_new_images(page, count=DEFAULT_VIEWS, timeout_ms=GENERATE_TIMEOUT_MS)
        clicked = time.monotonic()

        place = read_place(page)
        assert place is not None
        lat, lon, land = place
        assert abs(lat - click.lat) < 0.01 and abs(lon - click.lon) < 0.01, (place, click)
        assert re.search(r"\((urban|rural)\)$", land), f"no urban/rural group in the subheader: {land!r}"
        assert not land.startswith("Water"), f"clicked on water, not land: {land!r}"

        match = re.match(r"(\d+) generated ground views", block["text"])
        assert match and int(match[1]) == DEFAULT_VIEWS, block["text"]
        assert len(block["imgs"]) >= DEFAULT_VIEWS, block
        assert all(img["loaded"] and img["width"] > 0 for img in block["imgs"]), block

        # The votes table, then the nearest-photo table (static HTML tables) and the nearest
        # panoramas' views below it.
        expect(page.get_by_text("Nearest real photos")).to_be_visible()
        tables = page.locator('[data-testid="stTable"]')
        expect(tables).to_have_count(2)  # the methods' votes and the nearest photos
        table = tables.last
        expect(table).to_be_visible()
        rows = table.locator("tbody tr")
        assert rows.count() >= 2, f"no rows in the nearest-photo table: {table.inner_text()[:200]}"
        distance = rows.first.locator("td").first.inner_text().strip()
        assert re.match(r"^\d{1,3}(,\d{3})*\.\d$", distance), (distance, table.inner_text()[:200])  # "1,950.1"
        expect(page.locator('[data-testid="stImageCaption"]').filter(has_text=re.compile(r"^[\d,.]+ km$"))
               .first).to_be_visible()

        query = parse_qs(urlsplit(page.url).query)
        assert "lat" in query and "lon" in query, page.url
        assert abs(float(query["lat"][0]) - lat) < 1e-3 and abs(float(query["lon"][0]) - lon) < 1e-3, page.url
        assert query.get("n") == [str(DEFAULT_VIEWS)], page.url
    except Exception as exc:
        raise diagnose(page, tmp_path, "map_page", exc) from exc

    screenshot = tmp_path / "map_page.png"
    full_screenshot(page, screenshot)
    docs_screenshot(screenshot, "map_click")  # for the README (git-ignored)
    print(f"\nmap page e2e: first load {loaded - started:.1f}s, click to {DEFAULT_VIEWS} views "
          f"{clicked - loaded:.1f}s, place {lat:.4f}, {lon:.4f}: {land}; screenshot {screenshot}")
    assert_offline_and_clean(page)


def test_shared_link_reopens_place(streamlit_server, browser_page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    base_url = streamlit_server(script="app.py")
    page = browser_page
    try:
        page.goto(f"{base_url}/Map?lat=55.75&lon=37.62&n=4&seed=3", wait_until="domcontentloaded")
        wait_for_place(page, 55.75, 37.62, tol_deg=1e-3, timeout_ms=FIRST_LOAD_TIMEOUT_MS)
        block = wait_for_new_images(page, count=4, timeout_ms=GENERATE_TIMEOUT_MS)
        place = read_place(page)
        assert place is not None
        assert "Urban" in place[2], f"Moscow is not urban on the page: {place}"
        assert re.match(r"4 generated ground views \(\w+, seed 3,", block["text"]), block["text"]
        page.wait_for_timeout(500)  # no late extra images
        block = generated_images(page)
        assert block is not None and len(block["imgs"]) == 4, block
        wait_for_map(page)
        expect(page.get_by_text("Nearest real photos")).to_be_visible()
        query = parse_qs(urlsplit(page.url).query)
        assert query.get("n") == ["4"] and query.get("seed") == ["3"], page.url
        assert abs(float(query["lat"][0]) - 55.75) < 1e-6 and abs(float(query["lon"][0]) - 37.62) < 1e-6, page.url
    except Exception as exc:
        raise diagnose(page, tmp_path, "map_link", exc) from exc
    full_screenshot(page, tmp_path / "map_link.png")
    assert_offline_and_clean(page)


def test_home_page_links_open_their_place(streamlit_server, browser_page, tmp_path: Path) -> None:
    """The home page's generated views at well-known places: each name opens that place on the Map page."""
    from playwright.sync_api import expect

    base_url = streamlit_server(script="app.py")
    page = browser_page
    try:
        page.goto(base_url, wait_until="domcontentloaded")
        link = page.get_by_role("link", name="Paris")
        expect(link).to_be_visible(timeout=FIRST_LOAD_TIMEOUT_MS)
        # the navigation names the main page Home, not after its file
        expect(page.get_by_test_id("stSidebarNav").get_by_text("Home", exact=True)).to_be_visible()
        link.click()
        wait_for_place(page, 48.86, 2.35, tol_deg=1e-3, timeout_ms=FIRST_LOAD_TIMEOUT_MS)
        block = wait_for_new_images(page, count=DEFAULT_VIEWS, timeout_ms=GENERATE_TIMEOUT_MS)
        assert re.match(r"16 generated ground views \(\w+, seed 0,", block["text"]), block["text"]
        query = parse_qs(urlsplit(page.url).query)
        assert urlsplit(page.url).path.endswith("/Map") and query.get("lat") == ["48.86000"], page.url
    except Exception as exc:
        raise diagnose(page, tmp_path, "home_links", exc) from exc
    assert_offline_and_clean(page)
