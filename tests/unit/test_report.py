import json

import pytest

from geogan_core.checkpoint import update_manifest
from geogan_core.errors import DataNotFoundError
from geogan_core.evaluation.report import (
    BENCH_END,
    BENCH_START,
    LOAD_END,
    LOAD_START,
    ablation_table,
    bench_table,
    load_table,
    markdown_report,
    write_bench_section,
)

BENCH = {"machine": "test CPU", "date": "2026-01-02",
         "generation_ms": {"modern/16": {"median": 20.5, "p95": 25.0}},
         "training_images_per_s": {"modern": 68.0, "modern_width": 32},
         "dense_map": {"res_deg": 2.0, "land_cells": 4321, "methods": ["a", "b"], "seconds": 12.5, "cells_per_s": 345},
         "umap_recompute": {"feature_set": "cgan_disc", "points": 6115, "seconds": 40.1}}
APP = {"machine": "test CPU", "date": "2026-01-02", "cold_start_s": 7.5,
       "pages": {"home": {"first_s": 2.0, "second_s": 0.5}}}
BROWSER = {"machine": "test CPU", "cold_load_s": 9.0, "click_to_image_s": {"median": 1.1, "p95": 1.5, "n": 20}}
POINT = {"sessions": 5, "errors": [], "click_first_image_s": {"p50": 0.3, "p95": 0.9, "n": 40},
         "click_end_s": {"p50": 0.5, "p95": 1.2, "n": 40}, "slider_first_image_s": {"p50": 0.1, "p95": 0.2, "n": 9},
         "slider_end_s": {"p50": 0.15, "p95": 0.3, "n": 9}, "browser_click_s": {"p50": 0.4, "p95": 1.1, "n": 20},
         "cpu_s": {"window_s": 60.0, "available": 120.0, "server": 80.5, "generator": 2.5, "browser": 9.0,
                   "rest": 1.0},
         "memory_mib": {"warm": 800.0, "mid": 850.0, "end": 880.0, "peak": 890.0, "warm_anon": 500.0,
                        "mid_anon": 510.0, "end_anon": 505.0}}
LOAD = {"machine": "test CPU", "date": "2026-01-03 17:00 UTC", "processes": 1, "think_s": 0.0, "browser_beside": True,
        "points": [POINT, {**POINT, "sessions": 1, "slider_first_image_s": {"n": 0}, "slider_end_s": {"n": 0},
                           "errors": ["session 1 (map): step 3: timed out"]}]}
CHECK = {"machine": "test CPU", "date": "2026-01-03 16:00 UTC", "clicks": 20, "median_difference_s": 0.021,
         "browser_s": {"p50": 0.25, "p95": 0.4, "n": 20}, "generator_s": {"p50": 0.209, "p95": 0.35, "n": 20},
         **{k: {"p50": 0.1, "p95": 0.2, "n": 20} for k in ("browser_request_s", "browser_server_run_s",
                                                           "browser_views_encoded_s", "generator_server_run_s",
                                                           "generator_views_encoded_s")},
         "browser_message_s": {"p50": 0.23, "p95": 0.3, "n": 20}}


def _write(folder, **files):
    for name, content in files.items():
        (folder / f"{name}.json").write_text(json.dumps(content))


def test_bench_table_has_every_figure(tmp_path):
    _write(tmp_path, results=BENCH, app=APP, browser=BROWSER, load=LOAD)
    table = bench_table(tmp_path)
    assert "Machine: test CPU. Date: 2026-01-02. Command: `make bench`." in table
    for row in ("| generate modern/16 views, model time (ms) | 20.5 | 25.0 |",
                "| training modern, width 32 (images/s) | 68.0 |",
                "| dense world map, 2.0 degrees, 4,321 land cells, 2 methods (s) | 12.5 |",
                "| UMAP recompute, cgan_disc, 6,115 views (s) | 40.1 |",
                "| app cold start, server start to home page usable (s) | 7.5 |",
                "| page /home: first visit / cached visit (s) | 2.0 / 0.5 |",
                "| Map click to first generated image, browser (s, n=20) | 1.1 | 1.5 |"):
        assert row in table
    assert "sessions" not in table  # the load curves have their own table


