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
        verdict = "does not show on our data: the two are within each other's 95% intervals"
    else:
        verdict = "does not hold on our data: interpolated photo features do better"
    return (f"The paper's claim (cGAN features {PAPER['cgan_features']:.0%} > interpolation "
            f"{PAPER['interpolated_features']:.0%}) {verdict} ({c['accuracy']:.1%} [{c['ci95'][0]:.1%}, "
            f"{c['ci95'][1]:.1%}] vs {i['accuracy']:.1%} [{i['ci95'][0]:.1%}, {i['ci95'][1]:.1%}], "
            f"{result['n_test_places']} held-out places). What differs: worldwide Street View places "
            f"instead of a UK region, coarse global overhead layers (about 5-10 km pixels) instead of "
            f"aerial imagery, MODIS at 0.05 degrees as the truth, and a spatially blocked split.")
