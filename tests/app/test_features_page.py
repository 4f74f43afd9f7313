from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

import geogan_core.evaluation.embedding as embedding
from geogan_core.config import load_config
from geogan_core.evaluation.embedding import Embedding, embedding_key, save_embedding
from geogan_core.inference.generate import Explorer

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "3_Features.py")


def _small_embedding(folder, n_real=40, n_gen=10):
    ex = Explorer(load_config())
    rng = np.random.default_rng(0)
    emb = Embedding("cgan_disc", rng.normal(size=(n_real + n_gen, 2)).astype(np.float32),
                    np.array(["real"] * n_real + ["generated"] * n_gen),
                    np.concatenate([ex.data.view_loc[:n_real], np.arange(n_gen)]),
                    np.concatenate([np.arange(n_real), -np.ones(n_gen, int)]), rng.integers(0, 3, n_real + n_gen),
                    {"full": {"silhouette": 0.1, "knn5_accuracy": 0.7}, "umap_2d": {"silhouette": 0.05,
                                                                                   "knn5_accuracy": 0.65}},
                    [{"cluster": 0, "size": 50}], embedding_key(ex, "cgan_disc"))
    save_embedding(emb, folder)
    return emb


def _length(values):
    """Number of values in a plotly array (a list, or a typed array {dtype, bdata})."""
    if isinstance(values, dict):
        import base64

        return len(np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]))
    return len(values)


class TestFeaturesPage:
    def test_chart_has_all_points_and_selection_shows_images(self, monkeypatch, tmp_path, shared_data):
        _small_embedding(tmp_path)
        monkeypatch.setattr(embedding, "EMBED_DIR", tmp_path)
        at = AppTest.from_file(PAGE, default_timeout=180).run()
        assert not at.exception
        chart = at.get("plotly_chart")[0]
        import json

        spec = json.loads(chart.proto.spec)
        assert sum(_length(trace["x"]) for trace in spec["data"]) == 50
        assert "5-NN accuracy 70.0%" in " ".join(m.value for m in at.markdown)
        at.session_state["umap"] = {"selection": {"points": [{"customdata": 0}, {"customdata": 45}],
                                                  "point_indices": [0, 45], "box": [], "lasso": []}}
        at.run()
        assert not at.exception
        assert any("2 selected views" in s.value for s in at.subheader)
        assert len(at.get("image")[0].proto.imgs) == 2  # the selection; cluster examples follow

    def test_missing_embedding_offers_compute(self, monkeypatch, tmp_path, shared_data):
        monkeypatch.setattr(embedding, "EMBED_DIR", tmp_path)
        at = AppTest.from_file(PAGE, default_timeout=180).run()
        assert not at.exception
        assert "python -m geogan_core features" in at.info[0].value
        assert at.button[0].label.startswith("Compute now")
