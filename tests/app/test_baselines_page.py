import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import geogan_core.evaluation.report as report
from geogan_core.evaluation.report import claim_statement

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "4_Baselines.py")


def _result(cgan=0.80, interp=0.60):
    def m(acc):
        return {"accuracy": acc, "ci95": [acc - 0.05, acc + 0.05], "balanced_accuracy": acc - 0.01,
                "balanced_ci95": [acc - 0.06, acc + 0.04], "seed_std": 0.01, "runs": 5, "n": 100,
                "confusion": [[40, 10], [10, 40]]}

    return {"task": "urban_vs_rural", "classes": ["rural", "urban"], "split": "test", "n_train_places": 300,
            "n_test_places": 100, "settings": {"k": 8}, "machine": "test", "date": "2026-11-26",
            "methods": {"interpolated_features": m(interp), "cgan_features": m(cgan), "overhead_only": m(0.7)},
            "k_sensitivity": {"4": {"interpolated_features": 0.6}}, "paper_reported": {}}


class TestClaim:
    @pytest.mark.parametrize("cgan,interp,words", [
        (0.8, 0.6, "holds on our data"), (0.62, 0.6, "overlap"), (0.5, 0.7, "do clearly better"),
        (0.58, 0.6, "though the 95% intervals overlap")])
    def test_plain_statement(self, cgan, interp, words):
        assert words in claim_statement(_result(cgan, interp))


    def test_paper_architecture_is_judged_too_beside_the_overhead_patch(self):
        res = _result(0.62, 0.6)
        res["methods"]["cgan_features_paper"] = {**res["methods"]["cgan_features"], "accuracy": 0.8,
                                                 "ci95": [0.75, 0.85]}
        text = claim_statement(res)
        assert "for the modern cGAN it points the same way" in text
        assert "For the paper-faithful cGAN it holds on our data" in text
        assert "which alone scores 70.0% [65.0%, 75.0%]" in text
        assert "paper-faithful" not in claim_statement(_result(0.62, 0.6))


class TestBaselinesPage:
    def test_renders_cached_results(self, monkeypatch, tmp_path):
        (tmp_path / "evaluate.json").write_text(json.dumps(_result()))
        monkeypatch.setattr(report, "RESULTS", tmp_path)
        at = AppTest.from_file(PAGE, default_timeout=120).run()
        assert not at.exception
        assert "holds on our data" in at.info[0].value
        table = at.dataframe[1].value
        assert list(table["accuracy"]) == [0.6, 0.8, 0.7] and len(at.get("plotly_chart")) == 4
        assert any("dense --json" in i.value for i in at.info)  # no dense maps yet: says how

    def test_both_splits_side_by_side_with_paired_differences_and_folds(self, monkeypatch, tmp_path):
        regions = {**_result(0.55, 0.62), "n_test_regions": 17,
                   "paired": {"cgan_features - interpolated_features": {"difference": -0.07, "ci95": [-0.15, 0.01]},
                              "overhead_plus_cgan - overhead_only": {"difference": 0.01, "ci95": [-0.03, 0.05]}},
                   "folds": {"folds": 5, "methods": {"overhead_only": {**_result()["methods"]["overhead_only"],
                                                                       "regions": 99}}}}
        (tmp_path / "evaluate.json").write_text(json.dumps(regions))
        (tmp_path / "evaluate_cells.json").write_text(json.dumps(_result(0.8, 0.6)))
        monkeypatch.setattr(report, "RESULTS", tmp_path)
        at = AppTest.from_file(PAGE, default_timeout=120).run()
        assert not at.exception
        region_claim, cell_claim = at.info[0].value, at.info[1].value
        assert region_claim.startswith("**Region split.**") and "points the other way" in region_claim
        assert "paired difference -7.0 [-15.0, +1.0] points" in region_claim
        assert "add nothing established to the overhead patch" in region_claim
        assert cell_claim.startswith("**10-degree cell split (before).**") and "holds on our data" in cell_claim
        sides = at.dataframe[0].value
        assert list(sides.columns[1:3]) == ["region split", "10-degree cell split (before)"]
        assert sides.iloc[1, 1] == "55.0% [50.0%, 60.0%]" and sides.iloc[1, 2] == "80.0% [75.0%, 85.0%]"
        assert len(at.dataframe[1].value) == 2  # paired differences
        assert at.dataframe[2].value.iloc[0]["regions"] == 99  # the folds

    def test_dense_maps_shown(self, monkeypatch, tmp_path):
        import rasterio
        from affine import Affine

        (tmp_path / "evaluate.json").write_text(json.dumps(_result()))
        tif = tmp_path / "d.tif"
        with rasterio.open(tif, "w", driver="GTiff", width=4, height=2, count=1, dtype="float32",
                           crs="EPSG:4326", transform=Affine(90, 0, -180, 0, -90, 90)) as dst:
            dst.write(np.array([[[0.1, 0.9, np.nan, 0.5], [0.2, 0.3, 0.4, np.nan]]], np.float32))
        dense = {"res_deg": 90, "land_cells": 6, "urban_cells": 1, "n_views": 1,
                 "methods": {"overhead_only": {"file": str(tif), "balanced_accuracy": 0.6}}}
        (tmp_path / "dense.json").write_text(json.dumps(dense))
        monkeypatch.setattr(report, "RESULTS", tmp_path)
        at = AppTest.from_file(PAGE, default_timeout=120).run()
        assert not at.exception and len(at.get("image")) == 1

    def test_missing_results_say_how(self, monkeypatch, tmp_path):
        monkeypatch.setattr(report, "RESULTS", tmp_path)
        at = AppTest.from_file(PAGE, default_timeout=120).run()
        assert not at.exception
        assert "geogan_core evaluate" in at.info[0].value and at.button[0].label.startswith("Recompute")


def test_markdown_report_from_stored_results(monkeypatch, tmp_path):
    from geogan_core.evaluation.report import markdown_report

    (tmp_path / "evaluate.json").write_text(json.dumps({**_result(), "seconds": 12}))
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    text = markdown_report(tmp_path)
    assert "| cGAN discriminator features (modern) | 80.0% [75.0%, 85.0%]" in text and "holds on our data" in text
