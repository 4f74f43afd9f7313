"""UMAP of image features of real and generated views, with clusters and separation numbers.

Feature sets: the modern cGAN discriminator (``cgan_disc``), the unconditional GAN
discriminator (``ugan_disc``) and EfficientNet-Lite0 (``lite0``). Points are every real view
plus one generated view per place (modern cGAN, seed 0). The embedding is computed by
``python -m geogan_core features`` (numba compiles UMAP for about 40 s on first use) and
stored with its metadata as ``.npz`` keyed by the checkpoints and settings; pages only read it.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from geogan_core.config import PROJECT_ROOT
from geogan_core.data.splits import split_name
from geogan_core.errors import DataNotFoundError, InvalidRequestError
from geogan_core.fileio import atomic_path
from geogan_core.inference.generate import Explorer
from geogan_core.models.extract import discriminator_features, image_features
from geogan_core.models.features import cached_features, real_view_features
from geogan_core.models.noise import latents
from geogan_core.progress import ProgressFn

FEATURE_SETS = {"cgan_disc": "modern cGAN discriminator", "ugan_disc": "unconditional GAN discriminator",
                "lite0": "EfficientNet-Lite0 (ImageNet)"}
EMBED_DIR = PROJECT_ROOT / "results" / "features"
GEN_SEED = 1_000_000


def region_of(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """A coarse continent name from coordinates (boxes; good enough for colouring)."""
    out = np.full(len(lat), "Other", dtype=object)
    boxes = [("Europe", 35, 72, -25, 45), ("Asia", 0, 80, 45, 180), ("Asia", -11, 35, 60, 150),
             ("Africa", -36, 37, -20, 52), ("North America", 12, 75, -170, -50),
             ("South America", -57, 12, -92, -30), ("Oceania", -50, 0, 110, 180)]
    for name, la0, la1, lo0, lo1 in reversed(boxes):
        out[(lat >= la0) & (lat <= la1) & (lon >= lo0) & (lon <= lo1)] = name
    return out.astype(str)


@dataclass
class Embedding:
    """2-D coordinates of real and generated views, their metadata, clusters and scores."""

    feature_set: str
    xy: np.ndarray  # (N, 2)
    source: np.ndarray  # "real" / "generated"
    place: np.ndarray  # index into the paired data's places
    view: np.ndarray  # real view index, or -1 for generated views
    cluster: np.ndarray
    scores: dict[str, Any]
    clusters: list[dict[str, Any]]
    key: str


def generated_views(explorer: Explorer, places: np.ndarray) -> np.ndarray:
    """The modern cGAN's view of each place that the embedding uses (seeded by the place index)."""
    z_dim = explorer.gan("modern").G.z_dim
    z = torch.cat([latents(1, GEN_SEED + int(i), z_dim) for i in places])
    return explorer.render("modern", z, explorer.data.patches[places].astype(np.float32))[0]


def embedding_key(explorer: Explorer, feature_set: str, k: int = 8) -> str:
    """Hash of what an embedding depends on: data, checkpoints, feature set and settings."""
    models = [explorer.gan(n).sha256[:12] for n in ("modern", "ugan") if n in explorer.available()]
    return hashlib.sha1(json.dumps([feature_set, explorer.data.key, models, k, 1]).encode()).hexdigest()[:12]


def _features(explorer: Explorer, feature_set: str, generated: np.ndarray, gen_places: np.ndarray,
              progress: ProgressFn | None) -> np.ndarray:
    d = explorer.data
    cache = explorer.area.cache_dir
    if feature_set == "lite0":
        from geogan_core.checkpoint import load_image_features

        net = load_image_features(128)
        real = real_view_features(cache, d.arrays_key, d.views64, lambda: net, 128, progress)
        return np.concatenate([real, image_features(net, generated, progress=progress)])
    gan = explorer.gan("modern" if feature_set == "cgan_disc" else "ugan")
    real = cached_features(cache, f"{feature_set}-real-{gan.sha256[:12]}-{d.arrays_key}",
                           lambda: discriminator_features(gan.D, d.views64, d.patches[d.view_loc], progress=progress))
    return np.concatenate([real, discriminator_features(gan.D, generated, d.patches[gen_places])])


def separation(x: np.ndarray, labels: np.ndarray, seed: int = 0) -> dict[str, float]:
    """How well features separate the labels: silhouette and 5-fold 5-NN accuracy."""
    from sklearn.metrics import silhouette_score  # scikit-learn only to compute: the page reads the stored file
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    ok = labels >= 0
    x, y = x[ok], labels[ok]
    rng = np.random.default_rng(seed)
    sub = rng.choice(len(y), min(len(y), 3000), replace=False)
    knn = cross_val_score(KNeighborsClassifier(5), x, y, cv=5).mean()
    return {"silhouette": round(float(silhouette_score(x[sub], y[sub])), 4), "knn5_accuracy": round(float(knn), 4)}


