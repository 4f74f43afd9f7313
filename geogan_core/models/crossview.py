"""The cross-view embedding: overhead patches and ground views in one space (two towers, InfoNCE).

The overhead tower is a small CNN on the patch (optionally with where the place is: three
constant planes of its position on the unit sphere, ``located``); the view tower an MLP on frozen
EfficientNet-Lite0 features of a view (computed once per dataset). Both end on the unit
sphere, so a dot product is a cosine similarity. Several independently trained towers make one
ensemble (``Members``): their unit embeddings side by side, scaled so that a dot product is
the members' mean cosine. Trained by ``retrieval.train``; used by ``retrieval.memory`` (places
that look alike from above) and the retrieval-guided generator.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from geogan_core.errors import InvalidRequestError
from geogan_core.models.encoder import ConditionEncoder

VIEW_FEATURES = 1280  # EfficientNet-Lite0's pooled features
LOCATION_PLANES = 3  # x, y, z of the place on the unit sphere
SELF = 0.9999  # a query this alike to a memory place's own overhead embedding is that place


def located(patch: torch.Tensor, lat: np.ndarray | torch.Tensor, lon: np.ndarray | torch.Tensor) -> torch.Tensor:
    """``(B, C, S, S)`` patches with ``LOCATION_PLANES`` more: where each place is on the unit sphere, in [0, 1]."""
    lat, lon = (torch.deg2rad(torch.as_tensor(np.asarray(v, np.float64)).reshape(-1)) for v in (lat, lon))
    xyz = torch.stack([lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()], 1).to(patch.dtype)
    return torch.cat([patch, ((xyz + 1) / 2)[:, :, None, None].expand(-1, -1, *patch.shape[-2:])], 1)


class Members(nn.Module):
    """An ensemble of towers: their unit outputs side by side over sqrt(members) (a unit vector)."""

    def __init__(self, build: Callable[[], nn.Module], members: int) -> None:
        super().__init__()
        self.towers = nn.ModuleList(build() for _ in range(members))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, ...)`` -> ``(B, dim * members)`` unit vectors."""
        out = [nn.functional.normalize(t(x), dim=1) for t in self.towers]
        return torch.cat(out, 1) / math.sqrt(len(out))


def _towers(build: Callable[[], nn.Module], members: int) -> nn.Module:
    """One tower (the state keys of single-tower checkpoints), or ``Members`` of several."""
    return build() if members == 1 else Members(build, members)


class OverheadTower(nn.Module):
    """A small CNN over the whole patch, plus the raw pixels of its central ``center`` x ``center`` window.

    The pooled CNN sees the region; the centre pixels tell apart places of one region whose
    160-km patches are nearly the same.
    """

    def __init__(self, in_channels: int, dim: int, width: int, center: int, dropout: float) -> None:
        super().__init__()
        self.center = center
        self.cnn = ConditionEncoder(in_channels, 4 * width, width)
        self.head = nn.Sequential(nn.LeakyReLU(0.2), nn.Dropout(dropout),
                                  nn.Linear(4 * width + in_channels * center * center, dim))

    def forward(self, patch: torch.Tensor) -> torch.Tensor:
        """``(B, C, S, S)`` -> ``(B, dim)`` (not normalised)."""
        s, c = patch.shape[-1], self.center
        mid = patch[..., (s - c) // 2: (s + c) // 2, (s - c) // 2: (s + c) // 2].flatten(1) * 2 - 1
        return self.head(torch.cat([self.cnn(patch), mid], 1))


class CrossViewNet(nn.Module):
    """Two towers into one ``dim``-d unit sphere.

    Args:
        in_channels: Channels of the overhead patch.
        dim: Size of the shared embedding.
        width: Width of the overhead CNN.
        view_dim: Size of the frozen view features.
        dropout: Dropout in both towers (few hundred training places: it overfits without).
        center: Side of the central window whose raw pixels the overhead tower also reads (0: none).
        location: The overhead tower also reads where the place is (``located``).
        members: Towers of the ensemble (``Members``); each is trained alone (``retrieval.train``).
    """

    def __init__(self, in_channels: int, dim: int = 64, width: int = 32, view_dim: int = VIEW_FEATURES,
                 dropout: float = 0.2, center: int = 4, location: bool = False, members: int = 1) -> None:
        super().__init__()
        self.in_channels, self.dim, self.width, self.view_dim, self.center = in_channels, dim, width, view_dim, center
        self.location, self.members = bool(location), int(members)
        read = in_channels + LOCATION_PLANES * self.location
        self.overhead = _towers(lambda: OverheadTower(read, dim, width, center, dropout), self.members)
        self.view = _towers(lambda: nn.Sequential(nn.LayerNorm(view_dim), nn.Dropout(dropout),
                                                  nn.Linear(view_dim, 256), nn.GELU(), nn.Linear(256, dim)),
                            self.members)
        self.log_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))  # CLIP's learned temperature

    @classmethod
    def ensemble(cls, nets: list[CrossViewNet]) -> CrossViewNet:
        """One net whose towers are those of ``nets`` (single-tower nets of one shape)."""
        if len(nets) == 1:
            return nets[0]
        out = cls(**{**nets[0].config(), "members": len(nets)}, dropout=0.0)
        for i, net in enumerate(nets):
            out.overhead.towers[i].load_state_dict(net.overhead.state_dict())
            out.view.towers[i].load_state_dict(net.view.state_dict())
        return out

    def embed_overhead(self, patch: torch.Tensor, lat: np.ndarray | None = None,
                       lon: np.ndarray | None = None) -> torch.Tensor:
        """``(B, C, S, S)`` patches in [0, 1] (a located net: and where they are) -> ``(B, dim * members)`` units."""
        return nn.functional.normalize(self.overhead(_where(patch, self.location, lat, lon)), dim=1)

    def embed_views(self, feats: torch.Tensor) -> torch.Tensor:
        """``(B, view_dim)`` Lite0 features -> ``(B, dim * members)`` unit vectors."""
        return nn.functional.normalize(self.view(feats), dim=1)

    def config(self) -> dict[str, int]:
        """The shape, stored in checkpoints."""
        return {"in_channels": self.in_channels, "dim": self.dim, "width": self.width, "view_dim": self.view_dim,
                "center": self.center, "location": int(self.location), "members": self.members}


