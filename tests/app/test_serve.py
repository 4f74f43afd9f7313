"""ui/serve.py: the server's preload thread warms the explorer the pages share, and never raises."""

import pytest

import ui.serve
from geogan_core.errors import GeoGanError
from geogan_core.inference.generate import _shared_explorer, shared_explorer


@pytest.fixture(autouse=True)
def fresh_explorers():
    _shared_explorer.cache_clear()
    yield
    _shared_explorer.cache_clear()


def test_preload_warms_the_explorer_the_pages_get(monkeypatch, tiny_config, trained):
    monkeypatch.setenv("GEOGAN_CONFIG", str(tiny_config))
    monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(trained / "ckpt"))
    ui.serve.preload()
    explorer = shared_explorer()  # what a page's get_explorer() receives
    assert explorer._gans, "the default model was not loaded"
    assert "data" in vars(explorer)  # the photo cache is open (a cached_property)
    assert shared_explorer() is explorer


def test_preload_of_a_broken_study_area_leaves_the_message_to_the_pages(monkeypatch, tmp_path):
    monkeypatch.setenv("GEOGAN_CONFIG", str(tmp_path / "missing.toml"))
    ui.serve.preload()  # no exception from the thread: the pages show the error
    with pytest.raises(GeoGanError, match="missing.toml"):
        shared_explorer().warm_up()
