"""A folium map in Streamlit renders and answers clicks with no request leaving 127.0.0.1."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from geogan_core.webmap.offline import DEFAULT_URL_PREFIX, missing_assets

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parents[1]
STATIC_DIR = REPO_ROOT / "static"
APP_SOURCE = E2E_DIR / "offline_map_app.py"
IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
# Files the browser must have fetched from static/vendor (fonts and images load lazily,
# only when a marker or control uses them, so these also prove the CSS-relative URLs).
MUST_LOAD = (
    "leaflet/leaflet.js",
    "leaflet/leaflet.css",
    "leaflet/images/marker-icon.png",
    "leaflet/images/marker-shadow.png",
    "jquery/jquery.min.js",
    "bootstrap/js/bootstrap.bundle.min.js",
    "leaflet.awesome-markers/js/leaflet.awesome-markers.js",
    "leaflet.awesome-markers/css/images/markers-soft.png",
    "leaflet.markercluster/leaflet.markercluster.js",
    "leaflet.markercluster/MarkerCluster.Default.css",
    "bootstrap3-glyphicons/css/bootstrap-glyphicons.css",
    "bootstrap3-glyphicons/fonts/glyphicons-halflings-regular.woff2",
    "fontawesome-free/css/all.min.css",
    "fontawesome-free/webfonts/fa-solid-900.woff2",
    "folium/leaflet.awesome.rotate.min.css",
)


@pytest.fixture
def offline_app(tmp_path: Path) -> Path:
    """The demo page copied into a folder whose static/ links to the repository's."""
    missing = missing_assets(STATIC_DIR)
    if missing:
        reason = (
            f"{len(missing)} vendored web assets missing under {STATIC_DIR / 'vendor'} "
            f"(e.g. {missing[0]}): run `make -f Makefile.static static/vendor/.stamp`"
        )
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    app_dir = tmp_path / "offline_app"
    app_dir.mkdir()
    shutil.copy2(APP_SOURCE, app_dir / APP_SOURCE.name)
    (app_dir / "static").symlink_to(STATIC_DIR, target_is_directory=True)
    return app_dir / APP_SOURCE.name


def test_folium_map_works_offline(offline_app: Path, streamlit_server, browser_page, tmp_path: Path) -> None:
    started = time.monotonic()
    base_url = streamlit_server(script=offline_app)
    page = browser_page
    screenshot = tmp_path / "offline_map.png"
    try:
        _check_map(page, base_url)
    except Exception as exc:  # playwright's TimeoutError too: add what the browser saw
        page.screenshot(path=str(tmp_path / "offline_map-failed.png"), full_page=True)
        raise AssertionError(
            f"{exc}\nconsole errors: {page.console_errors}\nfailed local requests: {page.failed_requests}"
            f"\nexternal requests: {page.external_requests}\nscreenshot: {tmp_path / 'offline_map-failed.png'}"
        ) from exc
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"\noffline map e2e: {time.monotonic() - started:.1f}s, screenshot {screenshot}")

    assert page.external_requests == [], f"requests left 127.0.0.1: {page.external_requests}"
    assert page.failed_requests == [], f"local requests failed: {page.failed_requests}"
    assert page.console_errors == [], f"errors in the browser console: {page.console_errors}"


def _check_map(page, base_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(base_url, wait_until="domcontentloaded")
    expect(page.get_by_text("local assets: True")).to_be_visible(timeout=60_000)

    iframe = page.locator(IFRAME)
    expect(iframe).to_have_count(1, timeout=60_000)
    frame = page.frame_locator(IFRAME)
    leaflet = frame.locator(".leaflet-container")
    # st_folium sizes its iframe only once the map script ran without error.
    expect(leaflet).to_be_visible(timeout=60_000)
    expect(frame.locator(".marker-cluster").first).to_be_visible()
    expect(frame.locator(".awesome-marker-icon-red i.glyphicon-info-sign")).to_have_count(1)
    expect(frame.locator(".awesome-marker-icon-green i.fa-camera.fa-rotate-30")).to_have_count(1)
    expect(frame.locator(".leaflet-control-layers")).to_be_visible()
    expect(frame.locator(".leaflet-image-layer")).to_have_count(1)
    expect(frame.locator("path.leaflet-interactive").first).to_be_visible()

    content = iframe.element_handle().content_frame()
    assert content is not None
    info = content.evaluate(
        """async () => {
            await document.fonts.ready;
            return {
                leaflet: window.L && L.version,
                cluster: typeof (window.L && L.markerClusterGroup),
                awesome: typeof (window.L && L.AwesomeMarkers),
                jquery: typeof window.jQuery,
                fonts: [...document.fonts].filter(f => f.status === "loaded").map(f => f.family),
                resources: performance.getEntriesByType("resource").map(e => e.name),
                leafletOverflow: getComputedStyle(document.querySelector(".leaflet-container")).overflow,
            };
        }"""
    )
    assert info["leaflet"] == "1.9.3"
    assert info["cluster"] == "function"
    assert info["awesome"] == "object"
    assert info["jquery"] == "function"
    assert info["leafletOverflow"] == "hidden", "leaflet.css was not applied"
    fonts = " ".join(info["fonts"])
    assert "Glyphicons Halflings" in fonts and "Font Awesome 6 Free" in fonts, info["fonts"]
    vendor_url = f"{base_url}/{DEFAULT_URL_PREFIX}/"
    loaded = {url.split("?")[0] for url in info["resources"]}
    not_loaded = [rel for rel in MUST_LOAD if vendor_url + rel not in loaded]
    assert not not_loaded, f"not fetched from {vendor_url}: {not_loaded}"

    # A click on an empty spot of the map reaches Python through st_folium.
    box = leaflet.bounding_box()
    assert box is not None
    leaflet.click(position={"x": 40, "y": box["height"] - 40})
    expect(page.get_by_text(re.compile(r"last_clicked: -?\d+\.\d+, -?\d+\.\d+"))).to_be_visible(timeout=30_000)
