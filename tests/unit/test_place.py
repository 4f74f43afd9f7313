import shutil

import numpy as np
import pytest

from geogan_core.errors import CheckpointError
from geogan_core.inference.generate import Explorer
from geogan_core.inference.place import WELL_KNOWN_PLACES, gallery, places_figure


@pytest.fixture
def explorer(tiny_area, trained, tmp_path):
    shutil.copytree(trained / "ckpt", tmp_path / "ckpt")
    return Explorer(tiny_area, tmp_path / "ckpt")


class TestShowcase:
    def test_gallery_views_and_links(self, explorer):
        places = gallery(explorer, ["Moscow", "Kansas"], n=3)
        model = explorer.available()[0]
        assert [p.name for p in places] == ["Moscow", "Kansas"]
        for p in places:
            assert p.images.shape == (3, 64, 64, 3)
            assert p.query == {"lat": f"{p.lat:.5f}", "lon": f"{p.lon:.5f}", "seed": "0", "n": "16", "model": model}
            # the link reopens exactly these views: the Map page's generation at that place and seed
            assert np.array_equal(p.images, explorer.generate(p.lat, p.lon, n=3, seed=0, arch=model).images)
        assert not np.array_equal(places[0].images, places[1].images)  # the place changes the views

    def test_figure_has_a_block_per_cgan_and_a_row_per_place(self, explorer):
        fig = places_figure(explorer, n=2)
        cgans = [m for m in explorer.available() if m != "ugan"]
        rows, cols = len(WELL_KNOWN_PLACES), 2
        assert fig.ndim == 3 and fig.shape[0] >= rows * 64 and fig.shape[1] >= len(cgans) * cols * 64
        assert len(cgans) == 2

    def test_without_models(self, tiny_area, tmp_path):
        (tmp_path / "ckpt").mkdir()
        (tmp_path / "ckpt" / "manifest.json").write_text('{"models": {}}')
        with pytest.raises(CheckpointError, match="no trained model"):
            gallery(Explorer(tiny_area, tmp_path / "ckpt"), ["Moscow"])
        with pytest.raises(CheckpointError, match="no cGAN"):
            places_figure(Explorer(tiny_area, tmp_path / "ckpt"))


class TestDataUris:
    def test_photos_as_jpeg_and_transparency_as_png(self):
        import base64
        import io

        from PIL import Image

        from geogan_core.imaging import data_uris

        ramp = np.linspace(0, 255, 64)
        smooth = np.stack([np.add.outer(ramp, ramp) / 2, np.tile(ramp, (64, 1)), np.full((64, 64), 90)], 2)
        smooth = smooth.astype(np.uint8)
        rgba = np.dstack([smooth, np.full((64, 64), 128, np.uint8)])
        rgb_uri, rgba_uri = data_uris([smooth, rgba])
        assert rgb_uri.startswith("data:image/jpeg;base64,") and rgba_uri.startswith("data:image/png;base64,")
        back = np.asarray(Image.open(io.BytesIO(base64.b64decode(rgb_uri.split(",", 1)[1]))))
        assert back.shape == smooth.shape and np.abs(back.astype(int) - smooth).mean() < 3  # lossy but close
        lossless = np.asarray(Image.open(io.BytesIO(base64.b64decode(rgba_uri.split(",", 1)[1]))))
        assert np.array_equal(lossless, rgba)
