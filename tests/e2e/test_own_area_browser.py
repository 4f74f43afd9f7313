"""The app on an own study area (``tests/own_area.py``) in a real browser.

``make run CONFIG=...`` in effect: the map opens on the area's box, and a click in it generates
views from that area's own checkpoints; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import pytest
from harness import _JS_MAP, pick_map_point, wait_for_map, wait_for_new_images, wait_for_place

from geogan_core.cli import main
from tests.own_area import build_own_area

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]


def test_app_opens_on_an_own_area(streamlit_server, browser_page, shared_data, tmp_path, monkeypatch) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import expect

    build_own_area(shared_data, tmp_path / "area")
    cfg, runs = tmp_path / "europe.toml", tmp_path / "runs"
    env = {"GEOGAN_CACHE": str(tmp_path / "cache"), "GEOGAN_CHECKPOINTS": str(tmp_path / "checkpoints")}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    area = tmp_path / "area"
    assert main(["area", "init", "--name", "europe", "--overhead", str(area / "rasters"), "--photos",
                 str(area / "photos"), "--landcover", str(area / "landcover_utm32.tif"), "--urban-classes", "13",
                 "--views-per-image", "4", "--out", str(cfg)]) == 0
    assert main(["train", "cgan", "--config", str(cfg), "--max-steps", "2", "--width", "8", "--batch-size", "8",
                 "--device", "cpu", "--run-dir", str(runs / "modern")]) == 0
    assert main(["export", "modern", "--config", str(cfg), "--runs", str(runs)]) == 0

    base_url = streamlit_server(script="app.py", env={**env, "GEOGAN_CONFIG": str(cfg)})
    page = browser_page
    page.goto(f"{base_url}/Map", wait_until="domcontentloaded")
    frame = wait_for_map(page, timeout_ms=180_000)
    # the page's first run has ended (a click during it can be lost on a busy machine)
    expect(page.get_by_text("Click anywhere on the map")).to_be_visible(timeout=180_000)
    lat, lng, zoom = frame.evaluate(f"() => {{ const m = {_JS_MAP}; const c = m.getCenter(); "
                                    "return [c.lat, c.lng, m.getZoom()]; }")
    assert 40 < lat < 57 and -10 < lng < 24 and zoom >= 3, (lat, lng, zoom)  # on the area, not the globe
    # A click while the page still reruns can be lost on a busy machine, and the same point again
    # sends the map no new value: each try clicks a little further along.
    for attempt in range(3):
        click = pick_map_point(page, 47.0 + 0.4 * attempt, 8.0 + 0.4 * attempt, max_shift_px=40)
        page.mouse.click(click.x, click.y)
        try:
            wait_for_place(page, click.lat, click.lon, tol_deg=0.2, timeout_ms=60_000)
            break
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
    block = wait_for_new_images(page, count=16, timeout_ms=180_000)
    assert len(block["imgs"]) >= 16 and all(img["loaded"] for img in block["imgs"]), block
    assert page.external_requests == [], page.external_requests
