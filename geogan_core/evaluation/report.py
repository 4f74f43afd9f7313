"""Reading evaluation results and saying plainly what they show (for the Baselines page and README)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from geogan_core.config import PROJECT_ROOT
from geogan_core.errors import DataNotFoundError
from geogan_core.fileio import atomic_write_text

RESULTS = PROJECT_ROOT / "results"
PAPER = {"interpolated_features": 0.65, "unconditional_gan": 0.68, "cgan_images": 0.70, "cgan_features": 0.73}
"""Accuracies the paper reported (urban vs rural, a UK region, its own data): not comparable numbers."""
LABELS = {
    "interpolated_features": "Interpolated ground-photo features",
    "unconditional_gan": "Unconditional GAN (interpolated D features)",
    "cgan_images": "cGAN generated images (modern)",
    "cgan_features": "cGAN discriminator features (modern)",
    "cgan_images_paper": "cGAN generated images (paper arch.)",
    "cgan_features_paper": "cGAN discriminator features (paper arch.)",
    "overhead_only": "Overhead patch only (not in paper)",
    "overhead_plus_cgan": "Overhead patch + cGAN D features (not in paper)",
    "retrieved_views": "Real views of places alike from above (retrieval; not in paper)",
    "real_photos": "The place's own photos (upper bound)",
}
SPLIT_RESULTS = {"evaluate": "region split", "evaluate_cells": "10-degree cell split (before)"}
"""Stored results of the two splits: the region split (every number now) and the cell split it replaced."""


def load_results(name: str = "evaluate", folder: Path | None = None) -> dict[str, Any]:
    """Read ``results/<name>.json``.

    Raises:
        DataNotFoundError: If it has not been computed yet.
    """
    path = Path(folder or RESULTS) / f"{name}.json"
    if not path.is_file():
        raise DataNotFoundError(f"{path} not found; run `python -m geogan_core evaluate --json {path}` "
                                f"(or press Recompute)")
    return dict(json.loads(path.read_text()))


def method_label(name: str) -> str:
    """Readable name of a method."""
    return LABELS.get(name, name)


def table_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per method: ours with its interval beside the paper's reported number."""
    rows = []
    for name, m in result["methods"].items():
        rows.append({"method": LABELS.get(name, name), "key": name, "accuracy": m["accuracy"],
                     "ci_low": m["ci95"][0], "ci_high": m["ci95"][1], "balanced_accuracy": m["balanced_accuracy"],
                     "paper (UK, its data)": PAPER.get(name), "runs": m["runs"], "n": m["n"]})
    return rows


def _verdict(c: dict[str, Any], i: dict[str, Any], paired: dict[str, Any] | None = None) -> str:
    """Whether ``c`` beats ``i`` in plain words.

    From the paired difference's 95% interval when there is one, else from whether the two
    methods' own intervals overlap.
    """
    if paired is not None:
        diff, (lo, hi) = paired["difference"], paired["ci95"]
        how = f"paired difference {100 * diff:+.1f} [{100 * lo:+.1f}, {100 * hi:+.1f}] points"
        if lo > 0:
            return f"holds on our data: cGAN discriminator features beat interpolated photo features ({how})"
        if hi < 0:
            return f"does not hold on our data: interpolated photo features do clearly better ({how})"
        way = "points the same way" if diff > 0 else "points the other way"
        return f"{way} on our data, but the difference is not established ({how}, the interval holds 0)"
    diff = c["accuracy"] - i["accuracy"]
    overlap = not (c["ci95"][0] > i["ci95"][1] or i["ci95"][0] > c["ci95"][1])
    if diff > 0 and not overlap:
        return "holds on our data: cGAN discriminator features beat interpolated photo features"
    if diff > 0:
        return "points the same way on our data, but the 95% intervals overlap, so the difference is not established"
    if overlap:
        return ("does not hold on our data: cGAN discriminator features score lower than interpolated "
                "photo features, though the 95% intervals overlap")
    return "does not hold on our data: interpolated photo features do clearly better"


def _acc(m: dict[str, Any]) -> str:
    return f"{m['accuracy']:.1%} [{m['ci95'][0]:.1%}, {m['ci95'][1]:.1%}]"


