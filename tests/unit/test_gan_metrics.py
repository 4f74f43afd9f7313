import shutil

import numpy as np
import pytest

from geogan_core.checkpoint import read_manifest
from geogan_core.evaluation.gan_metrics import gan_metrics, paired_difference
from geogan_core.inference.generate import Explorer


def test_paired_difference_is_the_difference_of_the_scores():
    labels = np.array([0, 0, 0, 1, 1, 1, 1, 1])
    ref = np.array([1, 1, 1, 0, 0, 0, 0, 0], float)  # always says class 0
    agree = np.array([1, 0.5, 1, 0.5, 1, 0.5, 0.5, 0.5])
    d = paired_difference(agree, ref, labels)
    assert d["consistency_diff"] == pytest.approx(agree.mean() - ref.mean(), abs=1e-3)
    # balanced: class 0 loses 1/6, class 1 gains 0.6
    assert d["balanced_diff"] == pytest.approx((-1 / 6 + 0.6) / 2, abs=1e-3)
    lo, hi = d["balanced_diff_ci95"]
    assert lo <= d["balanced_diff"] <= hi


def test_models_are_compared_with_the_paper_model(tiny_area, trained, tmp_path):
    ckpt = tmp_path / "ckpt"
    shutil.copytree(trained / "ckpt", ckpt)
    out = gan_metrics(Explorer(tiny_area, checkpoints=ckpt), ["paper", "modern"], per_place=2)
    paper, modern = out["models"]["paper"], out["models"]["modern"]
    assert "vs_paper" not in paper
    d = modern["vs_paper"]
    assert d["consistency_diff"] == pytest.approx(
        modern["landcover_consistency"] - paper["landcover_consistency"], abs=2e-3)
    lo, hi = d["consistency_diff_ci95"]
    assert lo <= d["consistency_diff"] <= hi
    assert read_manifest(ckpt)["modern"]["metrics"]["vs_paper"] == d
    for m in (out["real"], paper, modern):  # every view is given one class
        assert sum(m["landcover_called"].values()) == pytest.approx(1, abs=2e-3)
        assert set(m["landcover_called"]) == set(tiny_area.landcover.group_names)


def test_the_judge_scores_beside_lite0_and_val_chooses_without_recording(tiny_area, trained, tmp_path):
    from geogan_core.data.paired import load_paired
    from geogan_core.training.export import export_run
    from geogan_core.training.judge import train_judge

    ckpt = tmp_path / "ckpt"
    shutil.copytree(trained / "ckpt", ckpt)
    explorer = Explorer(tiny_area, checkpoints=ckpt)
    no_judge = gan_metrics(explorer, ["modern"], per_place=2, update_manifest=False)
    assert "judge" not in no_judge["models"]["modern"] and "no judge" in no_judge["judge"]
    train_judge(load_paired(tiny_area), tmp_path / "judge", epochs=1, batch_size=8, max_steps=2)
    export_run("judge", tmp_path / "judge", ckpt)
    out = gan_metrics(explorer, ["modern"], per_place=2)
    judged = out["models"]["modern"]["judge"]
    assert {"auc", "paired_vs_shuffled", "kid", "precision", "recall", "two_sample"} <= set(judged)
    assert "auc" in out["real"]["judge"] and read_manifest(ckpt)["modern"]["metrics"]["judge"] == judged
    before = read_manifest(ckpt)
    val = gan_metrics(explorer, ["modern"], per_place=2, side="val")
    assert val["split"].startswith("val side") and read_manifest(ckpt) == before
    assert val["places"] != out["places"] or val["models"]["modern"]["judge"] != judged
