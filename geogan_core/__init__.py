"""GeoGAN Explorer core: ground-level views and land-cover features from overhead imagery.

The app's pages use only the names exported here (imported lazily, so ``import
geogan_core`` stays cheap for the command line).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "GeoGanError": "geogan_core.errors",
    "load_config": "geogan_core.config",
    "StudyArea": "geogan_core.config",
    "default_checkpoints": "geogan_core.manifest",
    "gan_names": "geogan_core.manifest",
    "photo_places": "geogan_core.data.paired",
    "Explorer": "geogan_core.inference.generate",
    "shared_explorer": "geogan_core.inference.generate",
    "wrap_lon": "geogan_core.geo.grid",
    "GenerationResult": "geogan_core.inference.generate",
    "MAX_VIEWS": "geogan_core.inference.params",
    "study_status": "geogan_core.inference.status",
    "home_status": "geogan_core.inference.status",
    "home_showcase": "geogan_core.inference.status",
    "StudyStatus": "geogan_core.inference.status",
    "ShowcaseTile": "geogan_core.inference.status",
    "describe_place": "geogan_core.inference.place",
    "alike_places": "geogan_core.inference.alike",
    "retrieve": "geogan_core.inference.alike",
    "model_title": "geogan_core.inference.models",
    "PlaceReport": "geogan_core.inference.place",
    "WELL_KNOWN_PLACES": "geogan_core.inference.place",
    "gallery": "geogan_core.inference.place",
    "ViewParams": "geogan_core.inference.params",
    "parse_view_params": "geogan_core.inference.params",
    "parse_latlon": "geogan_core.inference.params",
    "parse_slider_params": "geogan_core.inference.params",
    "render_overlays": "geogan_core.webmap.overlays",
    "dense_overlays": "geogan_core.webmap.overlays",
    "explorer_map": "geogan_core.webmap.maps",
    "click_map_args": "geogan_core.webmap.clickmap",
    "map_drawing": "geogan_core.webmap.clickmap",
    "legend_html": "geogan_core.webmap.maps",
    "local_assets_note": "geogan_core.webmap.offline",
    "LatentEditor": "geogan_core.inference.generate",
    "PHYSICAL_EDITS": "geogan_core.inference.latent",
    "gif_bytes": "geogan_core.imaging",
    "data_uris": "geogan_core.imaging",
    "FEATURE_SETS": "geogan_core.evaluation.embedding",
    "load_embedding": "geogan_core.evaluation.embedding",
    "compute_embedding": "geogan_core.evaluation.embedding",
    "embedding_key": "geogan_core.evaluation.embedding",
    "point_table": "geogan_core.evaluation.embedding",
    "embedding_images": "geogan_core.evaluation.embedding",
    "points_map": "geogan_core.webmap.maps",
    "load_results": "geogan_core.evaluation.report",
    "run_evaluation": "geogan_core.evaluation.evaluate",
    "table_rows": "geogan_core.evaluation.report",
    "claim_statement": "geogan_core.evaluation.report",
    "split_rows": "geogan_core.evaluation.report",
    "paired_rows": "geogan_core.evaluation.report",
    "fold_rows": "geogan_core.evaluation.report",
    "SPLIT_RESULTS": "geogan_core.evaluation.report",
    "method_label": "geogan_core.evaluation.report",
    "dense_map_image": "geogan_core.evaluation.dense",
    "layer_images": "geogan_core.geo.stack",
    "check_latlon": "geogan_core.geo.grid",
    "grid": "geogan_core.imaging",
    "stage": "geogan_core.timing",
    "png_bytes": "geogan_core.imaging",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'geogan_core' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
