import numpy as np

from geogan_core.data.paired import _cache_dir, load_paired
from geogan_core.data.splits import make_split


class TestPairedData:
    def test_build_counts_and_labels(self, tiny_area):
        data = load_paired(tiny_area)
        assert data.n_locations == 16 and data.views64.shape == (64, 64, 64, 3)
        assert data.views128.shape == (64, 128, 128, 3) and data.patches.dtype == np.float16
        assert data.patches.shape == (16, 5, 8, 8)
        assert any("corrupt.jpg" in why for _, why in data.skipped)
        assert (data.view_heading[:4] == [0, 1, 2, 3]).all() and (data.view_loc[:4] == 0).all()
        # every place has a label or a stated reason
        assert all((lab >= 0) or src in ("water", "nodata")
                   for lab, src in zip(data.loc_label, data.loc_label_source, strict=True))
        assert data.group_names[data.loc_label[0]] == "urban"

    def test_cache_reused_and_complete(self, tiny_area):
        load_paired(tiny_area)
        folder = _cache_dir(tiny_area)
        stamp = (folder / "meta.json").stat().st_mtime_ns
        load_paired(tiny_area)
        assert (folder / "meta.json").stat().st_mtime_ns == stamp
        assert not [p for p in folder.parent.iterdir() if p.name.startswith(".paired-")]

    def test_nearest_excludes(self, tiny_area):
        data = load_paired(tiny_area)
        idx, dist = data.nearest(51.5, -0.1, 2)
        assert idx[0] == 0 and dist[0] < 1
        idx, _ = data.nearest(51.5, -0.1, 1, exclude=np.arange(16) == 0)
        assert idx[0] != 0

    def test_place_views_are_slices_of_the_cache(self, tiny_area):
        data = load_paired(tiny_area)
        for i in (0, 7, data.n_locations - 1):
            for size in (64, 128):
                views = data.place_views(i, size)
                np.testing.assert_array_equal(views, data.views(size)[data.view_loc == i])
                assert np.shares_memory(views, data.views(size))  # no copy held by a cached report


class TestCellSplit:
    def test_deterministic_and_blocked(self):
        from geogan_core.config import SplitConfig

        rng = np.random.default_rng(1)
        lats, lons = rng.uniform(-60, 70, 500), rng.uniform(-180, 180, 500)
        cfg = SplitConfig(kind="cells", cell_deg=10, buffer_km=0, seed=3)
        a = make_split(cfg, lats, lons, np.full(500, "")).codes
        assert (a == make_split(cfg, lats, lons, np.full(500, "")).codes).all()
        other = SplitConfig(kind="cells", cell_deg=10, buffer_km=0, seed=4)
        assert not (a == make_split(other, lats, lons, np.full(500, "")).codes).all()
        cells = np.floor((lats + 90) / 10) * 1000 + np.floor((lons + 180) / 10)
        for c in np.unique(cells):
            assert len(set(a[cells == c])) == 1
        shares = np.bincount(a, minlength=3) / len(a)
        assert abs(shares[0] - 0.7) < 0.08 and shares[1] > 0.08 and shares[2] > 0.08

    def test_same_split_as_before_the_region_split(self):
        """``kind = "cells"`` must give exactly the split that the models before the region split trained on."""
        from geogan_core.config import SplitConfig

        def blocked_split(lats, lons, cell_deg, fractions, seed):  # the earlier implementation
            rows = np.floor((lats + 90.0) / cell_deg).astype(np.int64)
            cols = np.floor((lons + 180.0) / cell_deg).astype(np.int64)
            cells, inverse, counts = np.unique(rows * 100_000 + cols, return_inverse=True, return_counts=True)
            order = np.random.default_rng(seed).permutation(len(cells))
            target, filled = np.asarray(fractions, float) * len(lats), np.zeros(3)
            assign = np.zeros(len(cells), np.int8)
            for c in order:
                k = int(np.argmax(np.where(target > 0, (target - filled) / np.maximum(target, 1e-9), -np.inf)))
                assign[c], filled[k] = k, filled[k] + counts[c]
            return assign[inverse]

        rng = np.random.default_rng(7)
        lats, lons = rng.uniform(-89, 89, 800), rng.uniform(-180, 179.9, 800)
        for seed in (0, 3):
            cfg = SplitConfig(kind="cells", cell_deg=10, buffer_km=0, seed=seed)
            new = make_split(cfg, lats, lons, np.full(800, "")).codes
            assert (new == blocked_split(lats, lons, 10.0, (0.7, 0.15, 0.15), seed)).all()