def claim_statement(result: dict[str, Any]) -> str:
    """Does the paper's ordering (cGAN features > interpolated features) hold here? In plain words.

    Judged for the modern cGAN and, when evaluated, the paper-faithful one, whose discriminator also
    sees the overhead patch: its features are then set beside the overhead patch alone.
    """
    m, paired = result["methods"], result.get("paired", {})
    if "cgan_features" not in m or "interpolated_features" not in m:
        return "The comparison needs both cgan_features and interpolated_features results."
    c, i = m["cgan_features"], m["interpolated_features"]
    where = (f"{result['n_test_places']} held-out places in {result['n_test_regions']} regions"
             if "n_test_regions" in result else f"{result['n_test_places']} held-out places")
    out = (f"The paper's claim (cGAN features {PAPER['cgan_features']:.0%} > interpolation "
           f"{PAPER['interpolated_features']:.0%}): for the modern cGAN it "
           f"{_verdict(c, i, paired.get('cgan_features - interpolated_features'))} ({_acc(c)} vs {_acc(i)}, {where}).")
    if (p := m.get("cgan_features_paper")) is not None:
        verdict = _verdict(p, i, paired.get("cgan_features_paper - interpolated_features"))
        out += f" For the paper-faithful cGAN it {verdict} ({_acc(p)})"
        if (o := m.get("overhead_only")) is not None:
            out += f"; its discriminator also sees the overhead patch, which alone scores {_acc(o)}"
        out += "."
    if (d := paired.get("overhead_plus_cgan - overhead_only")) is not None:
        lo, hi = d["ci95"]
        adds = "add to" if lo > 0 else ("take away from" if hi < 0 else "add nothing established to")
        out += (f" Generated views' discriminator features {adds} the overhead patch they were made from "
                f"(overhead + cGAN minus overhead only: {100 * d['difference']:+.1f} [{100 * lo:+.1f}, "
                f"{100 * hi:+.1f}] points).")
    best = max(m, key=lambda k: m[k]["accuracy"])
    return (f"{out} The best method here is {LABELS.get(best, best).lower()} ({m[best]['accuracy']:.1%}). "
            f"What differs: worldwide Street View places instead of a UK region, coarse global overhead layers "
            f"(about 5-10 km pixels) instead of aerial imagery, MODIS at 0.05 degrees as the truth, and the "
            f"split: {result['split']}.")


