"""The load generator's protocol client (bench/streamlit_client.py) against a tiny Streamlit app it starts.

The app has a slider and a custom component inside a fragment (as the Latent and Map pages), a
large image each run (sent once, then referred to by hash), an image before and one after the
text a run is timed to, and a page that raises; no demo data and no browser are needed.
"""

from __future__ import annotations

import asyncio
import os
import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "bench"))

from harness import streamlit_app  # noqa: E402
from load import load_place  # noqa: E402
from proxy import COOKIE, apps_behind_proxy, nginx_conf, nginx_problem  # noqa: E402
from streamlit_client import ProtocolError, Session, json_state, slider_state, stream_url  # noqa: E402

PAUSE_S = 0.3  # the app's pause between the timed text and its image

APP = f'''
import time
from pathlib import Path

import numpy as np
import streamlit as st
import streamlit.components.v1 as components

pick = components.declare_component("pick", path=str(Path(__file__).parent / "pick"))


def took() -> None:
    st.session_state.took = st.session_state.pick


def home() -> None:
    st.title("Tiny")
    st.slider("Outside", 0, 10, 3, key="outside")
    st.image(np.zeros((4, 4, 3), np.uint8))  # an image before the timed text: not the one timed
    part()


@st.fragment
def part() -> None:
    level = st.slider("Level", 0.0, 1.0, 0.0, step=0.1, key="level")
    with st.expander("More"):
        st.slider("Hidden", 0, 5, 1, key="hidden")
    pick(key="pick", default=None, on_change=took)
    taken = st.session_state.get("took")
    st.markdown(f"**Timed** level {{level:g}} outside {{st.session_state.outside}} took {{taken}}")
    time.sleep({PAUSE_S})
    st.image(np.full((8, 8, 3), int(level * 200), np.uint8))
    st.code("0123456789" * 2000)  # 20 kB: a cacheable message
    st.query_params["level"] = f"{{level:g}}"


def broken() -> None:
    raise ValueError("broken on purpose")


st.navigation([st.Page(home, title="Home", default=True), st.Page(broken, title="Broken", url_path="broken")]).run()
'''


def tiny_app(folder: Path) -> Path:
    """Write the tiny app (and its component's page) into ``folder``; its script's path."""
    (folder / "pick").mkdir()
    (folder / "pick" / "index.html").write_text("<html><body>pick</body></html>")
    (folder / "app.py").write_text(APP)
    return folder / "app.py"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("tiny_app")
    with streamlit_app(tiny_app(folder), folder / "streamlit.log", timeout=60) as server:
        yield server.base_url


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def test_sessions_open_and_read_the_page(app_url):
    async def scenario():
        sessions = [Session(app_url, timeout_s=30) for _ in range(3)]
        runs = await asyncio.gather(*(s.open("", "from=test", image_after=r"^\*\*Timed") for s in sessions))
        for s, r in zip(sessions, runs, strict=True):
            assert r.status == "FINISHED_SUCCESSFULLY" and not r.errors
            assert r.texts[0] == "Tiny" and r.texts[1].startswith("**Timed** level 0 outside 3")
            assert r.images == 2
            level, hidden, pick = s.find("slider", "Level"), s.find("slider", key="hidden"), s.find(
                "component_instance", key="pick")
            outside = s.find("slider", "Outside")
            assert level.fragment_id and level.fragment_id == pick.fragment_id == hidden.fragment_id
            assert outside.fragment_id == "" and outside.key == "outside"
            assert s.inside(hidden, "expandable") and not s.inside(level, "expandable")
            assert s.value(level) == 0.0 and s.value(outside) == 3
            assert s.query_string == "from=test&level=0"
        await asyncio.gather(*(s.close() for s in sessions))

    run(scenario())


def test_widget_values_reach_the_script_in_fragment_runs(app_url):
    async def scenario():
        s = Session(app_url, timeout_s=30)
        await s.open()
        level = s.find("slider", "Level")
        r = await s.change(level, slider_state(level.id, 0.3), image_after=r"^\*\*Timed")
        assert r.status == "FINISHED_FRAGMENT_RUN_SUCCESSFULLY" and not r.errors
        assert r.texts == ["**Timed** level 0.3 outside 3 took None"]  # only the fragment ran
        assert s.value(level) == pytest.approx(0.3) and s.query_string == "level=0.3"
        pick = s.find("component_instance", key="pick")
        r = await s.change(pick, json_state(pick.id, {"lat": 1.5, "lng": 2.5}), image_after=r"^\*\*Timed")
        # the component's value reached its on_change callback before the run, and the slider kept its value
        assert r.texts == ["**Timed** level 0.3 outside 3 took {'lat': 1.5, 'lng': 2.5}"]
        await s.close()

    run(scenario())


