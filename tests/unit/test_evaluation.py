import json

import numpy as np
import pytest

from geogan_core.evaluation.evaluate import evaluate, fit_classifier, save_heads
from geogan_core.inference.generate import Explorer
from geogan_core.inference.votes import LandCoverHeads, idw, overhead_features, place_votes


class TestInterpolation:
    def test_never_uses_the_place_itself(self):
        bank_lat, bank_lon = np.array([0.0, 0.0, 10.0]), np.array([0.0, 1.0, 10.0])
        bank = np.array([[100.0], [1.0], [2.0]])
        out = idw(np.array([0.0]), np.array([0.0]), bank_lat, bank_lon, bank, k=1, exclude=np.array([0]))
        assert out[0, 0] == 1.0  # the next nearest, not its own 100
        assert idw(np.array([0.0]), np.array([0.0]), bank_lat, bank_lon, bank, k=1)[0, 0] == 100.0

    def test_weights_favour_near_places(self):
        out = idw(np.array([0.0]), np.array([0.0]), np.array([0.0, 0.0]), np.array([0.1, 5.0]),
                  np.array([[0.0], [1.0]]), k=2)
        assert 0 < out[0, 0] < 0.1

    def test_overhead_features_shape(self):
        assert overhead_features(np.random.rand(3, 9, 32, 32)).shape == (3, 9 * 18)


class TestClassifier:
    def test_planted_separable_near_perfect_random_near_chance(self):
        rng = np.random.default_rng(0)
        y = rng.integers(0, 2, 600)
        planted = rng.normal(size=(600, 20))
        planted[:, 3] += 4 * (y - 0.5)
        noise = rng.normal(size=(600, 20))
        tr, te = slice(0, 400), slice(400, 600)
        assert (fit_classifier(planted[tr], y[tr]).predict(planted[te]) == y[te]).mean() > 0.95
        assert abs((fit_classifier(noise[tr], y[tr]).predict(noise[te]) == y[te]).mean() - 0.5) < 0.12


class TestEvaluateTiny:
    def test_all_methods_with_intervals_and_heads(self, tiny_area, trained, tmp_path):
        import shutil

        shutil.copytree(trained / "ckpt", tmp_path / "ckpt")
        ex = Explorer(tiny_area, tmp_path / "ckpt")
        result = evaluate(ex, k=2, n_views=2, seeds=2, k_grid=(1, 2))
        json.dumps(result)
        assert set(result["methods"]) >= {"interpolated_features", "unconditional_gan", "cgan_images",
                                          "cgan_features", "overhead_only", "real_photos", "cgan_images_paper"}
        for m in result["methods"].values():
            lo, hi = m["ci95"]
            assert lo <= m["accuracy"] <= hi and m["n"] == result["n_test_places"]
        assert result["methods"]["cgan_features"]["runs"] == 2
        path = save_heads(ex, k=2, n_views=2)
        heads = LandCoverHeads.load(tmp_path / "ckpt")
        assert path.is_file() and set(heads.heads) >= {"overhead_only", "cgan_features", "interpolated_features"}
        patch, _ = ex.patch(51.5, -0.1)
        g = ex.generate(51.5, -0.1, n=2)
        votes = place_votes(heads, 51.5, -0.1, patch, g.images, ex.gan("modern").D, None)
        assert {v.method for v in votes} >= {"overhead_only", "cgan_features", "interpolated_features"}
        assert all(v.label in ("rural", "urban") and 0.5 <= v.confidence <= 1 for v in votes)
        # whichever model drew the views, the cGAN methods vote with the modern cGAN's views at the place
        shown = {v.method: v for v in ex.votes(51.5, -0.1, ex.generate(51.5, -0.1, n=2, arch="paper"))}
        assert shown == {v.method: v for v in ex.votes(51.5, -0.1, g)} and "cgan_features" in shown


class TestDenseMaps:
    def test_dense_maps_cover_land_and_are_cached(self, tiny_area, trained, tmp_path):
        import shutil

        import rasterio

        from geogan_core.evaluation.dense import dense_map_image, dense_maps, land_cells

        shutil.copytree(trained / "ckpt", tmp_path / "ckpt")
        ex = Explorer(tiny_area, tmp_path / "ckpt")
        save_heads(ex, k=2, n_views=2)
        out = dense_maps(ex, res_deg=10.0)
        cells = land_cells(ex, 10.0)
        lat, (h, w) = cells.lat, cells.shape
        assert out["land_cells"] == len(lat) and (h, w) == (18, 36) and out["crs"] == "EPSG:4326"
        assert set(out["methods"]) == {"interpolated_features", "cgan_features", "overhead_only"}
        for m in out["methods"].values():
            with rasterio.open(m["file"]) as src:
                p = src.read(1)
                assert src.crs.to_epsg() == 4326 and p.shape == (18, 36)
            assert np.isfinite(p).sum() == len(lat) and np.nanmin(p) >= 0 and np.nanmax(p) <= 1
            assert 0 <= m["balanced_accuracy"] <= 1
        assert dense_maps(ex, res_deg=10.0) == out  # from the cache
        assert dense_map_image(out["methods"]["overhead_only"]["file"]).shape == (18, 36, 3)


def test_a_regional_area_gets_dense_cells_in_its_own_crs(tiny_area, tmp_path):
    import dataclasses

    from geogan_core.evaluation.dense import land_cells

    regional = dataclasses.replace(tiny_area, name="regional", layers=(tiny_area.layers[2],))  # EPSG:3857 tile
    cells = land_cells(Explorer(regional, tmp_path), 0.5)
    assert cells.crs.to_epsg() == 3857 and cells.transform.a == pytest.approx(0.5 * 111_320.0)
    assert cells.shape == (36, 36) and len(cells.lat) > 0  # 2,000 km / 55.66 km
    assert np.all((cells.lat > 45) & (cells.lat < 60) & (cells.lon > -10) & (cells.lon < 10))