def split_rows(by_split: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per method: its accuracy with interval on each split side by side, and the paper's number."""
    names = list(dict.fromkeys(n for r in by_split.values() for n in r["methods"]))
    rows = []
    for name in names:
        row: dict[str, Any] = {"method": LABELS.get(name, name)}
        for split, res in by_split.items():
            m = res["methods"].get(name)
            row[SPLIT_RESULTS.get(split, split)] = _acc(m) if m else "-"
        row["paper (UK, its data)"] = _fmt(PAPER.get(name), True)
        rows.append(row)
    return rows


def paired_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The paired differences of a result (same test places, regions resampled in pairs)."""
    return [{"comparison": " minus ".join(LABELS.get(x, x) for x in pair.split(" - ")),
             "difference (points)": f"{100 * d['difference']:+.1f} [{100 * d['ci95'][0]:+.1f}, "
                                    f"{100 * d['ci95'][1]:+.1f}]"}
            for pair, d in result.get("paired", {}).items()]


def fold_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The methods that need no GAN training over K region folds (empty when not computed)."""
    folds = result.get("folds")
    if not folds:
        return []
    return [{"method": LABELS.get(n, n), "accuracy [95% CI]": _acc(m),
             "balanced": f"{m['balanced_accuracy']:.1%} [{m['balanced_ci95'][0]:.1%}, {m['balanced_ci95'][1]:.1%}]",
             "places": m["n"], "regions": m["regions"]} for n, m in folds["methods"].items()]


def _fmt(v: Any, pct: bool = False) -> str:
    if v is None:
        return "-"
    return f"{v:.1%}" if pct else f"{v:.4g}"


def _ci(m: dict[str, Any], key: str, pct: bool = True) -> str:
    """``value [low, high]`` (as percentages with ``pct``), or ``-`` when the metric was not computed."""
    if key not in m:
        return "-"
    lo, hi = m[f"{key}_ci95"]
    if not pct:
        return f"{m[key]:.2f} [{lo:.2f}, {hi:.2f}]"
    return f"{_fmt(m[key], True)} [{_fmt(lo, True)}, {_fmt(hi, True)}]"


def _called(m: dict[str, Any]) -> str:
    """The share of views the land-cover classifier gives each class: ``rural 21%, urban 79%``."""
    return ", ".join(f"{g} {share:.0%}" for g, share in m.get("landcover_called", {}).items()) or "-"


def _signed_ci(m: dict[str, Any], key: str) -> str:
    """A difference in percentage points with its interval: ``+1.2 [-3.0, +5.1] points``."""
    lo, hi = m[f"{key}_ci95"]
    return f"{100 * m[key]:+.1f} [{100 * lo:+.1f}, {100 * hi:+.1f}] points"


def markdown_report(checkpoints: Path, bench: Path | None = None) -> str:
    """README tables from ``results/*.json``, the manifest and ``bench/*.json`` (what exists).

    ``bench`` is the folder of the benchmark JSON files (see ``bench_table``).
    """
    from geogan_core.checkpoint import read_manifest

    out = []
    models = read_manifest(checkpoints)
    gans = [n for n in ("paper", "modern", "guided", "ugan") if "metrics" in models.get(n, {})]
    if gans:
        out += ["| model | epochs | FID (Lite0) | KID (Lite0) | land-cover consistency [95% CI] | class-balanced "
                "[95% CI] | land-cover AUC [95% CI] | views called | diversity (vs real) | place distance (vs real) "
                "| trained on |",
                "|---|---|---|---|---|---|---|---|---|---|---|"]
        for n in gans:
            e, m = models[n], models[n]["metrics"]
            out.append(f"| {n} | {e.get('epochs')} | {_fmt(m['fid_lite0'])} | {_fmt(m['kid_lite0'])} | "
                       f"{_ci(m, 'landcover_consistency')} | {_ci(m, 'landcover_balanced')} | "
                       f"{_ci(m, 'landcover_auc', pct=False)} | {_called(m)} | "
                       f"{_fmt(m['diversity'])} ({_fmt(m.get('diversity_vs_real'))}x) | "
                       f"{_fmt(m.get('place_distance'))} ({_fmt(m.get('place_distance_vs_real'))}x) | "
                       f"{e.get('machine')}, {e.get('train_seconds', 0) / 60:.0f} min |")
        out.append("")
        out += judge_table({n: models[n]["metrics"] for n in gans})
        for n in gans:
            d = models[n]["metrics"].get("vs_paper")
            if d:
                out.append(f"- {n} minus paper, same places and noise (paired bootstrap): consistency "
                           f"{_signed_ci(d, 'consistency_diff')}, class-balanced {_signed_ci(d, 'balanced_diff')}.")
        out.append("")
    for name, table in (("retrieval", retrieval_table), ("recipes", recipes_table),
                        ("recipes-retrieval", recipes_table), ("ablation", ablation_table)):
        try:
            out.append(table(load_results(name)))
        except DataNotFoundError:
            pass
    try:
        res = load_results("evaluate")
        try:
            cells: dict[str, Any] = load_results("evaluate_cells")
        except DataNotFoundError:
            cells = {"methods": {}}
        regions = f" in {res['n_test_regions']} regions" if "n_test_regions" in res else ""
        out += [f"Urban vs rural, {res['n_test_places']} test places{regions} ({res['split']}), "
                f"{res['n_train_places']} train places; {res['machine']}, {res['date']}, {res['seconds']:.0f} s. "
                f"Intervals: {res.get('intervals', 'bootstrap over places')}.", "",
                "| method | ours: accuracy [95% CI] | balanced accuracy [95% CI] | runs | cell split (before) "
                "| paper (UK, its data) |", "|---|---|---|---|---|---|"]
        for r in table_rows(res):
            m, before = res["methods"][r["key"]], cells["methods"].get(r["key"])
            out.append(f"| {r['method']} | {_acc(m)} | {_fmt(m['balanced_accuracy'], True)} "
                       f"[{_fmt(m['balanced_ci95'][0], True)}, {_fmt(m['balanced_ci95'][1], True)}] | {m['runs']} | "
                       f"{_acc(before) if before else '-'} | {_fmt(PAPER.get(r['key']), True)} |")
        out += ["", "Region split: " + claim_statement(res), ""]
        if cells["methods"]:
            out += ["Cell split (before): " + claim_statement(cells), ""]
        if pairs := paired_rows(res):
            out += ["| paired difference (same places, regions resampled together) | points [95% CI] |", "|---|---|"]
            out += [f"| {p['comparison']} | {p['difference (points)']} |" for p in pairs] + [""]
        if folds := fold_rows(res):
            f = res["folds"]
            out += [f"Methods that need no GAN training over {f['folds']} region folds ({f['places']} places, "
                    f"{f['regions']} regions, {f['dropped_by_buffer']} training places dropped by the buffer "
                    f"over all folds):", "", "| method | accuracy [95% CI] | balanced [95% CI] |", "|---|---|---|"]
            out += [f"| {r['method']} | {r['accuracy [95% CI]']} | {r['balanced']} |" for r in folds] + [""]
        ks = res["k_sensitivity"]
        out += ["| k | " + " | ".join(ks[next(iter(ks))]) + " |", "|---" * (1 + len(ks[next(iter(ks))])) + "|"]
        out += [f"| {k} | " + " | ".join(_fmt(v, True) for v in row.values()) + " |" for k, row in ks.items()]
        out.append("")
    except DataNotFoundError:
        pass
    try:
        dense = load_results("dense")
        out += [f"Dense maps: {dense['land_cells']:,} land cells at {dense['res_deg']} degrees "
                f"({dense['urban_cells']:,} urban in MODIS), {dense['seconds']:.0f} s.", "",
                "| method | balanced accuracy | accuracy | urban recall | rural recall |", "|---|---|---|---|---|"]
        for n, m in dense["methods"].items():
            out.append(f"| {n} | {_fmt(m['balanced_accuracy'], True)} | {_fmt(m['accuracy'], True)} | "
                       f"{_fmt(m['urban_recall'], True)} | {_fmt(m['rural_recall'], True)} |")
        out.append("")
    except DataNotFoundError:
        pass
    if bench:
        out.append(bench_table(Path(bench)))
    return "\n".join(out)


def judge_table(metrics: dict[str, dict[str, Any]]) -> list[str]:
    """The from-scratch judge's table (models scored with one, see ``evaluation.judge_metrics``)."""
    judged = {n: m["judge"] for n, m in metrics.items() if "judge" in m}
    if not judged:
        return []
    rows = ["| model (judge: from-scratch CNN) | land-cover AUC [95% CI] | vs real views' AUC | paired vs shuffled "
            "[95% CI] | KID | precision | recall | real-vs-generated classifier [95% CI] | NN distance to training "
            "(vs real) | diversity (vs real) | place distance (vs real) |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for n, j in judged.items():
        c2st = j.get("two_sample", {})
        rows.append(f"| {n} | {_ci(j, 'auc', pct=False)} | {_fmt(j.get('auc_vs_real'))}x | "
                    f"{_ci(j, 'paired_vs_shuffled', pct=False)} | {_fmt(j.get('kid'))} | {_fmt(j.get('precision'))} | "
                    f"{_fmt(j.get('recall'))} | {_ci(c2st, 'accuracy')} | {_fmt(j.get('nn_train_distance_median'))} "
                    f"({_fmt(j.get('nn_train_distance_vs_real'))}x) | {_fmt(j.get('diversity'))} "
                    f"({_fmt(j.get('diversity_vs_real'))}x) | {_fmt(j.get('place_distance'))} "
                    f"({_fmt(j.get('place_distance_vs_real'))}x) |")
    return [*rows, ""]


def recipes_table(res: dict[str, Any]) -> str:
    """``bench/recipes.py``'s comparison of cGAN recipes at equal CPU time (validation regions).

    A row without a training run (the retrieval control: real views of alike places) shows ``-``
    where only a generator has a number.
    """
    rows = [f"cGAN recipes at equal CPU time, scored on the {res['side']} regions (`bench/recipes.py`; "
            f"judge {res['judge']}).", "",
            "| recipe | settings | epochs in the time | judge AUC [95% CI] | paired vs shuffled [95% CI] | judge KID | "
            "precision | recall | two-sample acc. | NN distance vs real | distance to own exemplar vs real | "
            "place distance vs real | Lite0 AUC [95% CI] | FID (Lite0) |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in res["recipes"].items():
        j, lite = r["judge"], r.get("lite0", {})
        settings = ", ".join(f"{k}={v}" for k, v in r["settings"].items()) or "as shipped"
        epochs = f"{r['epochs']} ({r['train_minutes']:.0f} min)" if "epochs" in r else "-"
        two = (j.get("two_sample") or {}).get("accuracy")
        rows.append(f"| {name} | {settings} | {epochs} | {_ci(j, 'auc', False)} | "
                    f"{_ci(j, 'paired_vs_shuffled', False)} | {_fmt(j['kid'])} | {_fmt(j['precision'])} | "
                    f"{_fmt(j['recall'])} | {_fmt(two, True)} | {_fmt(j.get('nn_train_distance_vs_real'))} | "
                    f"{_fmt(j.get('exemplar_distance_vs_real'))} | {_fmt(j.get('place_distance_vs_real'))} | "
                    f"{_ci(lite, 'landcover_auc', False)} | {_fmt(lite.get('fid_lite0'))} |")
    return "\n".join(rows) + "\n"


def _region_note(g: dict[str, Any] | None) -> str:
    """Where R@K's misses come from (``evaluation.retrieval.recall_scores``), as a sentence."""
    if not g:
        return ""
    return (f" A view's best place lies in its own region for {g['best_place_in_own_region']:.1%} of the views "
            f"({g['regions']} regions); within its region its own place ranks at "
            f"{g['own_rank_within_region_median']:.2f} (median; 0 first, 0.5 a guess); knowing each view's region "
            f"and guessing within it would give R@10 {g['region_known_R@10']:.1%}.")


def retrieval_table(res: dict[str, Any]) -> str:
    """``bench/retrieval.py``: R@K beside chance, and the judge on the real views that retrieval shows, per side."""
    rows = []
    for side, r in res["sides"].items():
        ci = r.get("recall_ci95", {})  # intervals over regions since 2026-12-07
        recall = ", ".join(f"{k} {v:.1%}" + (" [{:.1%}, {:.1%}]".format(*ci[k]) if k in ci else "")
                           + f" (chance {r['chance'][k]:.1%})" for k, v in r["recall"].items())
        rows += [f"Retrieval on the {side} regions ({r['places']} places; `bench/retrieval.py`, {res['retrieval']}): "
                 f"{recall}. Views of the {r['places']} places stood in for by one view each of their 8 most alike "
                 f"training places; the judge's AUC of the places' own real views is "
                 f"{_fmt(r['real'].get('auc'))}." + _region_note(r.get("regions")), "",
                 "| retrieval | judge AUC [95% CI] | paired vs shuffled [95% CI] | KID | precision | recall | "
                 "two-sample acc. | place distance vs real | distance to the place's own views: median (mean "
                 "[95% CI]) |", "|---|---|---|---|---|---|---|---|---|"]
        for name, m in r["methods"].items():
            lo, hi = m["own_view_distance_ci95"]
            rows.append(f"| {name} | {_ci(m, 'auc', False)} | {_ci(m, 'paired_vs_shuffled', False)} | "
                        f"{_fmt(m['kid'])} | {_fmt(m['precision'])} | {_fmt(m['recall'])} | "
                        f"{_fmt(m['two_sample'].get('accuracy'), True)} | {_fmt(m['place_distance_vs_real'])} | "
                        f"{m['own_view_distance_median']:.3f} ({m['own_view_distance']:.3f} [{lo:.3f}, {hi:.3f}]) |")
        rows.append("")
    return "\n".join(rows)


def ablation_table(res: dict[str, Any]) -> str:
    """The modern cGAN's ablation (``bench/ablation.py``) as a markdown table."""
    split = res.get("split", "the 10-degree cell split, with models trained on it")
    rows = [f"Ablation of the modern cGAN: {res['epochs']} epochs each, seed {res['seed']}, scored on the test "
            f"places of {split} (`bench/ablation.py`, {res.get('date', '')}).", "",
            "| variant | FID (Lite0) | land-cover consistency [95% CI] | class-balanced [95% CI] | diversity vs real "
            "| place distance vs real |", "|---|---|---|---|---|---|"]
    rows += [f"| {name} | {_fmt(m['fid_lite0'])} | {_ci(m, 'landcover_consistency')} | "
             f"{_ci(m, 'landcover_balanced')} | {_fmt(m['diversity_vs_real'])}x | "
             f"{_fmt(m.get('place_distance_vs_real'))}x |" for name, m in res["variants"].items()]
    return "\n".join(rows) + "\n"


def _read(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text())) if path.is_file() else {}


def bench_table(folder: Path) -> str:
    """The benchmark table from ``results.json`` (model), ``app.json`` and ``browser.json``.

    The load curves have a table of their own (``load_table``).
    """
    b, app, browser = (_read(folder / f"{n}.json") for n in ("results", "app", "browser"))
    if not (b or app or browser):
        return ""
    rows = [(f"generate {k} views, model time (ms)", v["median"], v["p95"])
            for k, v in b.get("generation_ms", {}).items()]
    rows += [(f"places alike from above, {k} (ms)", v["median"], v["p95"])
             for k, v in b.get("retrieval_ms", {}).items()]
    rows += [(f"training {k}, width {b['training_images_per_s'].get(k + '_width', '?')} (images/s)", v, "")
             for k, v in b.get("training_images_per_s", {}).items() if not k.endswith("_width")]
    if "dense_map" in b:
        d = b["dense_map"]
        rows.append((f"dense world map, {d['res_deg']} degrees, {d['land_cells']:,} land cells, "
                     f"{len(d['methods'])} methods (s)", d["seconds"], ""))
    if "umap_recompute" in b:
        u = b["umap_recompute"]
        rows.append((f"UMAP recompute, {u['feature_set']}, {u['points']:,} views (s)", u["seconds"], ""))
    if app:
        rows.append(("app cold start, server start to home page usable (s)", app["cold_start_s"], ""))
        rows += [(f"page /{name}: first visit / cached visit (s)", f"{v['first_s']} / {v['second_s']}", "")
                 for name, v in app["pages"].items()]
    if browser:
        c = browser["click_to_image_s"]
        rows.append(("Map page cold load, server start to map visible (s)", browser["cold_load_s"], ""))
        if "models_ready_s" in browser:  # the models load after the map is drawn
            rows.append(("Map page cold load, server start to models loaded (s)", browser["models_ready_s"], ""))
        rows.append((f"Map click to first generated image, browser (s, n={c['n']})", c["median"], c["p95"]))
    head = [f"{_machines([b, app, browser])}. Command: `make bench`.", "", "| what | median | p95 |", "|---|---|---|"]
    return "\n".join(head + [f"| {w} | {m} | {p} |" for w, m, p in rows]) + "\n"


def _machines(sources: list[dict[str, Any]]) -> str:
    """"Machine: ...; Date: ..." of some results (one line per machine; the load average at start left out)."""
    machines = sorted({re.sub(r", load average [^;]*", "", s["machine"]) for s in sources if s.get("machine")})
    dates = sorted({s["date"] for s in sources if s.get("date")})
    return f"Machine: {'; '.join(machines)}. Date: {', '.join(dates)}"


# ``make load``'s files, then round 3's before/after pairs (docs/RESULTS.md); any others after them
LOAD_ORDER = ("load", "load-think", "load-memory", "load-proxy", "load-before-60s", "load-before", "load-after1",
              "load-think-before", "load-think-after1")


def _p(v: dict[str, Any] | None) -> str:
    return f"{v['p50']:.2f} / {v['p95']:.2f} ({v['n']})" if v and v.get("n") else "-"


def load_table(folder: Path) -> str:
    """The load curves and the generator-against-browser check, as markdown.

    The curves are every ``load*.json`` of ``bench/load.py`` with points (``make load``'s first); the check
    is ``load-check.json`` (``bench/load.py --check-browser``).
    """
    files = sorted(folder.glob("load*.json"), key=lambda f: (f.stem not in LOAD_ORDER, LOAD_ORDER.index(f.stem)
                                                             if f.stem in LOAD_ORDER else 0, f.stem))
    runs = [(f.stem, r) for f, r in ((f, _read(f)) for f in files) if "points" in r]
    check = _read(folder / "load-check.json")
    if not (runs or check):
        return ""
    rows = [f"{_machines([r for _, r in runs] + [check])}. Command: `make load` (`bench/load.py`).", "",
            "Seconds, p50 / p95 (steps); \"first image\": request to the first generated image's message, \"end\": "
            "to the end of the run; memory: the server's RSS at the window's start (every session has its page "
            "open, or after a warm-up) / halfway / at the end, and its heap alone (RSS also counts the pages of "
            "mapped files that were read, such as the photo cache's views).", "",
            "| file | processes | simulated sessions + Chromium | pause (s) | window (s) | click: first image | "
            "click: end | slider: first image | slider: end | Chromium click, on screen | errors | CPU s: server / "
            "generator / Chromium / rest, of | server memory (MiB) |", "|" + "---|" * 13]
    for name, r in runs:
        for p in r["points"]:
            cpu, mem = p["cpu_s"], p["memory_mib"]
            rows.append(
                f"| {name} | {r['processes']} | {p['sessions']}{' + 1' if r['browser_beside'] else ''} | "
                f"{r['think_s']:g} | {cpu['window_s']:g} | {_p(p['click_first_image_s'])} | {_p(p['click_end_s'])} | "
                f"{_p(p['slider_first_image_s'])} | {_p(p['slider_end_s'])} | {_p(p.get('browser_click_s'))} | "
                f"{len(p['errors'])} | {cpu['server']:g} / {cpu['generator']:g} / {cpu['browser']:g} / "
                f"{cpu['rest']:g}, of {cpu['available']:g} | {mem['warm']:.0f} / {mem['mid']:.0f} / {mem['end']:.0f} "
                f"({mem['end'] / mem['warm'] - 1:+.0%}); heap {mem['warm_anon']:.0f} / {mem['mid_anon']:.0f} / "
                f"{mem['end_anon']:.0f} ({mem['end_anon'] / mem['warm_anon'] - 1:+.0%})"
                + (f"; after {p['warm_up_s']:g} s of load (pages open: {mem['open']:.0f}, heap "
                   f"{mem['open_anon']:.0f})" if p.get("warm_up_s") else "") + " |")
    if check:
        rows += ["", f"The generator against the browser, side by side (`--check-browser`: {check['clicks']} Map "
                     f"clicks each, alternating, every click a new place; p50 / p95 (n) in s). Chromium, from the "
                     f"click: request sent {_p(check['browser_request_s'])}, the server's fragment run starts "
                     f"{_p(check['browser_server_run_s'])}, views encoded {_p(check['browser_views_encoded_s'])}, "
                     f"views' message received {_p(check['browser_message_s'])}, first view on screen "
                     f"{_p(check['browser_s'])}. The generator, from its request: the run starts "
                     f"{_p(check['generator_server_run_s'])}, views encoded {_p(check['generator_views_encoded_s'])}, "
                     f"views' message received {_p(check['generator_s'])}. The views' messages: medians "
                     f"{check['median_difference_s'] * 1000:+.0f} ms apart (browser minus generator)."]
    return "\n".join(rows) + "\n"


BENCH_START, BENCH_END = "<!-- bench table: written by `make bench` -->", "<!-- end of bench table -->"
LOAD_START, LOAD_END = "<!-- load table: written by `make load` -->", "<!-- end of load table -->"


def write_bench_section(readme: Path, folder: Path) -> None:
    """Rewrite the benchmark table between its markers in ``readme``, and the load table between its own.

    The load markers are optional: without them only the benchmark table is written.

    Raises:
        DataNotFoundError: If the README has no bench markers.
    """
    text = readme.read_text()
    start, end = text.find(BENCH_START), text.find(BENCH_END)
    if start < 0 or end < start:
        raise DataNotFoundError(f"{readme} has no benchmark markers; add the lines {BENCH_START!r} and "
                                f"{BENCH_END!r} where the table belongs")
    text = text[: start + len(BENCH_START)] + "\n" + bench_table(folder) + text[end:]
    start, end = text.find(LOAD_START), text.find(LOAD_END)
    if 0 <= start < end:
        text = text[: start + len(LOAD_START)] + "\n" + load_table(folder) + text[end:]
    atomic_write_text(readme, text)
