from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def test_home_page_shows_data_status(shared_data):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert "GeoGAN Explorer" in at.title[0].value
    labels = {m.label: m.value for m in at.metric}
    assert labels["Panoramas"] == "1,223"
    assert labels["Ground views"] == "4,892"
    # generated views at well-known places, each a link to that place on the Map page
    links = [el.proto for el in at.get("page_link")]
    assert [link.label for link in links] == ["Moscow", "Paris", "Kansas", "Australian outback"]
    assert all("lat=" in link.query_string and "lon=" in link.query_string for link in links)
    assert "lat=55.75000" in links[0].query_string and links[0].page.endswith("Map")
    assert sum(len(el.proto.imgs) for el in at.get("image")) == 4  # one 2 x 2 picture of views per place


def test_home_page_explains_missing_data(monkeypatch, tmp_path):
    monkeypatch.setenv("GEOGAN_DATA", str(tmp_path / "nowhere"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert any("data root" in w.value and "GEOGAN_DATA" in w.value for w in at.warning)
    assert not at.metric
