"""Reading evaluation results and saying plainly what they show (for the Baselines page and README)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from geogan_core.config import PROJECT_ROOT
from geogan_core.errors import DataNotFoundError
from geogan_core.evaluation.evaluate import PAPER, evaluate
from geogan_core.fileio import atomic_write_text
from geogan_core.inference.generate import Explorer
from geogan_core.progress import ProgressFn

RESULTS = PROJECT_ROOT / "results"
LABELS = {
    "interpolated_features": "Interpolated ground-photo features",
    "unconditional_gan": "Unconditional GAN (interpolated D features)",
    "cgan_images": "cGAN generated images (modern)",
    "cgan_features": "cGAN discriminator features (modern)",
    "cgan_images_paper": "cGAN generated images (paper arch.)",
    "cgan_features_paper": "cGAN discriminator features (paper arch.)",
    "overhead_only": "Overhead patch only (not in paper)",
    "real_photos": "The place's own photos (upper bound)",
}


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


def run_evaluation(explorer: Explorer, path: Path | None = None, progress: ProgressFn | None = None,
                   **kwargs: Any) -> dict[str, Any]:
    """Run ``evaluate`` and write its JSON atomically to ``path`` (default ``results/evaluate.json``)."""
    result = evaluate(explorer, progress=progress, **kwargs)
    atomic_write_text(Path(path or RESULTS / "evaluate.json"), json.dumps(result, indent=2) + "\n")
    return result


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


def claim_statement(result: dict[str, Any]) -> str:
    """Does the paper's ordering (cGAN features > interpolated features) hold here? In plain words."""
    m = result["methods"]
    if "cgan_features" not in m or "interpolated_features" not in m:
        return "The comparison needs both cgan_features and interpolated_features results."
    c, i = m["cgan_features"], m["interpolated_features"]
    diff = c["accuracy"] - i["accuracy"]
    overlap = not (c["ci95"][0] > i["ci95"][1] or i["ci95"][0] > c["ci95"][1])
    if diff > 0 and not overlap:
        verdict = "holds on our data: cGAN discriminator features beat interpolated photo features"
    elif diff > 0:
        verdict = ("points the same way on our data, but the 95% intervals overlap, so the difference is "
                   "not established")
    elif overlap:
        verdict = ("does not hold on our data: cGAN discriminator features score lower than interpolated "
                   "photo features, though the 95% intervals overlap")
    else:
        verdict = "does not hold on our data: interpolated photo features do clearly better"
    best = max(m, key=lambda k: m[k]["accuracy"])
    return (f"The paper's claim (cGAN features {PAPER['cgan_features']:.0%} > interpolation "
            f"{PAPER['interpolated_features']:.0%}) {verdict} ({c['accuracy']:.1%} [{c['ci95'][0]:.1%}, "
            f"{c['ci95'][1]:.1%}] vs {i['accuracy']:.1%} [{i['ci95'][0]:.1%}, {i['ci95'][1]:.1%}], "
            f"{result['n_test_places']} held-out places). The best method here is "
            f"{LABELS.get(best, best).lower()} ({m[best]['accuracy']:.1%}). What differs: worldwide Street View places "
            f"instead of a UK region, coarse global overhead layers (about 5-10 km pixels) instead of "
            f"aerial imagery, MODIS at 0.05 degrees as the truth, and a spatially blocked split.")


def _fmt(v: Any, pct: bool = False) -> str:
    if v is None:
        return "-"
    return f"{v:.1%}" if pct else f"{v:.4g}"


def markdown_report(checkpoints: Path, bench: Path | None = None) -> str:
    """README tables from ``results/*.json``, the manifest and ``bench/*.json`` (what exists)."""
    from geogan_core.checkpoint import read_manifest

    out = []
    models = read_manifest(checkpoints)
    gans = [n for n in ("paper", "modern", "ugan") if "metrics" in models.get(n, {})]
    if gans:
        out += ["| model | epochs | FID (Lite0) | KID (Lite0) | land-cover consistency [95% CI] | diversity "
                "(vs real) | trained on |", "|---|---|---|---|---|---|---|"]
        for n in gans:
            e, m = models[n], models[n]["metrics"]
            ci = m["landcover_consistency_ci95"]
            out.append(f"| {n} | {e.get('epochs')} | {_fmt(m['fid_lite0'])} | {_fmt(m['kid_lite0'])} | "
                       f"{_fmt(m['landcover_consistency'], True)} [{_fmt(ci[0], True)}, {_fmt(ci[1], True)}] | "
                       f"{_fmt(m['diversity'])} ({_fmt(m.get('diversity_vs_real'))}x) | {e.get('machine')}, "
                       f"{e.get('train_seconds', 0) / 60:.0f} min |")
        out.append("")
    try:
        res = load_results("evaluate")
        out += [f"Urban vs rural, {res['n_test_places']} test places ({res['split']}), "
                f"{res['n_train_places']} train places; {res['machine']}, {res['date']}, {res['seconds']:.0f} s.", "",
                "| method | ours: accuracy [95% CI] | balanced accuracy [95% CI] | runs | paper (UK, its data) |",
                "|---|---|---|---|---|"]
        for r in table_rows(res):
            m = res["methods"][r["key"]]
            out.append(f"| {r['method']} | {_fmt(m['accuracy'], True)} [{_fmt(m['ci95'][0], True)}, "
                       f"{_fmt(m['ci95'][1], True)}] | {_fmt(m['balanced_accuracy'], True)} "
                       f"[{_fmt(m['balanced_ci95'][0], True)}, {_fmt(m['balanced_ci95'][1], True)}] | {m['runs']} | "
                       f"{_fmt(PAPER.get(r['key']), True)} |")
        out += ["", claim_statement(res), ""]
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
    if bench and Path(bench).is_file():
        b = json.loads(Path(bench).read_text())
        out += [f"Benchmarks on {b['machine']}, {b['date']} (`make bench`):", "",
                "| what | median | p95 |", "|---|---|---|"]
        out += [f"| generate {k} views (model time, ms) | {v['median']} | {v['p95']} |"
                for k, v in b["generation_ms"].items()]
        out += [f"| training {k} (images/s) | {v} | |" for k, v in b["training_images_per_s"].items()
                if not k.endswith("_width")]
    return "\n".join(out)
