"""Land-cover methods of the paper (and two references): one feature vector per place each.

- ``interpolated_features``: inverse-distance-weighted mean of EfficientNet-Lite0 features of
  the real views at the k nearest *train* places (never the place's own photos);
- ``unconditional_gan``: the same interpolation of the unconditional GAN discriminator's
  features of those real views;
- ``cgan_images``: Lite0 features of N views generated at the place, averaged;
- ``cgan_features``: the cGAN discriminator's features of those views (with their condition);
- ``overhead_only``: statistics of the overhead patch alone (not in the paper);
- ``overhead_plus_cgan``: those statistics and the cGAN discriminator features together, one
  classifier (do generated views add anything to the overhead imagery they were made from?);
- ``retrieved_views``: Lite0 features of the real views of the k training places most alike from
  above (the cross-view retrieval memory): needs only the overhead patch at test time, like the cGAN
  methods; a training place never retrieves itself;
- ``real_photos``: Lite0 features of the place's own views (the upper bound where photos exist).

``cgan_*`` and ``overhead_plus_cgan`` use the modern cGAN; ``cgan_*_paper`` the paper-faithful one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from geogan_core.checkpoint import load_image_features
from geogan_core.inference.generate import Explorer
from geogan_core.inference.votes import idw, overhead_features
from geogan_core.models.extract import discriminator_features, image_features
from geogan_core.models.features import cached_features, real_view_features
from geogan_core.models.noise import latents
from geogan_core.progress import ProgressFn

INTERPOLATED = ("interpolated_features", "unconditional_gan")
GENERATED = {"cgan_images": ("modern", "lite0"), "cgan_features": ("modern", "disc"),
             "cgan_images_paper": ("paper", "lite0"), "cgan_features_paper": ("paper", "disc"),
             "overhead_plus_cgan": ("modern", "overhead+disc")}
METHODS = ("interpolated_features", "unconditional_gan", "cgan_images", "cgan_features", "cgan_images_paper",
           "cgan_features_paper", "overhead_only", "overhead_plus_cgan", "retrieved_views", "real_photos")
CHEAP = ("interpolated_features", "overhead_only", "real_photos")
"""Methods that need no GAN training: they can be refitted on any region fold."""


@dataclass
class Places:
    """Places to score: coordinates, overhead patches, regions and (optionally) their own real views."""

    lat: np.ndarray
    lon: np.ndarray
    patches: np.ndarray  # (P, C, S, S)
    regions: np.ndarray  # (P,) region name: the unit of the intervals
    views: np.ndarray | None = None  # (P, V, 64, 64, 3) uint8, for real_photos at places outside the data
    index: np.ndarray | None = None  # (P,) place index in the paired data, for places inside it
    exclude_bank: np.ndarray | None = None  # (P,) index of the bank place that is the place itself, or -1


class FeatureMaker:
    """Computes each method's per-place features, caching the expensive parts on disk."""

    def __init__(self, explorer: Explorer, progress: ProgressFn | None = None) -> None:
        """Bind to a study area's explorer (data, models, cache folder)."""
        self.ex, self.progress = explorer, progress
        self.data = explorer.data
        self._nets: dict[int, torch.nn.Module] = {}

    def lite0(self, size: int = 128) -> torch.nn.Module:
        """EfficientNet-Lite0 at an input size, loaded once per size."""
        if size not in self._nets:
            self._nets[size] = load_image_features(size)
        return self._nets[size]

    def real_view_features(self) -> np.ndarray:
        """Lite0 features of every real view (cached by the data key)."""
        return real_view_features(self.ex.area.cache_dir, self.data.arrays_key, self.data.views64, self.lite0, 128,
                                  self.progress)

    def bank(self, method: str, train: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Bank places (default: the train split) and their per-place features for an interpolation method."""
        d = self.data
        train = np.flatnonzero(d.split_mask("train")) if train is None else train
        if method == "interpolated_features":
            per_view = self.real_view_features()
        else:
            gan = self.ex.gan("ugan")
            per_view = cached_features(self.ex.area.cache_dir, f"ugan-real-{gan.sha256[:12]}-{d.arrays_key}",
                                       lambda: discriminator_features(gan.D, d.views64, d.patches[d.view_loc],
                                                                      progress=self.progress))
        feats = np.stack([per_view[d.view_loc == i].mean(0) for i in train])
        return d.loc_lat[train], d.loc_lon[train], feats

    def generated(self, places: Places, arch: str, n_views: int, seed: int, key: str) -> dict[str, np.ndarray]:
        """Lite0 and discriminator features of ``n_views`` generated views per place, averaged per place."""
        gan = self.ex.gan(arch)
        tag = f"gen-{arch}-{gan.sha256[:12]}-{key}-n{n_views}-s{seed}"

        def compute() -> np.ndarray:
            z = latents(len(places.lat) * n_views, seed, gan.G.z_dim)
            patches = np.repeat(np.asarray(places.patches, np.float32), n_views, axis=0)
            imgs = np.concatenate([self.ex.render(arch, z[s: s + 512], patches[s: s + 512])[0]
                                   for s in range(0, len(z), 512)])
            # generated views are 64 px: Lite0 reads them at 64 px (4x cheaper than upsampling to 128)
            lite = image_features(self.lite0(64), imgs, progress=self.progress, desc=f"features of {arch} views")
            disc = discriminator_features(gan.D, imgs, patches)
            per_place = [f.reshape(len(places.lat), n_views, -1).mean(1) for f in (lite, disc)]
            return np.concatenate(per_place, axis=1)

        both = cached_features(self.ex.area.cache_dir, tag, compute)
        return {"lite0": both[:, :1280], "disc": both[:, 1280:]}

    def features(self, method: str, places: Places, key: str, k: int = 8, n_views: int = 4,
                 seed: int = 0, bank: np.ndarray | None = None) -> np.ndarray:
        """Per-place features of one method for a set of places (``key`` names the set for caching).

        ``bank`` (place indices) is the interpolation methods' bank of photo places; default the train split.
        """
        if method == "overhead_only":
            return overhead_features(places.patches)
        if method == "retrieved_views":
            pos, _ = self.ex.retrieval.search(np.asarray(places.patches, np.float32), k, places.lat, places.lon,
                                              exclude=places.index)
            per_view, d = self.real_view_features(), self.data
            per_place = np.stack([per_view[d.view_loc == i].mean(0) for i in self.ex.retrieval.place])
            return per_place[pos].mean(1)
        if method == "real_photos":
            if places.index is not None:  # places of the data: their views' features are cached already
                per_view = self.real_view_features()
                return np.stack([per_view[self.data.view_loc == i].mean(0) for i in places.index])
            if places.views is None:
                raise ValueError("real_photos needs the places' own views")
            flat = places.views.reshape(-1, *places.views.shape[2:])
            feats = cached_features(self.ex.area.cache_dir, f"lite0-real-{key}",
                                    lambda: image_features(self.lite0(), flat, progress=self.progress))
            return feats.reshape(len(places.lat), -1, feats.shape[1]).mean(1)
        if method in INTERPOLATED:
            blat, blon, feats = self.bank(method, bank)
            return idw(places.lat, places.lon, blat, blon, feats, k, places.exclude_bank)
        arch, kind = GENERATED[method]
        if kind == "overhead+disc":
            return np.concatenate([overhead_features(places.patches),
                                   self.generated(places, arch, n_views, seed, key)["disc"]], axis=1)
        return self.generated(places, arch, n_views, seed, key)[kind]


def places_at(explorer: Explorer, idx: np.ndarray, bank: np.ndarray) -> Places:
    """Places of the paired data by index; ``bank`` holds the interpolation bank's place indices."""
    d = explorer.data
    pos = {int(p): j for j, p in enumerate(bank)}
    return Places(d.loc_lat[idx], d.loc_lon[idx], d.patches[idx].astype(np.float32), d.loc_region[idx],
                  index=np.asarray(idx), exclude_bank=np.array([pos.get(int(i), -1) for i in idx], int))


def project_places(explorer: Explorer, split: str) -> tuple[Places, np.ndarray, np.ndarray]:
    """The labelled places of one split: ``(places, labels, place indices)``."""
    d = explorer.data
    idx = np.flatnonzero(d.split_mask(split) & (d.loc_label >= 0))
    return places_at(explorer, idx, np.flatnonzero(d.split_mask("train"))), d.loc_label[idx].astype(int), idx

