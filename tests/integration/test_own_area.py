"""An own study area end to end, built from the demo data in a temporary folder (``tests/own_area.py``).

The five commands: ``area init``, ``data summary``, ``train``, ``export``, ``generate``; and the
Map page on that area (a click generates views).
"""

import json
import time
from pathlib import Path

import pytest
from PIL import Image

from geogan_core.cli import main
from geogan_core.config import load_config
from tests.own_area import build_own_area, map_page_after_a_click

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def own_area(shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("europe")
    return root, build_own_area(shared_data, root)


def _run(capsys, *argv) -> tuple[str, float]:
    t0 = time.time()
    rc = main(list(argv))
    out = capsys.readouterr()
    assert rc == 0, out.err
    return out.out, time.time() - t0


def test_five_commands_then_the_map_page(own_area, tmp_path, capsys, monkeypatch):
    root, n_photos = own_area
    cfg = tmp_path / "europe.toml"
    ckpt = tmp_path / "checkpoints"
    monkeypatch.setenv("GEOGAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(ckpt))
    times = {}
    out, times["area init"] = _run(capsys, "area", "init", "--name", "europe", "--overhead", str(root / "rasters"),
                                   "--photos", str(root / "photos"), "--landcover", str(root / "landcover_utm32.tif"),
                                   "--urban-classes", "13", "--views-per-image", "4", "--out", str(cfg))
    assert "EPSG:3035" in out and "EPSG:3857" in out and "EPSG:32632" in out
    assert f"{n_photos + 2} found, {n_photos} kept" in out
    assert "1 no EXIF GPS" in out and "1 duplicate photo" in out
    area = load_config(cfg)
    assert area.name == "europe" and [layer.kind for layer in area.layers] == ["gray", "rgb"]
    assert 7000 < area.patch.res_m < 9000 and area.landcover.groups == {"urban": (13,)}
    assert area.checkpoints_dir == ROOT / "checkpoints" / "europe"  # GEOGAN_CHECKPOINTS overrides it here
    from geogan_core.geo.stack import OverheadStack

    (s, w), (n, e) = OverheadStack(area).bounds()  # the map opens on this box
    assert 38 < s < 41 and 55 < n < 58 and -11 < w < -4 and 19 < e < 24

    out, times["data summary"] = _run(capsys, "data", "summary", "--config", str(cfg), "--json")
    summary = json.loads(out)
    assert summary["panoramas"] == n_photos and summary["views"] == 4 * n_photos
    assert set(summary["label_counts"]) == {"rural", "urban"}

    out, times["train"] = _run(capsys, "train", "cgan", "--config", str(cfg), "--max-steps", "2", "--width", "8",
                               "--batch-size", "8", "--device", "cpu", "--run-dir", str(tmp_path / "runs" / "modern"))
    out, times["export"] = _run(capsys, "export", "modern", "--config", str(cfg), "--runs", str(tmp_path / "runs"))
    assert (ckpt / "cgan-modern.pt").is_file() and "modern: cgan-modern.pt" in out
    grid = tmp_path / "grid.png"
    out, times["generate"] = _run(capsys, "generate", "--config", str(cfg), "--lat", "48.85", "--lon", "2.35",
                                  "-n", "4", "--out", str(grid), "--json")
    assert json.loads(out)["n"] == 4 and Image.open(grid).size[0] > 64
    print(json.dumps({k: round(v, 2) for k, v in times.items()}))

    # the world's checkpoints are refused here, naming both areas
    rc = main(["generate", "--config", str(cfg), "--lat", "48.85", "--lon", "2.35", "--checkpoints",
               str(ROOT / "checkpoints"), "--out", str(tmp_path / "x.png")])
    assert rc == 2 and "trained on study area 'world', not 'europe'" in capsys.readouterr().err

    # the Map page on this area: a click generates views
    at = map_page_after_a_click(cfg, monkeypatch, 48.85, 2.35)
    images = [img.caption for el in at.get("image") for img in el.proto.imgs]
    assert len(images) >= 2 + 16 and {"night_lights_merc", "summer_laea"} <= set(images), images
