"""``evaluate`` end to end on a few dozen real places from ../shared/data (tiny models, few samples)."""

import csv
import json
from pathlib import Path

import pytest

from geogan_core.config import DEFAULT_CONFIG, load_config
from geogan_core.evaluation.evaluate import METHODS, run_evaluation
from geogan_core.inference.generate import Explorer
from geogan_core.training.export import export_run
from geogan_core.training.run import train_command
from tests.conftest import train_tiny


def _subset_csv(src: Path, dst: Path, rows: range) -> Path:
    with src.open() as f:
        table = list(csv.DictReader(f))
    with dst.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(table[0]))
        w.writeheader()
        for i in rows:
            row = dict(table[i])
            row["image"] = str((src.parent / row["image"]).resolve())
            w.writerow(row)
    return dst


@pytest.fixture(scope="module")
def subset(shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("subset")
    meta = shared_data / "world" / "streetview" / "metadata.csv"
    train_csv = _subset_csv(meta, root / "places.csv", range(0, 1223, 25))  # 49 places worldwide
    test_csv = _subset_csv(meta, root / "other.csv", range(12, 1223, 100))  # 13 other places
    text = DEFAULT_CONFIG.read_text()
    text = text.replace('data_root = "${GEOGAN_DATA:-../../shared/data}"', f'data_root = "{shared_data.resolve()}"')
    text = text.replace('cache_dir = "${GEOGAN_CACHE:-../.cache}"', f'cache_dir = "{root / "cache"}"')
    text = text.replace('csv = "world/streetview/metadata.csv"', f'csv = "{train_csv}"')
    text = text.replace("fractions = [0.7, 0.15, 0.15]", "fractions = [0.6, 0.2, 0.2]")
    text = text.replace("buffer_km = 100.0", "buffer_km = 50.0")
    (root / "subset.toml").write_text(text)
    area = load_config(root / "subset.toml")
    for arch in ("modern", "paper", "ugan"):
        train_tiny(area, arch, root / "runs" / arch)
        export_run(arch, root / "runs" / arch, root / "ckpt")
    train_command(area, "retrieval", epochs=2, run_dir=root / "runs" / "retrieval")
    export_run("retrieval", root / "runs" / "retrieval", root / "ckpt")
    return area, root, test_csv


def test_evaluate_writes_all_methods(subset):
    area, root, _ = subset
    result = run_evaluation(Explorer(area, root / "ckpt"), root / "evaluate.json", k=3, n_views=2, seeds=2,
                            k_grid=(1, 3), folds=3)
    saved = json.loads((root / "evaluate.json").read_text())
    assert saved == json.loads(json.dumps(result))
    assert set(saved["methods"]) == set(METHODS)
    for name, m in saved["methods"].items():
        assert m["n"] == saved["n_test_places"] > 0, name
        assert m["ci95"][0] <= m["accuracy"] <= m["ci95"][1]
    assert saved["methods"]["cgan_features"]["runs"] == 2 and saved["methods"]["overhead_only"]["runs"] == 1
    assert set(saved["k_sensitivity"]) == {"1", "3"}
    # intervals over test regions; paired differences for the claim and for what views add to the overhead
    assert saved["n_test_regions"] == saved["methods"]["overhead_only"]["regions"] > 1
    assert {"cgan_features - retrieved_views", "cgan_images - retrieved_views"} <= set(saved["paired"])
    pair = saved["paired"]["overhead_plus_cgan - overhead_only"]
    plus, only = saved["methods"]["overhead_plus_cgan"]["accuracy"], saved["methods"]["overhead_only"]["accuracy"]
    assert pair["difference"] == pytest.approx(plus - only, abs=1e-3)
    assert pair["ci95"][0] <= pair["difference"] <= pair["ci95"][1]
    # the cheap methods over 3 region folds: every labelled place is a test place once
    folds = saved["folds"]
    assert folds["folds"] == 3 and set(folds["methods"]) == {"interpolated_features", "overhead_only", "real_photos"}
    assert all(m["n"] == folds["places"] > saved["n_test_places"] for m in folds["methods"].values())


def test_evaluate_other_places(subset):
    area, root, test_csv = subset
    result = run_evaluation(Explorer(area, root / "ckpt"), root / "other.json", k=3, n_views=1, seeds=1,
                            k_grid=(3,), test_photos=test_csv)
    assert "other.csv" in result["split"] and 0 < result["n_test_places"] <= 13
    assert result["methods"]["real_photos"]["n"] == result["n_test_places"]