def compute_embedding(explorer: Explorer, feature_set: str, k: int = 8, seed: int = 0,
                      folder: Path | None = None, progress: ProgressFn | None = None) -> Embedding:
    """Features, UMAP, k-means and separation numbers for one feature set; saved as ``.npz``.

    Raises:
        InvalidRequestError: For an unknown feature set.
    """
    if feature_set not in FEATURE_SETS:
        raise InvalidRequestError(f"unknown feature set {feature_set!r}; choose from {sorted(FEATURE_SETS)}")
    import umap  # slow imports (numba, scikit-learn): only here
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    t0 = time.time()
    d = explorer.data
    places = np.arange(d.n_locations)
    generated = np.concatenate([generated_views(explorer, places[s: s + 256]) for s in range(0, len(places), 256)])
    feats = _features(explorer, feature_set, generated, places, progress)
    n_real = len(d.view_loc)
    source = np.array(["real"] * n_real + ["generated"] * len(places))
    place = np.concatenate([d.view_loc, places])
    standard = (feats - feats.mean(0)) / (feats.std(0) + 1e-6)
    reduced = PCA(min(50, feats.shape[1]), random_state=seed).fit_transform(standard)
    xy = umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=seed).fit_transform(reduced).astype(np.float32)
    cluster = KMeans(k, n_init=4, random_state=seed).fit_predict(reduced)
    labels = d.loc_label[place].astype(int)
    real = source == "real"
    scores = {"full": separation(reduced[real], labels[real]), "umap_2d": separation(xy[real], labels[real]),
              "n_points": int(len(xy)), "seconds": round(time.time() - t0, 1)}
    clusters = []
    for c in range(k):
        m = cluster == c
        shares = {g: round(float((labels[m] == i).mean()), 3) for i, g in enumerate(d.group_names)}
        top = np.bincount(d.loc_class[place[m]].astype(int), minlength=256)
        clusters.append({"cluster": c, "size": int(m.sum()), "generated_share": round(float((~real[m]).mean()), 3),
                         **shares, "top_class": explorer.area.landcover.class_names.get(
                             int(top.argmax()), str(int(top.argmax()))),
                         "top_class_share": round(float(top.max() / m.sum()), 3)})
    emb = Embedding(feature_set, xy, source, place, np.concatenate([np.arange(n_real), -np.ones(len(places), int)]),
                    cluster, scores, clusters, embedding_key(explorer, feature_set, k))
    save_embedding(emb, Path(folder or EMBED_DIR))
    return emb


def ensure_embedding(explorer: Explorer, feature_set: str, k: int = 8, folder: Path | None = None,
                     progress: ProgressFn | None = None) -> Embedding:
    """The saved embedding when its key matches the current data and checkpoints, else a fresh one."""
    try:
        emb = load_embedding(feature_set, folder)
        if emb.key == embedding_key(explorer, feature_set, k):
            return emb
    except DataNotFoundError:
        pass
    return compute_embedding(explorer, feature_set, k=k, folder=folder, progress=progress)


def save_embedding(emb: Embedding, folder: Path) -> Path:
    """Write ``<folder>/<feature_set>.npz`` atomically."""
    path = folder / f"{emb.feature_set}.npz"
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, xy=emb.xy, source=emb.source, place=emb.place, view=emb.view, cluster=emb.cluster,
                 meta=np.array(json.dumps({"scores": emb.scores, "clusters": emb.clusters, "key": emb.key})))
    return path


def load_embedding(feature_set: str, folder: Path | None = None) -> Embedding:
    """Read a saved embedding.

    Raises:
        DataNotFoundError: If it has not been computed.
    """
    path = Path(folder or EMBED_DIR) / f"{feature_set}.npz"
    if not path.is_file():
        raise DataNotFoundError(f"no embedding for {feature_set!r} at {path}; compute it with "
                                f"`python -m geogan_core features --set {feature_set}` or the button below")
    z = np.load(path, allow_pickle=False)
    meta = json.loads(str(z["meta"]))
    return Embedding(feature_set, z["xy"], z["source"], z["place"], z["view"], z["cluster"], meta["scores"],
                     meta["clusters"], meta["key"])


def point_table(emb: Embedding, explorer: Explorer) -> dict[str, np.ndarray]:
    """Columns for plotting: coordinates and every field the page can colour by."""
    d = explorer.data
    lc = explorer.area.landcover
    p = emb.place
    label = d.loc_label[p].astype(int)
    return {"x": emb.xy[:, 0], "y": emb.xy[:, 1], "source": emb.source,
            "land cover": np.array([lc.class_names.get(int(c), str(c)) for c in d.loc_class[p]]),
            "urban/rural": np.array([d.group_names[v] if v >= 0 else "none" for v in label]),
            "split": np.array([split_name(int(s)) for s in d.loc_split[p]]),
            "region": region_of(d.loc_lat[p], d.loc_lon[p]), "cluster": emb.cluster.astype(str),
            "lat": d.loc_lat[p], "lon": d.loc_lon[p], "place": p, "view": emb.view}


def embedding_images(explorer: Explorer, emb: Embedding, rows: list[int]) -> np.ndarray:
    """The views behind some points: real views from the cache, generated ones regenerated (seeded)."""
    rows_arr = np.asarray(rows, int)
    out = np.zeros((len(rows_arr), 64, 64, 3), np.uint8)
    real = emb.view[rows_arr] >= 0
    if real.any():
        out[real] = explorer.data.views64[emb.view[rows_arr[real]]]
    if (~real).any():
        out[~real] = generated_views(explorer, emb.place[rows_arr[~real]])
    return out
