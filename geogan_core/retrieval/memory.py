"""The memory of training places: who they are, where they are, and their keys for retrieval.

Built once from the trained cross-view net (``retrieval.train``) and saved in its checkpoint.
Only training places are in it, so a retrieved view is never a photo of a held-out place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from geogan_core.checkpoint import load_checkpoint
from geogan_core.data.paired import PairedData
from geogan_core.errors import CheckpointError, InvalidRequestError
from geogan_core.models.crossview import CrossViewNet, PlaceMemory

KEYS = ("view", "overhead", "both")
"""What the query's overhead embedding is compared with: the places' ground views (cross-view),
their overhead patches, or the normalised sum of both."""


def true_rank(sim: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per row of ``sim`` (queries x candidates), the rank of its ``truth`` column: 0 = best."""
    own = sim[np.arange(len(sim)), truth]
    return (sim > own[:, None]).sum(1)


def recall_at(sim: np.ndarray, truth: np.ndarray, ks: tuple[int, ...]) -> dict[str, float]:
    """Share of rows of ``sim`` (queries x candidates) whose ``truth`` column is among the top k."""
    rank = true_rank(sim, truth)
    return {f"R@{k}": round(float((rank < k).mean()), 4) for k in ks}


def _unit(x: np.ndarray) -> np.ndarray:
    return x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-12)


