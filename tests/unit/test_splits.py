import dataclasses
from pathlib import Path

import numpy as np
import pytest

from geogan_core.config import SplitConfig
from geogan_core.data.splits import (
    DROPPED,
    MIN_TRAIN_VIEWS,
    TARGET_GROUPS,
    choose_batch,
    make_split,
    nearest_km,
    region_folds,
    region_names,
)
from geogan_core.errors import ConfigError


def _places(n_regions=30, per_region=12, seed=0):
    """Places in n_regions tight clusters scattered over the globe, each named by its region."""
    rng = np.random.default_rng(seed)
    centres = np.c_[rng.uniform(-60, 70, n_regions), rng.uniform(-180, 180, n_regions)]
    lat = np.repeat(centres[:, 0], per_region) + rng.normal(0, 0.5, n_regions * per_region)
    lon = np.repeat(centres[:, 1], per_region) + rng.normal(0, 0.5, n_regions * per_region)
    raw = np.repeat([f"roads in R{i}" for i in range(n_regions)], per_region)
    return lat, np.clip(lon, -180, 180), raw


ROOT = Path(__file__).resolve().parents[2]
CFG = SplitConfig(kind="regions", region_column="query", region_pattern=" in (.+)$", buffer_km=100.0)


class TestRegionSplit:
    def test_no_region_on_two_sides(self):
        lat, lon, raw = _places()
        split = make_split(CFG, lat, lon, raw)
        assert set(split.regions) == {f"R{i}" for i in range(30)}  # the pattern took the part after " in "
        for r in np.unique(split.regions):
            sides = set(split.codes[split.regions == r]) - {DROPPED}
            assert len(sides) <= 1, r

    def test_the_buffer_holds(self):
        lat, lon, raw = _places()
        # a training-sized region right next to every other one: its places must be dropped near them
        split = make_split(CFG, lat, lon, raw)
        train, held = split.codes == 0, np.isin(split.codes, (1, 2))
        d = nearest_km(lat[train], lon[train], lat[held], lon[held])
        assert d.min() >= CFG.buffer_km
        assert split.min_train_test_km >= CFG.buffer_km
        # the dropped places are exactly the training-side places inside the buffer
        dropped = split.codes == DROPPED
        if dropped.any():
            dd = nearest_km(lat[dropped], lon[dropped], lat[held], lon[held])
            assert dd.max() < CFG.buffer_km

    def test_buffer_drops_a_neighbour(self):
        lat = np.array([0.0, 0.0, 0.5, 40.0, 40.0, -40.0, -40.0])
        lon = np.array([0.0, 0.1, 0.0, 50.0, 50.1, 100.0, 100.1])
        raw = np.array(["a", "a", "b", "c", "c", "d", "d"])
        cfg = dataclasses.replace(CFG, region_pattern="", fractions=(0.5, 0.25, 0.25))
        for seed in range(20):
            split = make_split(dataclasses.replace(cfg, seed=seed), lat, lon, raw)
            a, b = split.codes[split.regions == "a"], split.codes[split.regions == "b"]
            if b[0] in (1, 2):  # region a (55 km away) cannot keep training places
                assert (a != 0).all()
            if a[0] in (1, 2):
                assert (b != 0).all()

    def test_deterministic_by_seed(self):
        lat, lon, raw = _places()
        a = make_split(CFG, lat, lon, raw).codes
        assert (a == make_split(CFG, lat, lon, raw).codes).all()
        # the order of the places does not matter
        perm = np.random.default_rng(5).permutation(len(lat))
        assert (a[perm] == make_split(CFG, lat[perm], lon[perm], raw[perm]).codes).all()
        assert not (a == make_split(dataclasses.replace(CFG, seed=1), lat, lon, raw).codes).all()

    def test_blank_region_rows_are_grouped_by_location(self):
        lat, lon, raw = _places()
        raw = raw.copy()
        raw[:40] = ""
        names, n, km, why = region_names(raw, lat, lon, CFG)
        assert n == 40 and all(x.startswith("location cluster") for x in names[:40])
        assert km == CFG.region_km and why.startswith("[split].region_km = 1000 km")
        # places of one true region (12 within a few km) share one cluster
        assert len(set(names[:12])) == 1
        split = make_split(CFG, lat, lon, raw)
        assert split.n_location_grouped == 40

    def test_cells_kind_keeps_whole_cells(self):
        lat, lon, raw = _places()
        split = make_split(dataclasses.replace(CFG, kind="cells", buffer_km=0), lat, lon, raw)
        cells = np.floor((lat + 90) / 10) * 1000 + np.floor((lon + 180) / 10)
        for c in np.unique(cells):
            assert len(set(split.codes[cells == c])) == 1


def _spread_out(n, lat, lon, km, seed=0):
    """n unnamed places scattered uniformly over about km x km around (lat, lon)."""
    rng = np.random.default_rng(seed)
    d = km / 111.32 / 2
    return (lat + rng.uniform(-d, d, n), lon + rng.uniform(-d, d, n) / np.cos(np.radians(lat)), np.full(n, ""))


def _widest_km(lat, lon):
    return max(nearest_km(lat[i:i + 1], lon[i:i + 1], lat[j:j + 1], lon[j:j + 1])[0]
               for i in range(len(lat)) for j in range(i + 1, len(lat))) if len(lat) > 1 else 0.0


