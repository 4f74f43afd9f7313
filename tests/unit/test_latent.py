import shutil

import numpy as np
import pytest
import torch

from geogan_core.errors import InvalidRequestError
from geogan_core.inference.generate import Explorer, LatentEditor
from geogan_core.inference.latent import PHYSICAL_EDITS, Directions, edit_condition, fit_direction, project_out, slerp

NAMES = ["summer.r", "summer.g", "summer.b", "night_lights", "elevation", "water"]


class TestConditionEdits:
    def test_zero_strength_is_bit_identical(self):
        patch = np.random.default_rng(0).random((6, 8, 8)).astype(np.float32)
        assert edit_condition(patch, NAMES, {k: 0.0 for k in PHYSICAL_EDITS}) is patch

    def test_more_water_raises_water_and_darkens_towards_blue(self):
        patch = np.full((6, 8, 8), 0.5, np.float32)
        out = edit_condition(patch, NAMES, {"water": 1.0})
        assert (out[5] == 1).all() and out[2].mean() < 0.5 and out[0].mean() < out[2].mean()
        less = edit_condition(patch, NAMES, {"night_lights": -0.5})
        assert less[3].mean() == pytest.approx(0.25)

    def test_bad_edit(self):
        with pytest.raises(InvalidRequestError, match="unknown edit"):
            edit_condition(np.zeros((6, 4, 4)), NAMES, {"lava": 1.0})
        with pytest.raises(InvalidRequestError, match=r"\[-1, 1\]"):
            edit_condition(np.zeros((6, 4, 4)), NAMES, {"water": 2.0})


class TestDirections:
    def test_recovers_a_planted_direction(self):
        rng = np.random.default_rng(0)
        planted = rng.normal(size=32)
        planted /= np.linalg.norm(planted)
        w = rng.normal(size=(2000, 32)) * rng.uniform(0.5, 2, 32)
        scores = w @ planted + 0.1 * rng.normal(size=2000)
        found = fit_direction(w, scores)
        assert found @ planted > 0.9

    def test_keep_others_projects_out(self):
        a, b = np.array([1.0, 0.0, 0.0]), np.array([0.6, 0.8, 0.0])
        d = Directions(["a", "b"], np.stack([a, b]), np.ones(2), ["semantic", "semantic"])
        off = d.offset({"b": 1.0}, keep_others=True)
        assert abs(off @ a) < 1e-6 and np.allclose(project_out(b, a[None]), [0, 1, 0])
        with pytest.raises(InvalidRequestError):
            d.offset({"zzz": 1.0})

    def test_slerp_endpoints(self):
        a, b = torch.randn(1, 10), torch.randn(1, 10)
        assert torch.equal(slerp(a, b, 0.0), a) and torch.equal(slerp(a, b, 1.0), b)
        mid = slerp(a, b, 0.5)
        assert abs(mid.norm() - (a.norm() + b.norm()) / 2) < 0.5 * a.norm()


class TestEditor:
    @pytest.fixture
    def editor(self, tiny_area, trained, tmp_path):
        shutil.copytree(trained / "ckpt", tmp_path / "ckpt")
        return LatentEditor(Explorer(tiny_area, tmp_path / "ckpt"))

    def test_zero_edit_equals_generate(self, editor):
        views, _ = editor.views(51.5, -0.1, 3, 7, edits={"water": 0.0})
        assert np.array_equal(views, editor.ex.generate(51.5, -0.1, n=3, seed=7).images)
        changed, edited = editor.views(51.5, -0.1, 3, 7, edits={"snow": 1.0})  # tiny area: rgb, gray, merc
        assert not np.array_equal(changed, views) and edited[:3].mean() > 0.9

    def test_interpolation_endpoints(self, editor):
        frames = editor.between_seeds(51.5, -0.1, 3, 9, k=4)
        first = editor.ex.generate(51.5, -0.1, n=1, seed=3).images[0]
        last = editor.ex.generate(51.5, -0.1, n=1, seed=9).images[0]
        assert len(frames) == 4 and np.abs(frames[0].astype(int) - first).max() <= 1
        assert np.abs(frames[-1].astype(int) - last).max() <= 1
        places = editor.between_places((51.5, -0.1), (-25.0, 133.0), k=3, seed=1)
        assert np.abs(places[0].astype(int) - editor.ex.generate(51.5, -0.1, n=1, seed=1).images[0]).max() <= 1
        with pytest.raises(InvalidRequestError):
            editor.between_seeds(0, 0, 1, 2, k=100)

    def test_directions_need_shipped_file(self, editor):
        with pytest.raises(InvalidRequestError, match="directions"):
            editor.views(51.5, -0.1, 2, 0, moves={"forest": 1.0})
