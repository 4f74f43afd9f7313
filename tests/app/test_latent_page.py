import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geogan_core.checkpoint import update_manifest
from geogan_core.evaluation.directions import fit_directions
from geogan_core.inference.generate import Explorer
from geogan_core.training.export import export_run
from geogan_core.training.run import train_command

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "2_Latent.py")


@pytest.fixture(scope="module")
def tiny_checkpoints(tiny_area, trained, tmp_path_factory):
    """Tiny GANs plus the shipped scene head and directions fitted for them."""
    folder = tmp_path_factory.mktemp("latent") / "ckpt"
    shutil.copytree(trained / "ckpt", folder)
    shutil.copy(ROOT / "checkpoints" / "scenes.pt", folder / "scenes.pt")
    update_manifest(folder, "scenes", {"file": "scenes.pt", "kind": "scenes"})
    fit_directions(Explorer(tiny_area, folder), samples=96, check=8, n_pca=3)
    train_command(tiny_area, "retrieval", epochs=2, run_dir=folder.parent / "retrieval")
    export_run("retrieval", folder.parent / "retrieval", folder)
    return folder


@pytest.fixture
def page(monkeypatch, tiny_config, tiny_checkpoints):
    monkeypatch.setenv("GEOGAN_CONFIG", str(tiny_config))
    monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(tiny_checkpoints))
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.query_params.update({"lat": "51.5", "lon": "-0.1", "n": "2"})
    return at


def _edited_urls(at):
    return [img.url for img in at.get("image")[3].proto.imgs]


class TestLatentPage:
    def test_slider_changes_images_and_reset_restores(self, page):
        at = page.run()
        assert not at.exception
        before = [img.url for img in at.get("image")[2].proto.imgs]  # original views
        same = _edited_urls(at)
        assert len(before) == 2 and len(same) == 2
        at.slider(key="e_snow").set_value(1.0).run()
        assert at.query_params["e_snow"] == "1"
        moved = _edited_urls(at)
        at.slider(key="d_forest").set_value(3.0).run()
        assert at.query_params["d_forest"] == "3"
        next(b for b in at.sidebar.button if b.label.startswith("Reset")).click().run()
        assert at.slider(key="e_snow").value == 0 and at.slider(key="d_forest").value == 0
        assert "e_snow" not in at.query_params
        assert _edited_urls(at) == same != moved

    def test_bad_link_values_are_clipped_with_a_note(self, page):
        page.query_params.update({"e_water": "5", "d_forest": "abc"})
        at = page.run()
        assert not at.exception
        text = " ".join(w.value for w in at.warning)
        assert "clipped" in text and "not a number" in text
        assert at.slider(key="e_water").value == 1.0

    def test_interpolation_gif(self, page):
        at = page.run()
        assert any(b.label == "Download GIF" for b in at.get("download_button"))

    def test_places_alike_from_above_follow_the_physical_sliders(self, page):
        at = page.run()

        def captions():
            return [img.caption for el in at.get("image") for img in el.proto.imgs
                    if img.caption.startswith("elsewhere")]

        before = captions()
        assert len(before) == 6 and all("similarity" in c for c in before)
        at.slider(key="e_snow").set_value(1.0).run()
        assert not at.exception and len(captions()) == 6 and captions() != before
