import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ui.click_map

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "1_Map.py")


@pytest.fixture
def click(monkeypatch, shared_data):
    """Replace the map component with one that reports a click at a chosen place.

    Like the real one, a new click lands in ``st.session_state[key]``, calls ``on_change`` and reruns:
    the page takes the place in the callback, so the rerun (of the map's fragment) already shows it.
    """
    import streamlit as st

    where = {}

    def fake_click_map(drawing, marker, center, height, key, on_change):
        served = json.loads((ROOT / "static" / "maps" / drawing["drawing_url"].rsplit("/", 1)[1]).read_text())
        assert drawing["drawing_url"].startswith("/app/static/maps/") and served["map_id"] in served["script"]
        assert height > 0
        value = where.get("at")
        if value and st.session_state.get(key) != value:
            st.session_state[key] = value
            on_change()
            st.rerun()
        return value

    monkeypatch.setattr(ui.click_map, "click_map", fake_click_map)
    return where


def _images(at):
    """All images shown, as (caption, url) pairs."""
    return [(img.caption, img.url) for el in at.get("image") for img in el.proto.imgs]


class TestMapPage:
    def test_no_place_yet(self, click):
        at = AppTest.from_file(PAGE, default_timeout=180).run()
        assert not at.exception
        assert any("Click anywhere" in i.value for i in at.info)

    def test_click_in_a_city(self, click):
        click["at"] = {"lat": 55.75, "lng": 37.62}
        at = AppTest.from_file(PAGE, default_timeout=180).run()
        assert not at.exception
        assert "Urban and built-up" in at.subheader[0].value
        assert any("generated ground views" in m.value for m in at.markdown)
        # patch layers, generated views, 4 alike places' real views, two nearest real panoramas
        assert len(_images(at)) == 5 + 16 + 4 * 4 + 2 * 4
        alike = [c.value for c in at.caption if c.value.startswith("Real photos taken elsewhere")]
        assert len(alike) == 4 and all("km away" in c and "similarity" in c for c in alike)
        assert any("Places that look like this from above" in m.value for m in at.markdown)
        assert not at.get("help")
        nearest = at.table[-1].value
        assert len(nearest) == 4 and float(nearest["distance (km)"].iloc[0].replace(",", "")) < 50
        assert at.query_params["lat"] == "55.75000" and at.query_params["n"] == "16"

    def test_click_in_the_ocean(self, click):
        click["at"] = {"lat": 0.0, "lng": -140.0}
        at = AppTest.from_file(PAGE, default_timeout=180).run()
        assert not at.exception
        assert any("water" in i.value and "guess" in i.value for i in at.info)
        assert any("km away" in i.value for i in at.info)

    @pytest.mark.parametrize("typed,message", [("north of here", "two numbers"), ("95, 10", "latitude 95 is outside")])
    def test_invalid_typed_coordinate(self, click, typed, message):
        at = AppTest.from_file(PAGE, default_timeout=180).run()
        at.sidebar.text_input[0].input(typed)
        next(b for b in at.sidebar.button if b.label == "Go").click().run()
        assert not at.exception
        assert any(message in e.value for e in at.error)
        assert any("Click anywhere" in i.value for i in at.info)  # nothing else changed

    def test_typed_coordinate_moves_the_place(self, click):
        at = AppTest.from_file(PAGE, default_timeout=180).run()
        at.sidebar.text_input[0].input("-25.0 133.0")
        next(b for b in at.sidebar.button if b.label == "Go").click().run()
        assert not at.exception
        assert at.subheader[0].value.startswith("-25.0000, 133.0000") and "rural" in at.subheader[0].value

    def test_a_link_to_another_place_wins_over_the_session(self, click):
        click["at"] = {"lat": 38.0, "lng": -97.0}
        at = AppTest.from_file(PAGE, default_timeout=180).run()
        assert at.subheader[0].value.startswith("38.0000, -97.0000")
        # arriving again with a link to Paris (the home page's links carry the place in the URL)
        at.query_params.update({"lat": "48.86000", "lon": "2.35000", "n": "3", "seed": "0"})
        at.run()
        assert not at.exception
        assert at.subheader[0].value.startswith("48.8600, 2.3500") and at.sidebar.slider[0].value == 3
        at.sidebar.slider[0].set_value(5).run()  # the page's own URL does not undo a widget change
        assert at.sidebar.slider[0].value == 5 and at.subheader[0].value.startswith("48.8600, 2.3500")

    def test_bad_link_parameters(self, click):
        at = AppTest.from_file(PAGE, default_timeout=180)
        at.query_params.update({"lat": "abc", "lon": "10", "n": "100000", "seed": "-4"})
        at.run()
        assert not at.exception
        text = " ".join(w.value for w in at.warning)
        assert "place was ignored" in text and "limit of 64" in text and "seed='-4'" not in text
        assert at.sidebar.slider[0].value == 64

    def test_every_change_of_n_and_seed_sticks(self, click):
        click["at"] = {"lat": 38.0, "lng": -97.0}
        at = AppTest.from_file(PAGE, default_timeout=180).run()
        for n in (5, 6):
            at.sidebar.slider[0].set_value(n).run()
            assert at.sidebar.slider[0].value == n and at.query_params["n"] == str(n)
        next(b for b in at.sidebar.button if b.label == "New samples").click().run()
        next(b for b in at.sidebar.button if b.label == "New samples").click().run()
        assert at.sidebar.number_input[0].value == 2 and at.query_params["seed"] == "2"
        assert not at.exception


def test_without_a_retrieval_memory_the_rest_still_works(click, monkeypatch, tmp_path):
    import json
    import shutil

    for f in (ROOT / "checkpoints").iterdir():
        if f.name != "retrieval.pt":
            shutil.copy2(f, tmp_path / f.name)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    del manifest["models"]["retrieval"]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(tmp_path))
    click["at"] = {"lat": 55.75, "lng": 37.62}
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not at.exception
    assert any("look alike are unavailable" in w.value and "train retrieval" in w.value for w in at.warning)
    assert len(_images(at)) == 5 + 16 + 2 * 4
