import numpy as np
import pytest

from geogan_core.evaluation.stats import (
    auc_ci,
    balanced_mean,
    bootstrap_ci,
    frechet_distance,
    kernel_inception_distance,
    mean_pairwise_distance,
)


class TestBootstrap:
    def test_contains_estimate_and_shrinks_with_n(self):
        rng = np.random.default_rng(0)
        small, large = rng.random(30) < 0.7, rng.random(3000) < 0.7
        lo_s, hi_s = bootstrap_ci(small)
        lo_l, hi_l = bootstrap_ci(large)
        assert lo_s <= small.mean() <= hi_s and lo_l <= large.mean() <= hi_l
        assert hi_l - lo_l < (hi_s - lo_s) / 3

    def test_balanced_mean_weighs_groups_equally(self):
        # a constant answer: right on all 90 places of one class, wrong on the 10 of the other
        values, groups = np.r_[np.ones(90), np.zeros(10)], np.r_[np.zeros(90), np.ones(10)]
        assert values.mean() == 0.9 and balanced_mean(values, groups) == 0.5
        lo, hi = bootstrap_ci(values, groups=groups)
        assert lo == hi == 0.5  # every resample holds both classes, each scored 1 and 0
        rng = np.random.default_rng(1)
        noisy = np.where(groups == 0, rng.random(100) < 0.8, rng.random(100) < 0.6).astype(float)
        lo, hi = bootstrap_ci(noisy, groups=groups)
        assert lo < balanced_mean(noisy, groups) < hi and hi - lo > 0.05


class TestDistances:
    def test_fid_zero_for_same_set_and_grows_with_shift(self):
        a = np.random.default_rng(0).normal(size=(400, 8))
        assert frechet_distance(a, a) == pytest.approx(0, abs=1e-6)
        assert frechet_distance(a, a + 1) == pytest.approx(8, rel=0.05)

    def test_kid_near_zero_for_same_distribution(self):
        rng = np.random.default_rng(1)
        a, b = rng.normal(size=(300, 16)), rng.normal(size=(300, 16))
        same, _ = kernel_inception_distance(a, b, subsets=5, size=100)
        shifted, _ = kernel_inception_distance(a, b + 2, subsets=5, size=100)
        assert abs(same) < 0.05 < shifted

    def test_pairwise_distance(self):
        same = np.ones((2, 4, 3))
        assert np.allclose(mean_pairwise_distance(same), 0, atol=1e-5)
        spread = np.stack([np.eye(3)[[0, 1, 2, 0]]])
        # pairs (0,1),(0,2),(1,2),(1,3),(2,3) are orthogonal unit vectors (sqrt 2 apart); (0,3) coincide
        assert np.isclose(mean_pairwise_distance(spread)[0], 5 * np.sqrt(2) / 6)


def test_auc_is_half_for_noise_one_for_perfect_and_below_half_when_inverted():
    rng = np.random.default_rng(0)
    y = np.arange(200) % 2 == 0
    auc, lo, hi = auc_ci(y + rng.normal(0, 0.1, 200), y)
    assert auc == 1.0 and lo == pytest.approx(1.0)
    auc, lo, hi = auc_ci(rng.normal(size=200), y)
    assert lo < 0.5 < hi and hi - lo < 0.25
    auc, lo, hi = auc_ci(-1.0 * y + rng.normal(0, 1, 200), y)
    assert hi < 0.5 and lo <= auc <= hi


class TestClusterBootstrap:
    def test_duplicating_places_within_regions_narrows_the_place_interval_but_not_the_region_one(self):
        rng = np.random.default_rng(0)
        per_region = rng.random(20) < 0.6  # one independent outcome per region
        values = np.repeat(per_region, 10).astype(float)  # ten copies of it in each region
        regions = np.repeat(np.arange(20), 10)
        lo_p, hi_p = bootstrap_ci(values)
        lo_c, hi_c = bootstrap_ci(values, clusters=regions)
        lo_1, hi_1 = bootstrap_ci(per_region.astype(float))
        # the copies add no information: the region interval matches one place per region ...
        assert hi_c - lo_c == pytest.approx(hi_1 - lo_1, abs=0.06)
        # ... while resampling places treats them as 200 independent draws
        assert hi_c - lo_c > 2 * (hi_p - lo_p)
        assert lo_c <= values.mean() <= hi_c

    def test_resamples_keep_whole_regions(self):
        from geogan_core.evaluation.stats import resamples

        regions = np.array([0, 0, 0, 1, 2, 2])
        for idx in resamples(6, 50, seed=1, clusters=regions):
            drawn = regions[idx]
            for r in np.unique(drawn):
                # every draw of a region brings all of its places
                assert (drawn == r).sum() % (regions == r).sum() == 0

    def test_auc_with_clusters(self):
        rng = np.random.default_rng(2)
        y = np.repeat(np.arange(30) % 2 == 0, 5)
        scores = np.repeat(rng.normal(size=30), 5) + y
        auc, lo, hi = auc_ci(scores, y, clusters=np.repeat(np.arange(30), 5))
        auc_p, lo_p, hi_p = auc_ci(scores, y)
        assert auc == auc_p and lo <= auc <= hi and hi - lo > hi_p - lo_p
