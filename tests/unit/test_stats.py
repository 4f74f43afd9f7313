import numpy as np
import pytest

from geogan_core.evaluation.stats import (
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
        assert np.allclose(mean_pairwise_distance(same), 0)
        spread = np.stack([np.eye(3)[[0, 1, 2, 0]]])
        assert mean_pairwise_distance(spread)[0] > 0.9