def test_load_table_gives_the_curves_and_the_browser_check(tmp_path):
    assert load_table(tmp_path) == ""
    proxy = {**LOAD, "processes": 2, "think_s": 2.0, "date": "2026-01-04 10:00 UTC", "points": [
        {**POINT, "warm_up_s": 60.0, "memory_mib": {**POINT["memory_mib"], "open": 700.0, "open_anon": 450.0}}]}
    _write(tmp_path, load=LOAD, **{"load-proxy": proxy, "load-check": CHECK, "load-think-before": proxy})
    table = load_table(tmp_path)
    assert table.startswith("Machine: test CPU. Date: 2026-01-03 16:00 UTC, 2026-01-03 17:00 UTC, 2026-01-04 "
                            "10:00 UTC. Command: `make load`")
    rows = [line for line in table.splitlines() if line.startswith("| load")]
    assert [r.split(" | ")[0] for r in rows] == ["| load", "| load", "| load-proxy", "| load-think-before"]
    assert rows[0] == ("| load | 1 | 5 + 1 | 0 | 60 | 0.30 / 0.90 (40) | 0.50 / 1.20 (40) | 0.10 / 0.20 (9) | "
                       "0.15 / 0.30 (9) | 0.40 / 1.10 (20) | 0 | 80.5 / 2.5 / 9 / 1, of 120 | 800 / 850 / 880 (+10%); "
                       "heap 500 / 510 / 505 (+1%) |")
    assert rows[1].startswith("| load | 1 | 1 + 1 | 0 | 60 | 0.30 / 0.90 (40) | 0.50 / 1.20 (40) | - | - |")
    assert " | 1 | 80.5 / " in rows[1]  # one error
    assert rows[2].startswith("| load-proxy | 2 | 5 + 1 | 2 |")
    assert rows[2].endswith("heap 500 / 510 / 505 (+1%); after 60 s of load (pages open: 700, heap 450) |")
    assert "views' message received 0.23 / 0.30 (20), first view on screen 0.25 / 0.40 (20)." in table
    assert "views' message received 0.21 / 0.35 (20)." in table
    assert "medians +21 ms apart" in table


def test_bench_table_without_results_is_empty(tmp_path):
    assert bench_table(tmp_path) == ""
    _write(tmp_path, results=BENCH)
    assert "dense world map" in bench_table(tmp_path) and "browser" not in bench_table(tmp_path)


def test_readme_section_replaced_between_markers_only(tmp_path):
    _write(tmp_path, results=BENCH)
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\nbefore\n{BENCH_START}\nold table\n{BENCH_END}\nafter\n")
    write_bench_section(readme, tmp_path)
    text = readme.read_text()
    assert "old table" not in text and "| UMAP recompute" in text
    assert text.startswith("# Title\nbefore\n") and text.endswith(f"{BENCH_END}\nafter\n")
    write_bench_section(readme, tmp_path)  # idempotent
    assert readme.read_text() == text


def test_readme_load_section_replaced_between_its_markers(tmp_path):
    _write(tmp_path, results=BENCH, load=LOAD)
    readme = tmp_path / "README.md"
    readme.write_text(f"{BENCH_START}\nold\n{BENCH_END}\nmiddle\n{LOAD_START}\nold load\n{LOAD_END}\nend\n")
    write_bench_section(readme, tmp_path)
    text = readme.read_text()
    assert "old" not in text.replace("(+10%)", "") and "| load | 1 | 5 + 1 |" in text and "| UMAP recompute" in text
    assert f"{BENCH_END}\nmiddle\n{LOAD_START}\n" in text and text.endswith(f"{LOAD_END}\nend\n")


