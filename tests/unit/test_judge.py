"""The independent judge and the scores it gives generated views."""

import numpy as np
import pytest
import torch
from torch import nn

from geogan_core.checkpoint import judge_from_checkpoint
from geogan_core.data.paired import load_paired
from geogan_core.evaluation import judge_metrics as jm
from geogan_core.models.extract import judge_probs
from geogan_core.models.judge import Judge
from geogan_core.training.judge import train_judge


class ColourJudge(nn.Module):
    """A judge that knows the tiny area: its urban views are grey (no spread between channels)."""

    n_classes, feature_dim = 2, 4

    def features(self, x):
        return torch.cat([x.mean((2, 3)), x.mean((2, 3)).std(1, keepdim=True)], 1)

    def head(self, f):
        return torch.stack([f[:, 3] * 20 - 1, 1 - f[:, 3] * 20], 1)


@pytest.fixture(scope="module")
def data(tiny_area):
    return load_paired(tiny_area)


@pytest.fixture(scope="module")
def ctx(data):
    return jm.judge_context(ColourJudge(), data)


def _own_views(data, ctx, per_place):
    return np.concatenate([data.views(64)[data.view_loc == p][:per_place] for p in ctx.places])


def test_judge_trains_and_round_trips(data, tmp_path):
    path = train_judge(data, tmp_path, epochs=2, batch_size=8, max_steps=3)
    judge, ckpt = judge_from_checkpoint(path)
    assert ckpt["metrics"]["epoch_chosen"] in (1, 2) and ckpt["data"]["key"] == data.key
    prob, feats = judge_probs(judge, data.views(128)[:5])
    assert prob.shape == (5, 2) and np.allclose(prob.sum(1), 1) and feats.shape == (5, judge.feature_dim)
    assert Judge(2, 8)(torch.zeros(3, 3, 64, 64)).shape == (3, 2)


def test_real_views_of_each_place_carry_the_condition(data, ctx):
    assert set(ctx.labels.tolist()) == {0, 1}
    assert jm.real_scores(ctx)["auc"] == 1.0
    own = _own_views(data, ctx, 2)
    same = np.repeat(own[::2][:1], len(ctx.places) * jm.PLACE_NOISES, 0)
    scores = jm.model_scores(ctx, own, same, per_place=2)
    assert scores["auc"] == 1.0 and scores["paired_vs_shuffled"] > 0.2
    assert scores["paired_vs_shuffled_ci95"][0] > 0
    assert scores["precision"] == 1.0 and scores["place_distance"] == 0.0


def test_views_that_ignore_the_place_show_no_condition(data, ctx):
    one = _own_views(data, ctx, 1)[:1]
    constant = np.repeat(one, len(ctx.places) * 2, 0)
    scores = jm.model_scores(ctx, constant, np.repeat(one, len(ctx.places) * jm.PLACE_NOISES, 0), per_place=2)
    assert abs(scores["paired_vs_shuffled"]) < 1e-6 and scores["diversity"] == 0.0
    assert scores["recall"] < 0.5


def test_memorised_training_views_are_flagged(data, ctx):
    train = data.views(64)[data.view_mask("train")]
    fake = train[np.arange(len(ctx.places) * 2) % len(train)]
    scores = jm.model_scores(ctx, fake, fake[: len(ctx.places) * jm.PLACE_NOISES], per_place=2)
    assert scores["nn_train_distance_vs_real"] < 0.05


def test_precision_recall_and_two_sample_test():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(200, 8))
    assert jm.precision_recall(real, real) == (1.0, 1.0)
    p, r = jm.precision_recall(real, real[:, :1].repeat(8, 1) * 0 + 10)
    assert p == 0.0 and r == 0.0
    regions = np.array([f"r{i % 6}" for i in range(200)])
    same = jm.two_sample_test(real, regions, rng.normal(size=(200, 8)), regions)
    far = jm.two_sample_test(real, regions, rng.normal(size=(200, 8)) + 3, regions)
    assert abs(same["accuracy"] - 0.5) < 0.1 and far["accuracy"] > 0.95


def test_score_generators_needs_only_data_and_generators(data):
    class Echo(nn.Module):
        """Views made from the patch alone: the condition decides everything, the noise nothing."""

        z_dim = 4

        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(1))

        def forward(self, z, patch):
            x = patch[:, :3].mean((2, 3), keepdim=True) * 2 - 1
            return x.expand(-1, -1, 64, 64) + self.w

    out = jm.score_generators(data, ColourJudge(), {"echo": Echo()}, per_place=2)
    m = out["models"]["echo"]
    assert out["places"] == len(jm.judge_context(ColourJudge(), data).places)
    assert m["diversity"] < 1e-3 < m["place_distance"]
