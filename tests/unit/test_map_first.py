"""The Map page draws its map before the models load: what it needs first imports no torch."""

import json
import subprocess
import sys

import numpy as np

from geogan_core.checkpoint import update_manifest
from geogan_core.data.paired import load_paired, photo_places
from geogan_core.manifest import gan_names


def test_photo_places_are_the_paired_datas_places(tiny_area):
    data = load_paired(tiny_area)
    lat, lon = photo_places(tiny_area)
    assert np.array_equal(lat, data.loc_lat) and np.array_equal(lon, data.loc_lon)


def test_gan_names_best_at_the_place_first_and_only_gans(trained, tmp_path):
    ck = tmp_path / "ck"
    ck.mkdir()
    (ck / "manifest.json").write_text((trained / "ckpt" / "manifest.json").read_text())
    update_manifest(ck, "paper", {"metrics": {"landcover_consistency": 0.6, "landcover_balanced": 0.5}})
    update_manifest(ck, "ugan", {"metrics": {"landcover_consistency": 0.45, "landcover_balanced": 0.52}})
    update_manifest(ck, "judge", {"kind": "judge", "metrics": {"landcover_balanced": 0.9}})
    assert gan_names(ck) == ["ugan", "paper", "modern"]
    update_manifest(ck, "ugan", {"metrics": {}})
    update_manifest(ck, "paper", {"metrics": {}})
    assert gan_names(ck) == ["modern", "paper", "ugan"]  # untied by name
    update_manifest(ck, "ugan", {"metrics": {"landcover_balanced": 0.9}})
    update_manifest(ck, "paper", {"metrics": {"landcover_balanced": 0.4, "judge": {"paired_vs_shuffled": 0.01}}})
    update_manifest(ck, "modern", {"metrics": {"landcover_balanced": 0.3, "judge": {"paired_vs_shuffled": 0.1}}})
    assert gan_names(ck) == ["modern", "paper", "ugan"]  # the judge's place measure first, then the rest
    assert gan_names(tmp_path / "nothing") == []


def test_what_the_map_needs_first_imports_no_torch(tiny_config, trained, tmp_path):
    code = f"""
import json, sys
from pathlib import Path
import geogan_core as gc
static = Path({str(tmp_path / "static")!r})
note = gc.local_assets_note(static)
area = gc.load_config({str(tiny_config)!r})
drawing = gc.map_drawing(gc.render_overlays(area, static), *gc.photo_places(area), static)
models = gc.gan_names(Path({str(trained / "ckpt")!r}))
view, _ = gc.parse_view_params({{"lat": "10", "lon": "20"}}, models)
print(json.dumps({{"torch": "torch" in sys.modules, "models": models, "map": drawing["drawing_key"], "n": view.n}}))
"""
    for _ in range(2):  # the first run renders and keeps the overlays and the drawing; the second reads them
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        assert not result["torch"], "the map's first drawing imported torch"
        assert set(result["models"]) == {"modern", "paper", "ugan"} and result["map"] and result["n"] > 0
