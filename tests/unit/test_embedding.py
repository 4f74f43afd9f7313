import shutil

import numpy as np
import pytest

from geogan_core.errors import DataNotFoundError
from geogan_core.evaluation.embedding import (
    Embedding,
    compute_embedding,
    embedding_images,
    embedding_key,
    ensure_embedding,
    load_embedding,
    region_of,
    save_embedding,
    separation,
)
from geogan_core.inference.generate import Explorer
from geogan_core.models.extract import discriminator_features


@pytest.fixture(scope="module")
def explorer(tiny_area, trained, tmp_path_factory):
    folder = tmp_path_factory.mktemp("emb") / "ckpt"
    shutil.copytree(trained / "ckpt", folder)
    return Explorer(tiny_area, folder)


class TestEmbedding:
    def test_compute_save_load_and_reuse(self, explorer, tmp_path):
        emb = compute_embedding(explorer, "cgan_disc", k=3, folder=tmp_path)
        n = len(explorer.data.view_loc) + explorer.data.n_locations
        assert emb.xy.shape == (n, 2) and set(emb.source) == {"real", "generated"}
        assert len(emb.clusters) == 3 and sum(c["size"] for c in emb.clusters) == n
        back = load_embedding("cgan_disc", tmp_path)
        assert np.array_equal(back.xy, emb.xy) and back.key == emb.key == embedding_key(explorer, "cgan_disc", 3)
        stamp = (tmp_path / "cgan_disc.npz").stat().st_mtime_ns
        ensure_embedding(explorer, "cgan_disc", k=3, folder=tmp_path)  # key matches: reused
        assert (tmp_path / "cgan_disc.npz").stat().st_mtime_ns == stamp
        stale = Embedding(**{**back.__dict__, "key": "old"})
        save_embedding(stale, tmp_path)
        fresh = ensure_embedding(explorer, "cgan_disc", k=3, folder=tmp_path)  # key differs: rebuilt
        assert fresh.key == emb.key and load_embedding("cgan_disc", tmp_path).key == emb.key
        imgs = embedding_images(explorer, emb, [0, n - 1])
        assert imgs.shape == (2, 64, 64, 3) and np.array_equal(imgs[0], explorer.data.views64[0])

    def test_missing(self, tmp_path):
        with pytest.raises(DataNotFoundError, match="python -m geogan_core features"):
            load_embedding("lite0", tmp_path)

    def test_features_deterministic_for_a_batch(self, explorer):
        d = explorer.data
        D = explorer.gan("modern").D
        a = discriminator_features(D, d.views64[:8], d.patches[d.view_loc[:8]])
        b = discriminator_features(D, d.views64[:8], d.patches[d.view_loc[:8]])
        assert np.array_equal(a, b)

    def test_separation_and_regions(self):
        rng = np.random.default_rng(0)
        y = rng.integers(0, 2, 300)
        x = rng.normal(size=(300, 5)) + 3 * y[:, None]
        good, bad = separation(x, y), separation(rng.normal(size=(300, 5)), y)
        assert good["knn5_accuracy"] > 0.95 > 0.7 > bad["knn5_accuracy"] and good["silhouette"] > bad["silhouette"]
        assert list(region_of(np.array([48.9, -33.9, 40.7]), np.array([2.3, 151.2, -74.0]))) == [
            "Europe", "Oceania", "North America"]
