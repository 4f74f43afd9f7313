"""``train`` never fails on a batch too big for the training side: it trains with a smaller one and says so."""

import dataclasses
import logging

import numpy as np
import pytest
import torch

from geogan_core.data.paired import load_paired
from geogan_core.data.splits import MIN_TRAIN_VIEWS, choose_batch
from geogan_core.errors import ConfigError
from geogan_core.models.registry import ModelConfig
from geogan_core.training.loop import TrainConfig, train_gan


def _train(area, data, run_dir, batch):
    mcfg = ModelConfig("modern", in_channels=area.channels, ngf=8, ndf=8, n_classes=17)
    return train_gan(area, mcfg, TrainConfig(epochs=1, batch_size=batch, device="cpu", max_steps=2), data, run_dir)


def _with_train_places(data, n):
    """The data with only its first ``n`` training places left on the train side (the others dropped)."""
    codes = data.split.codes.copy()
    codes[np.flatnonzero(codes == 0)[n:]] = -1
    return dataclasses.replace(data, split=dataclasses.replace(data.split, codes=codes))


def test_a_batch_bigger_than_the_training_side_is_made_smaller(tiny_area, tmp_path, caplog):
    data = load_paired(tiny_area)
    views = int(data.view_mask("train").sum())
    with caplog.at_level(logging.WARNING):
        latest = _train(tiny_area, data, tmp_path / "run", 1000)
    batch = choose_batch(views, 1000)
    assert f"batch_size 1000 is more than the {views} training views hold; training with batch {batch}" in caplog.text
    assert torch.load(latest, weights_only=True)["train_config"]["batch_size"] == batch


def test_the_smallest_training_side_still_trains(tiny_area, tmp_path):
    data = _with_train_places(load_paired(tiny_area), 1)  # one panorama: 4 views
    assert int(data.view_mask("train").sum()) == MIN_TRAIN_VIEWS
    latest = _train(tiny_area, data, tmp_path / "run", 64)
    assert torch.load(latest, weights_only=True)["train_config"]["batch_size"] == MIN_TRAIN_VIEWS


def test_too_little_to_train_at_all_is_one_clear_error(tiny_area, tmp_path):
    data = _with_train_places(load_paired(tiny_area), 0)
    with pytest.raises(ConfigError, match=r"only 0 training view\(s\), and a GAN step needs at least 4; add photos"):
        _train(tiny_area, data, tmp_path / "run", 8)
    assert not (tmp_path / "run" / "latest.pt").exists()