class TestTheAreasOwnScale:
    """Unnamed places are grouped at a scale taken from the area, so that the split comes near its fractions."""

    CFG = SplitConfig(region_km=1000.0, buffer_km=0.5)

    @pytest.mark.parametrize("n, km", [(20, 30.0), (60, 1500.0), (500, 400.0)])
    def test_enough_groups_for_the_fractions(self, n, km):
        lat, lon, raw = _spread_out(n, 48.0, 8.0, km)
        split = make_split(self.CFG, lat, lon, raw)
        assert split.summary()["regions"] == TARGET_GROUPS
        train = (split.codes == 0).mean()
        assert 0.5 <= train <= 0.8 and (split.codes == 1).any() and (split.codes == 2).any()
        # the groups are as wide as the split says, well under the region_km made for the world
        assert split.location_km < km and "the area's own scale" in split.location_why
        assert split.summary()["location_scale_km"] == round(split.location_km, 3)
        for r in np.unique(split.regions)[:4]:
            m = split.regions == r
            assert _widest_km(lat[m][:40], lon[m][:40]) <= split.location_km * 1.05

    def test_region_km_that_already_makes_enough_groups_is_kept(self):
        lat, lon, raw = _spread_out(40, 48.0, 8.0, 300.0)
        split = make_split(dataclasses.replace(self.CFG, region_km=40.0), lat, lon, raw)
        assert split.location_km == 40.0 and split.location_why.startswith("[split].region_km = 40 km:")

    def test_named_regions_are_not_grouped(self):
        lat, lon, raw = _places()
        split = make_split(CFG, lat, lon, raw)
        assert split.location_km == 0 and "location_scale" not in split.summary()

    def test_the_world_demo_split_is_unchanged(self, shared_data):
        import hashlib

        from geogan_core.config import load_config
        from geogan_core.data.photos import read_photo_table

        area = load_config(ROOT / "configs" / "world.toml")
        rows = read_photo_table(area.photos.csv).records
        lat, lon = np.array([r.lat for r in rows]), np.array([r.lon for r in rows])
        raw = np.array([(r.extra.get(area.split.region_column) or "").strip() for r in rows])
        split = make_split(area.split, lat, lon, raw)
        digest = hashlib.sha1(split.codes.astype(np.int8).tobytes() + "|".join(split.regions).encode()).hexdigest()
        assert digest == "b747b65efd9941dd8ef071a9fcb8008fb1bf5199"  # the codes and regions before issue 22
        assert split.summary()["sides"]["train"] == {"regions": 64, "places": 767}


class TestChooseBatch:
    @pytest.mark.parametrize("views, batch", [(4, 4), (11, 4), (20, 8), (48, 16), (100, 32), (128, 64), (5000, 64)])
    def test_at_most_half_the_training_views(self, views, batch):
        assert choose_batch(views) == batch

    def test_never_more_than_asked(self):
        assert choose_batch(5000, 48) == 48 and choose_batch(20, 6) == 6

    def test_too_few_to_train_at_all(self):
        with pytest.raises(ConfigError, match=rf"only 3 training view\(s\), and a GAN step needs at least "
                                              rf"{MIN_TRAIN_VIEWS}; add photos"):
            choose_batch(3)


class TestSplitErrors:
    def test_fewer_photos_than_sides(self):
        with pytest.raises(ConfigError, match=r"only 2 photo\(s\), and a split needs at least 3 places apart"):
            make_split(CFG, np.array([10.0, 20.0]), np.array([0.0, 0.0]), np.array(["", ""]))

    def test_every_photo_in_one_place(self):
        lat, lon = np.full(9, 47.5), np.full(9, 11.5)
        with pytest.raises(ConfigError, match=r"all 9 photos lie within about .* km of each other"):
            make_split(CFG, lat, lon, np.full(9, ""))

    def test_photos_at_two_places(self):
        lat, lon = np.r_[np.full(5, 47.5), np.full(5, 48.5)], np.full(10, 11.5)
        with pytest.raises(ConfigError, match=r"the 10 photos lie at only 2 places apart, and a split needs 3"):
            make_split(CFG, lat, lon, np.full(10, ""))

    def test_buffer_that_empties_train(self):
        lat, lon, raw = _places(n_regions=5, per_region=4)
        with pytest.raises(ConfigError, match=r"train side of the split is empty.*buffer_km"):
            make_split(dataclasses.replace(CFG, buffer_km=30_000), lat, lon, raw)

    def test_too_few_regions(self):
        lat, lon, raw = _places(n_regions=2, per_region=4)
        with pytest.raises(ConfigError, match=r"side of the split is empty: only 2 region"):
            make_split(CFG, lat, lon, raw)

    def test_fewer_regions_than_folds(self):
        with pytest.raises(ConfigError, match=r"--folds 5 needs at least 5 regions"):
            region_folds(np.array(["a", "b", "c"]), 5, 0)

    def test_folds_keep_whole_regions_and_balance(self):
        lat, lon, raw = _places()
        names = region_names(raw, lat, lon, CFG).names
        folds = region_folds(names, 5, 0)
        assert set(folds) == set(range(5))
        for r in np.unique(names):
            assert len(set(folds[names == r])) == 1
        counts = np.bincount(folds)
        assert counts.max() - counts.min() <= 2 * 12

    def test_unknown_kind_in_config(self, tmp_path):
        from geogan_core.config import load_config
        from tests.conftest import make_area

        cfg = make_area(tmp_path)
        cfg.write_text(cfg.read_text().replace("[split]\n", '[split]\nkind = "blocks"\n'))
        with pytest.raises(ConfigError, match=r"\[split\].kind must be one of"):
            load_config(cfg)