def _where(patch: torch.Tensor, location: bool, lat: np.ndarray | None, lon: np.ndarray | None) -> torch.Tensor:
    """The patch a tower reads: ``located`` for a located tower (which then needs ``lat``/``lon``)."""
    if not location:
        return patch
    if lat is None or lon is None:
        raise InvalidRequestError("this retrieval memory reads where a place is: give its lat and lon")
    return located(patch, lat, lon)


def info_nce(a: torch.Tensor, b: torch.Tensor, log_scale: torch.Tensor) -> torch.Tensor:
    """Symmetric InfoNCE of matching rows of two unit-vector batches (CLIP's loss)."""
    logits = a @ b.t() * log_scale.clamp(max=math.log(100)).exp()
    target = torch.arange(len(a), device=a.device)
    return (nn.functional.cross_entropy(logits, target) + nn.functional.cross_entropy(logits.t(), target)) / 2


class PlaceMemory(nn.Module):
    """Places that look alike from above: the overhead tower plus one key and one value per known place.

    ``keys`` are what a query's overhead embedding is compared with (cosine); ``values`` the places'
    ground-view embeddings (what they look like down there); ``selves`` the places' own overhead
    embeddings, by which a training place asking the memory is known whatever the key. All are
    buffers whose size follows the memory it was loaded with, so a module built empty loads any
    memory (one saved before ``selves`` loads with none).

    Args:
        in_channels: Channels of the overhead patch.
        dim: Embedding size.
        width: Width of the overhead CNN.
        center: Its central window (``CrossViewNet``).
        location: The overhead tower also reads where the place is (queries then need lat and lon).
        members: Towers of the ensemble.
    """

    def __init__(self, in_channels: int, dim: int = 64, width: int = 32, center: int = 4, location: bool = False,
                 members: int = 1) -> None:
        super().__init__()
        self.location = bool(location)
        read = in_channels + LOCATION_PLANES * self.location
        self.overhead = _towers(lambda: OverheadTower(read, dim, width, center, 0.0), members)
        self.register_buffer("keys", torch.zeros(0, dim * members))
        self.register_buffer("values", torch.zeros(0, dim * members))
        self.register_buffer("selves", torch.zeros(0, dim * members))

    def fill(self, net: CrossViewNet, keys: torch.Tensor, values: torch.Tensor, selves: torch.Tensor) -> PlaceMemory:
        """Copy a trained net's overhead tower and the memory rows in; returns self."""
        self.overhead.load_state_dict(net.overhead.state_dict())
        self.keys, self.values, self.selves = (t.detach().float().clone() for t in (keys, values, selves))
        return self

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):  # type: ignore[no-untyped-def]
        if prefix + "keys" in state_dict and prefix + "selves" not in state_dict:  # saved before selves
            state_dict[prefix + "selves"] = state_dict[prefix + "keys"].new_zeros(0, self.selves.shape[1])
        for name in ("keys", "values", "selves"):  # resize to the incoming memory before the copy
            if prefix + name in state_dict:
                setattr(self, name, torch.zeros_like(state_dict[prefix + name], dtype=torch.float32))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def query(self, patch: torch.Tensor, lat: np.ndarray | None = None, lon: np.ndarray | None = None) -> torch.Tensor:
        """Unit overhead embeddings of patches (a located memory also needs where they are)."""
        return nn.functional.normalize(self.overhead(_where(patch, self.location, lat, lon)), dim=1)

    def search(self, patch: torch.Tensor, k: int, skip_self: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """The ``k`` most alike places of each patch: ``(similarities (B, k), indices (B, k))``, best first.

        ``skip_self``: a training place's own row is left out: the row whose own overhead embedding
        the query matches (``SELF``; a memory saved before ``selves`` knows a place only by an
        ``overhead`` key, so keyed otherwise it may find itself).
        """
        query = self.query(patch.float())
        sim = query @ self.keys.t()
        if skip_self:
            own = query @ self.selves.t() if len(self.selves) else sim
            sim = sim.masked_fill(own > SELF, -2.0)
        return sim.topk(min(k, len(self.keys)), dim=1)