@torch.no_grad()
def embed_places(net: CrossViewNet, data: PairedData, view_feats: np.ndarray,
                 places: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Overhead embeddings, per-view embeddings and each view's place (position in ``places``)."""
    net.eval()
    over = net.embed_overhead(torch.from_numpy(data.patches[places].astype(np.float32)), data.loc_lat[places],
                              data.loc_lon[places]).numpy()
    views = np.flatnonzero(np.isin(data.view_loc, places))
    pos = np.searchsorted(places, data.view_loc[views])
    emb = net.embed_views(torch.from_numpy(np.asarray(view_feats[views], np.float32))).numpy()
    return over, emb, pos


@dataclass
class RetrievalMemory:
    """Training places and a ``PlaceMemory`` over them (``module``: the torch part a generator can hold)."""

    module: PlaceMemory
    place: np.ndarray  # (M,) index of each memory place in the paired data
    lat: np.ndarray
    lon: np.ndarray
    key: str  # one of KEYS
    data_key: str

    def __len__(self) -> int:
        return len(self.place)

    @classmethod
    def build(cls, net: CrossViewNet, data: PairedData, view_feats: np.ndarray, places: np.ndarray,
              key: str = "view") -> RetrievalMemory:
        """Embed ``places`` (training places) with a trained net."""
        over, emb, pos = embed_places(net, data, view_feats, places)
        view = np.zeros_like(over)
        np.add.at(view, pos, emb)
        view = _unit(view)
        keys = {"view": view, "overhead": over, "both": _unit(over + view)}[key]
        module = PlaceMemory(net.in_channels, net.dim, net.width, net.center, net.location, net.members).fill(
            net, torch.from_numpy(keys), torch.from_numpy(view), torch.from_numpy(over))
        return cls(module.eval(), np.asarray(places), data.loc_lat[places].copy(), data.loc_lon[places].copy(),
                   key, data.key)

    def state(self) -> dict[str, Any]:
        """Plain tensors and types for a checkpoint."""
        return {"module": self.module.state_dict(), "place": torch.from_numpy(self.place.astype(np.int64)),
                "lat": torch.from_numpy(self.lat), "lon": torch.from_numpy(self.lon), "key": self.key,
                "data_key": self.data_key}

    @classmethod
    def from_checkpoint(cls, ckpt: dict[str, Any], path: str = "retrieval.pt") -> RetrievalMemory:
        """Rebuild from a retrieval checkpoint's ``memory`` and ``net_config``.

        Raises:
            CheckpointError: If the parts are missing or do not fit.
        """
        try:
            cfg, state = ckpt["net_config"], ckpt["memory"]
            module = PlaceMemory(int(cfg["in_channels"]), int(cfg["dim"]), int(cfg["width"]), int(cfg["center"]),
                                 bool(cfg.get("location", False)), int(cfg.get("members", 1)))
            module.load_state_dict(state["module"])
            return cls(module.eval(), state["place"].numpy(), state["lat"].double().numpy(),
                       state["lon"].double().numpy(), str(state["key"]), str(state["data_key"]))
        except (KeyError, RuntimeError, TypeError, AttributeError) as e:
            raise CheckpointError(f"{path} is not a usable retrieval memory ({e}); retrain it: "
                                  f"python -m geogan_core train retrieval && python -m geogan_core export "
                                  f"retrieval") from e

    def check_data(self, data: PairedData, path: str = "retrieval.pt") -> None:
        """Refuse a memory built from other data (its place indices would point at other photos).

        Raises:
            CheckpointError: If the data keys differ.
        """
        if self.data_key != data.key:
            raise CheckpointError(f"{path} was built from other data (data key {self.data_key}, this study "
                                  f"area's is {data.key}); rebuild it: python -m geogan_core train retrieval "
                                  f"&& python -m geogan_core export retrieval")

    @property
    def located(self) -> bool:
        """Whether queries also need where the places are (the overhead tower reads it)."""
        return self.module.location

    @torch.no_grad()
    def search(self, patches: np.ndarray, k: int, lat: np.ndarray | float | None = None,
               lon: np.ndarray | float | None = None,
               exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` most alike memory places of each patch: ``(positions (B, k), similarities (B, k))``.

        ``lat``/``lon`` (degrees, one per patch): where the patches are; a ``located`` memory needs them.
        ``exclude`` (one per patch): the patch's own place in the paired data, left out when the
        memory holds it (a training place never retrieves itself); -1 for none.

        Raises:
            InvalidRequestError: If ``k`` is not between 1 and the number of memory places, or a
                located memory is asked without ``lat``/``lon``.
        """
        if not 1 <= int(k) <= len(self):
            raise InvalidRequestError(f"k must be between 1 and the {len(self)} training places in the "
                                      f"retrieval memory, got {k}")
        p = torch.as_tensor(np.asarray(patches, np.float32))
        sim = self.module.query(p if p.ndim == 4 else p[None], lat, lon) @ self.module.keys.t()
        if exclude is not None:
            own = torch.from_numpy(self.place[None, :] == np.asarray(exclude).reshape(-1, 1))
            sim = sim.masked_fill(own, -2.0)
        sim, idx = sim.topk(int(k), dim=1)
        return idx.numpy(), sim.numpy()

    @torch.no_grad()
    def neighbours(self, patches: np.ndarray, k: int) -> np.ndarray:
        """``(M, k)``: for each memory place (``patches`` in memory order), its ``k`` most alike *other* places."""
        query = self.module.query(torch.as_tensor(np.asarray(patches, np.float32)), self.lat, self.lon)
        sim = query @ self.module.keys.t()
        sim.fill_diagonal_(-2.0)
        return sim.topk(min(k, len(self) - 1), dim=1).indices.numpy()


def generator_part(ckpt: dict[str, Any]) -> dict[str, Any]:
    """The part of a retrieval checkpoint whose memory a generator carries (patch only, one tower).

    Checkpoints from before the located ensemble hold one memory, which is that part.
    """
    return ckpt.get("generator") or ckpt


def load_memory(path: Path, for_generator: bool = False) -> RetrievalMemory:
    """The retrieval memory saved in a ``retrieval`` checkpoint (``export retrieval`` writes ``retrieval.pt``).

    ``for_generator``: the patch-only memory a generator carries (``generator_part``).

    Raises:
        CheckpointError: If the file is missing, not a retrieval checkpoint, or unusable.
    """
    if not Path(path).is_file():
        raise CheckpointError(f"no retrieval memory at {path}; make it: python -m geogan_core train retrieval "
                              f"&& python -m geogan_core export retrieval")
    ckpt = load_checkpoint(path, "retrieval")
    return RetrievalMemory.from_checkpoint(generator_part(ckpt) if for_generator else ckpt, str(path))
