import numpy as np

from geogan_core.data.paired import _cache_dir, load_paired
from geogan_core.data.splits import blocked_split


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


class TestBlockedSplit:
    def test_deterministic_and_blocked(self):
        rng = np.random.default_rng(1)
        lats, lons = rng.uniform(-60, 70, 500), rng.uniform(-180, 180, 500)
        a = blocked_split(lats, lons, 10, (0.7, 0.15, 0.15), seed=3)
        assert (a == blocked_split(lats, lons, 10, (0.7, 0.15, 0.15), seed=3)).all()
        assert not (a == blocked_split(lats, lons, 10, (0.7, 0.15, 0.15), seed=4)).all()
        cells = np.floor((lats + 90) / 10) * 1000 + np.floor((lons + 180) / 10)
        for c in np.unique(cells):
            assert len(set(a[cells == c])) == 1
        shares = np.bincount(a, minlength=3) / len(a)
        assert abs(shares[0] - 0.7) < 0.08 and shares[1] > 0.08 and shares[2] > 0.08
