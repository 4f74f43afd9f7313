"""Integration tests on the real demo data in ../shared/data (read-only)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from geogan_core.config import load_config
from geogan_core.data.paired import load_paired
from geogan_core.data.summary import data_summary, preview_image
from geogan_core.geo.stack import LandCover, OverheadStack

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def area(shared_data):
    return load_config()


class TestDemoData:
    def test_counts_and_labels(self, area):
        data = load_paired(area)
        assert data.n_locations == 1223 and len(data.view_loc) == 4892
        assert data.views64.shape == (4892, 64, 64, 3) and data.patches.shape == (1223, 9, 32, 32)
        no_label = data.loc_label < 0
        # every place without a label says why (water or nodata at the point and around it)
        assert set(data.loc_label_source[no_label]) <= {"water", "nodata"}
        assert (data.loc_label >= 0).sum() > 1200

    def test_split_keeps_whole_regions_apart(self, area):
        from geogan_core.data.splits import nearest_km

        data = load_paired(area)
        assert area.split.kind == "regions" and len(set(data.loc_region)) == 99  # "alleys in Peru" -> "Peru"
        for r in np.unique(data.loc_region):
            assert len(set(data.loc_split[data.loc_region == r]) - {-1}) <= 1, r  # a region may be dropped whole
        assert all(data.split_mask(s).sum() > 100 for s in ("train", "val", "test"))
        train, test = data.split_mask("train"), data.split_mask("test")
        d = nearest_km(data.loc_lat[train], data.loc_lon[train], data.loc_lat[test], data.loc_lon[test])
        assert d.min() >= area.split.buffer_km and data.split.n_dropped > 0

    def test_places_look_right(self, area):
        stack, lc = OverheadStack(area), LandCover(area.landcover)
        moscow, _ = stack.patch(55.75, 37.62)
        outback, _ = stack.patch(-25.0, 133.0)
        night = stack.channel_names.index("night_lights")
        assert moscow[night].mean() > 2 * outback[night].mean()  # city lights
        assert lc.label(55.75, 37.62).group == "urban" and lc.label(-25.0, 133.0).group == "rural"
        assert lc.label(0.0, -140.0).group is None  # Pacific

    def test_summary_keys(self, area):
        s = data_summary(area)
        for key in ("panoramas", "views", "labelled_locations", "label_counts", "overhead_layers", "splits"):
            assert key in s
        assert s["panoramas"] == 1223 and s["views"] == 4892 and len(s["overhead_layers"]) == 5
        split = s["split"]
        assert split["kind"] == "regions" and split["regions"] == 99
        assert sum(v["places"] for v in split["sides"].values()) + split["dropped_by_buffer"] == 1223
        assert split["min_train_test_km"] >= 100 and split["sides"]["test"]["regions"] > 5

    def test_preview(self, area):
        img = preview_image(area, 38.0, -97.0, k=2)
        assert img.ndim == 3 and img.shape[0] > 128 * 3


class TestCli:
    def _run(self, *args):
        return subprocess.run([sys.executable, "-m", "geogan_core", *args], capture_output=True, text=True,
                              cwd=ROOT, timeout=600)

    def test_data_summary_json(self, shared_data):
        proc = self._run("data", "summary", "--json")
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)
        assert out["panoramas"] == 1223 and out["views"] == 4892

    @pytest.mark.parametrize("args,message", [
        (["data", "summary", "--config", "missing.toml"], "config file"),
        (["data", "preview", "--lat", "123", "--lon", "0"], "latitude 123 is outside"),
        (["generate", "--lat", "0", "--lon", "0", "-n", "500", "--checkpoints", "checkpoints"], "between 1 and 64"),
    ])
    def test_errors_are_one_line(self, shared_data, args, message):
        proc = self._run(*args)
        assert proc.returncode == 2
        assert message in proc.stderr and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