def test_timings_count_from_the_request_to_the_image_after_the_text(app_url):
    async def scenario():
        s = Session(app_url, timeout_s=30)
        first = await s.open(image_after=r"^\*\*Timed")
        assert PAUSE_S <= first.first_image_s <= first.end_s  # the image before the text does not count
        level = s.find("slider", "Level")
        again = await s.change(level, slider_state(level.id, 0.5), image_after=r"^\*\*Timed")
        assert PAUSE_S <= again.first_image_s <= again.end_s < 10
        # the large message came once and then as a reference to the copy the client holds
        assert first.bytes > 20_000 and again.bytes < 10_000 and not again.errors
        await s.close()
        other = Session(app_url, timeout_s=30)
        untimed = await other.open()  # no text to wait for: the first image of all, before the pause
        assert untimed.first_image_s < PAUSE_S < untimed.end_s
        await other.close()

    run(scenario())


def test_errors_on_the_page_are_recorded(app_url):
    async def scenario():
        s = Session(app_url, timeout_s=30)
        r = await s.open("broken")
        await s.close()
        return r

    r = run(scenario())
    assert r.end_s is not None and any("broken on purpose" in e for e in r.errors)


def test_a_run_that_does_not_end_in_time_is_an_error(app_url):
    async def scenario():
        s = Session(app_url, timeout_s=PAUSE_S / 3)
        with pytest.raises(ProtocolError, match="did not finish"):
            await s.open()
        await s.close()

    run(scenario())


def test_only_local_servers():
    assert stream_url("http://127.0.0.1:8501") == "ws://127.0.0.1:8501/_stcore/stream"
    assert stream_url("http://127.0.0.1:8080/app/") == "ws://127.0.0.1:8080/app/_stcore/stream"
    for url in ("http://example.com:8501", "http://10.0.0.2:8501"):
        with pytest.raises(ValueError, match="only talks to 127.0.0.1"):
            stream_url(url)


def test_load_places_are_on_earth_and_never_repeat():
    places = [load_place(s, k) for s in range(1, 21) for k in range(300)]
    assert len(set(places)) == len(places)
    assert all(-90 <= lat <= 90 and -180 <= lon <= 180 for lat, lon in places)


def test_nginx_conf_keeps_sessions_on_their_process(tmp_path):
    conf = nginx_conf(tmp_path, 8080, [9001, 9002])
    assert "listen 127.0.0.1:8080;" in conf
    assert '"127.0.0.1:9001" 127.0.0.1:9001;' in conf and '"127.0.0.1:9002" 127.0.0.1:9002;' in conf
    assert "server 127.0.0.1:9001;" in conf and "server 127.0.0.1:9002;" in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf and "geogan_backend=$upstream_addr" in conf


def _served_by(url: str, cookie: str | None = None) -> str:
    """The process nginx sent a request to, as its cookie names it."""
    request = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200
        ours = [c for c in resp.headers.get_all("Set-Cookie") if c.startswith(f"{COOKIE}=")]
        return ours[0].split(";")[0].split("=", 1)[1]


def test_nginx_keeps_each_browser_on_its_process(tmp_path):
    """Needs Debian's nginx: skipped without it, failed under CI (``.ci/run`` installs it)."""
    problem = nginx_problem()
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    (tmp_path / "app").mkdir()
    with apps_behind_proxy(2, tmp_path, script=str(tiny_app(tmp_path / "app")), timeout=60) as app:
        health = f"{app.base_url}/_stcore/health"
        ports = {f"127.0.0.1:{s.port}" for s in app.servers}
        first = [_served_by(health) for _ in range(4)]  # no cookie yet: round robin
        assert set(first) == ports
        for backend in ports:  # the cookie keeps a browser where it began
            assert {_served_by(health, backend) for _ in range(3)} == {backend}
        assert _served_by(health, "127.0.0.1:1") in ports  # a forged cookie points nowhere else

        async def sessions_through_the_proxy():
            sessions = [Session(app.base_url, timeout_s=30) for _ in range(2)]
            for s in sessions:
                await s.open(image_after=r"^\*\*Timed")
                level = s.find("slider", "Level")
                r = await s.change(level, slider_state(level.id, 0.2))
                assert r.texts == ["**Timed** level 0.2 outside 3 took None"] and not r.errors
            await asyncio.gather(*(s.close() for s in sessions))

        run(sessions_through_the_proxy())