def test_readme_without_markers_says_what_to_add(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n")
    with pytest.raises(DataNotFoundError, match="add the lines"):
        write_bench_section(readme, tmp_path)
    assert readme.read_text() == "# no markers\n"


def test_ablation_table():
    m = {"fid_lite0": 800.0, "landcover_consistency": 0.5, "landcover_consistency_ci95": [0.4, 0.6],
         "landcover_balanced": 0.52, "landcover_balanced_ci95": [0.45, 0.6], "diversity_vs_real": 0.9,
         "place_distance_vs_real": 0.3}
    table = ablation_table({"epochs": 8, "seed": 0, "date": "2026-01-02", "variants": {"full": m}})
    assert "8 epochs each, seed 0" in table
    assert "| full | 800 | 50.0% [40.0%, 60.0%] | 52.0% [45.0%, 60.0%] | 0.9x | 0.3x |" in table


def test_gan_table_gives_auc_calls_and_the_paired_difference_with_paper(tmp_path):
    m = {"fid_lite0": 800.0, "kid_lite0": 1.0, "landcover_consistency": 0.5, "landcover_consistency_ci95": [0.4, 0.6],
         "diversity": 0.9, "place_distance": 0.5}
    diff = {"consistency_diff": 0.031, "consistency_diff_ci95": [-0.012, 0.074],
            "balanced_diff": 0.05, "balanced_diff_ci95": [0.01, 0.09]}
    update_manifest(tmp_path, "paper", {"epochs": 30, "metrics": {
        **m, "landcover_auc": 0.354, "landcover_auc_ci95": [0.27, 0.43],
        "landcover_called": {"rural": 1.0, "urban": 0.0}}})
    update_manifest(tmp_path, "modern", {"epochs": 30, "metrics": {**m, "vs_paper": diff}})
    report = markdown_report(tmp_path)
    assert ("- modern minus paper, same places and noise (paired bootstrap): consistency "
            "+3.1 [-1.2, +7.4] points, class-balanced +5.0 [+1.0, +9.0] points.") in report
    assert "paper minus paper" not in report
    assert "| 0.35 [0.27, 0.43] | rural 100%, urban 0% |" in report
    assert "| 50.0% [40.0%, 60.0%] | - | - | - |" in report  # modern: balanced, AUC and calls not computed


def test_recipes_table_lists_each_recipe_with_its_settings():
    from geogan_core.evaluation.report import recipes_table

    judge = {"auc": 0.74, "auc_ci95": [0.62, 0.79], "paired_vs_shuffled": 0.09, "paired_vs_shuffled_ci95": [0.03, 0.13],
             "kid": 0.65, "precision": 0.68, "recall": 0.31}
    lite0 = {"fid_lite0": 679.1, "landcover_auc": 0.63, "landcover_auc_ci95": [0.51, 0.70]}
    res = {"side": "val", "judge": "abc", "recipes": {
        "shipped modern": {"settings": {}, "epochs": 30, "train_minutes": 29.0, "judge": judge, "lite0": lite0},
        "modern-resize": {"settings": {"upsample": "resize"}, "epochs": 20, "train_minutes": 28.9,
                          "judge": {**judge, "kid": 0.28}, "lite0": lite0}}}
    text = recipes_table(res)
    assert "val regions" in text and "| shipped modern | as shipped | 30 (29 min) | 0.74 [0.62, 0.79] |" in text
    assert "| modern-resize | upsample=resize | 20 (29 min) |" in text and "| 0.28 |" in text
    res["recipes"]["retrieval control"] = {"settings": {"retrieval": "abc"}, "judge": {
        **judge, "two_sample": {"accuracy": 0.65}, "nn_train_distance_vs_real": 0.0}}
    assert "| retrieval control | retrieval=abc | - | 0.74 [0.62, 0.79] |" in recipes_table(res)
    assert "| 65.0% | 0 | - | - | - |" in recipes_table(res)


def test_retrieval_table_gives_recall_beside_chance_and_each_method():
    from geogan_core.evaluation.report import retrieval_table

    m = {"auc": 0.83, "auc_ci95": [0.7, 0.9], "paired_vs_shuffled": 0.1, "paired_vs_shuffled_ci95": [0.05, 0.13],
         "kid": 0.05, "precision": 0.88, "recall": 0.51, "two_sample": {"accuracy": 0.65},
         "place_distance_vs_real": 1.03, "own_view_distance_median": 0.377, "own_view_distance": 0.395,
         "own_view_distance_ci95": [0.36, 0.425]}
    res = {"retrieval": "retrieval.pt", "sides": {"val": {
        "recall": {"R@1": 0.016, "R@10": 0.169}, "chance": {"R@1": 0.005, "R@10": 0.052}, "places": 191,
        "real": {"auc": 0.83}, "methods": {"learned (overhead)": m, "crude descriptor": {**m, "auc": 0.67}}}}}
    text = retrieval_table(res)
    assert "R@10 16.9% (chance 5.2%)" in text and "191 places" in text
    assert "| learned (overhead) | 0.83 [0.70, 0.90] |" in text and "| crude descriptor | 0.67 [0.70, 0.90] |" in text
    assert "| 0.377 (0.395 [0.360, 0.425]) |" in text
    res["sides"]["val"]["recall_ci95"] = {"R@1": [0.01, 0.025], "R@10": [0.12, 0.21]}  # intervals over regions
    assert "R@10 16.9% [12.0%, 21.0%] (chance 5.2%)" in retrieval_table(res)
