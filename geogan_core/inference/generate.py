"""The inference API: one ``Explorer`` per study area answers "what is it like down there?".

It opens the layers, land cover and photo index once, loads models lazily and caches
them, and generates seeded, reproducible views at any place.
"""

from __future__ import annotations

import functools
import gc
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import torch

from geogan_core.checkpoint import default_checkpoints, load_image_features
from geogan_core.config import DEFAULT_CONFIG, StudyArea, load_config, require_file
from geogan_core.data.paired import PairedData, load_paired
from geogan_core.data.strips import place_strips
from geogan_core.errors import CheckpointError, ConfigError, GeoGanError, InvalidRequestError
from geogan_core.geo.grid import check_latlon
from geogan_core.geo.stack import LandCover, OverheadStack, PointLabel
from geogan_core.imaging import to_uint8
from geogan_core.inference.latent import Directions, edit_condition, slerp
from geogan_core.inference.models import (
    GAN_ARCHS,
    LoadedGAN,
    load_gan,
    load_judge,
    load_listed,
    read_manifest,
    verified_path,
)
from geogan_core.inference.params import MAX_VIEWS
from geogan_core.inference.votes import LandCoverHeads, Vote, place_votes
from geogan_core.manifest import gan_names
from geogan_core.models.noise import latents
from geogan_core.retrieval.memory import RetrievalMemory, load_memory
from geogan_core.timing import stage

DIRECTIONS = "directions"
GAN_NAMES = GAN_ARCHS


def check_count(n: int) -> int:
    """Validate a number of views (1..MAX_VIEWS)."""
    try:
        n_int = int(n)
    except (TypeError, ValueError) as e:
        raise InvalidRequestError(f"number of views must be a whole number, got {n!r}") from e
    if not 1 <= n_int <= MAX_VIEWS:
        raise InvalidRequestError(f"number of views must be between 1 and {MAX_VIEWS}, got {n_int}")
    return n_int


@dataclass
class GenerationResult:
    """Generated views at one place."""

    lat: float
    lon: float
    n: int
    seed: int
    arch: str
    images: np.ndarray  # (n, H, W, 3) uint8
    patch: np.ndarray  # (C, S, S) float32, the condition used
    checkpoint: str
    seconds: float  # model time only
    coverage: float = 1.0  # share of overhead layers with data at the place
    notes: list[str] = field(default_factory=list)


class ModelTurns:
    """At most ``slots`` model calls at a time, re-entrant for a thread that holds one; calls a user waits for go first.

    Waiting urgent calls (generated views) are served before waiting background ones (the land-cover
    votes, computed after the views are shown), so that a click's views do not queue behind other
    sessions' votes (bench/load.py); a background call that has waited ``max_defer_s`` goes before any
    urgent one that comes after, so a stream of clicks cannot hold the votes back for long. The wait for
    a turn is the stage "model lock wait" (GEOGAN_TIMINGS). A server gives each call one thread and
    one slot per core (``shared_explorer``); elsewhere one call at a time uses every core.
    """

    max_defer_s = 0.5

    def __init__(self, slots: int = 1) -> None:
        """No call holds the models yet."""
        self.slots = max(1, slots)
        self._cond = threading.Condition()
        self._depth: dict[int, int] = {}  # the threads holding a turn, and how deep
        self._urgent_waiting = 0
        self._overdue_waiting = 0  # background calls that have waited max_defer_s

    @contextmanager
    def turn(self, urgent: bool = True) -> Iterator[None]:
        """Hold a turn for the block (at once when this thread already holds one)."""
        me = threading.get_ident()
        with stage("model lock wait"), self._cond:
            if me not in self._depth:
                self._urgent_waiting += urgent
                overdue, defer_until = False, time.monotonic() + self.max_defer_s
                try:
                    while True:
                        if not (urgent or overdue) and time.monotonic() >= defer_until:
                            overdue = True
                            self._overdue_waiting += 1
                        if len(self._depth) < self.slots and (overdue or not (
                                self._overdue_waiting if urgent else self._urgent_waiting)):
                            break
                        # a background call wakes when it becomes overdue, so urgent ones know of it
                        self._cond.wait(None if urgent or overdue else defer_until - time.monotonic())
                finally:
                    self._urgent_waiting -= urgent
                    self._overdue_waiting -= overdue
            self._depth[me] = self._depth.get(me, 0) + 1
        try:
            yield
        finally:
            with self._cond:
                self._depth[me] -= 1
                if not self._depth[me]:
                    del self._depth[me]
                    self._cond.notify_all()


class Explorer:
    """Layers, land cover, photos and models of one study area, opened once."""

    def __init__(self, area: StudyArea, checkpoints: Path | None = None, model_slots: int = 1) -> None:
        """Keep the config; heavy parts open on first use (checkpoints: see ``default_checkpoints``).

        ``model_slots``: model calls that may run at once (``ModelTurns``); more than one only when
        each call has one thread (a server's shared explorer: one per core).
        """
        self.area = area
        self.checkpoints = Path(checkpoints) if checkpoints else default_checkpoints(area)
        self._gans: dict[str, LoadedGAN] = {}
        self._lite0_64: torch.nn.Module | None = None
        self._turns = ModelTurns(model_slots)
        self._loading = threading.Lock()  # a model is read from disk once, whichever turns ask for it

    @cached_property
    def stack(self) -> OverheadStack:
        """The overhead layers."""
        return OverheadStack(self.area)

    @cached_property
    def landcover(self) -> LandCover:
        """The land-cover raster."""
        if self.area.landcover.path is not None:
            require_file(self.area, self.area.landcover.path, "land-cover raster", "[landcover].path")
        return LandCover(self.area.landcover)

    @cached_property
    def data(self) -> PairedData:
        """The paired dataset (real photos, their places, labels and split)."""
        return load_paired(self.area, self.stack, self.landcover)

    def available(self) -> list[str]:
        """The registered GANs the manifest lists, the best at following the place first (``gan_names``)."""
        return [name for name in gan_names(self.checkpoints) if name in GAN_NAMES]

    @cached_property
    def heads(self) -> LandCoverHeads | None:
        """The shipped land-cover heads (None until ``evaluate --save-heads`` made them)."""
        return LandCoverHeads.load(self.checkpoints)

    def votes(self, lat: float, lon: float, result: GenerationResult | None) -> list[Vote]:
        """Urban/rural vote of each method that can answer here.

        The cGAN methods' heads were fitted on the mean features of ``heads.n_views`` views of the modern
        cGAN, so they vote with as many of its views at the place, with ``result``'s seed (the first of
        ``result``'s own views when it is the modern model's: view i does not depend on n).
        """
        heads = self.heads
        if heads is None:
            return []
        patch, _ = self.patch(lat, lon)
        cgan = result is not None and "modern" in self.available()
        with stage("votes"), self._turns.turn(urgent=False):  # after the views: other sessions' views go first
            views = None
            if cgan and result is not None:
                m = heads.n_views
                views = result.images[:m] if result.arch == "modern" and result.n >= m else self.generate(
                    lat, lon, n=m, seed=result.seed, arch="modern").images
                with self._loading:
                    if self._lite0_64 is None:
                        self._lite0_64 = load_image_features(64)
            return place_votes(heads, lat, lon, patch, views, self.gan("modern").D if cgan else None,
                               self._lite0_64 if cgan else None)

    @cached_property
    def retrieval(self) -> RetrievalMemory:
        """The retrieval memory of the training places (``checkpoints/retrieval.pt``), checked against the data.

        Raises:
            CheckpointError: If it is not shipped, is corrupt, or was built from other data.
        """
        if "retrieval" not in read_manifest(self.checkpoints):
            raise CheckpointError(f"no retrieval memory in {self.checkpoints}; make it: python -m geogan_core "
                                  f"train retrieval && python -m geogan_core export retrieval")
        path = verified_path(self.checkpoints, "retrieval")[0]
        memory = load_memory(path)
        memory.check_data(self.data, str(path))
        return memory

    def judge(self) -> torch.nn.Module | None:
        """The from-scratch land-cover judge (None until ``train judge`` and ``export judge`` made it)."""
        return load_judge(self.checkpoints)

    def gan(self, name: str) -> LoadedGAN:
        """A GAN from the manifest, loaded once."""
        with self._turns.turn():
            return self._load_gan(name)

    def _load_gan(self, name: str) -> LoadedGAN:
        with self._loading:
            if name not in self._gans:
                self._gans[name] = self._read_gan(name)
        return self._gans[name]

    def _read_gan(self, name: str) -> LoadedGAN:
        loaded = load_gan(name, self.checkpoints)
        trained_on = (loaded.checkpoint.get("config") or {}).get("name")
        if trained_on and trained_on != self.area.name:
            raise CheckpointError(f"{loaded.path} was trained on study area {trained_on!r}, not "
                                  f"{self.area.name!r}; train one for this area (python -m geogan_core train "
                                  f"cgan --config {self.area.config_path.name}) or point --checkpoints or "
                                  f"GEOGAN_CHECKPOINTS at its models")
        need = loaded.checkpoint["model_config"]["in_channels"]
        if need != self.area.channels:
            raise CheckpointError(f"{loaded.path} expects {need} overhead channels but study area "
                                  f"{self.area.name!r} has {self.area.channels}; train a model for this area "
                                  f"(python -m geogan_core train cgan --config {self.area.config_path.name})")
        if hasattr(loaded.G, "set_exemplars"):  # a generator that edits real views of the training places
            try:
                loaded.G.set_exemplars(*place_strips(self.data, np.flatnonzero(self.data.split_mask("train")),
                                                     loaded.checkpoint["model_config"]["image_size"]))
            except ValueError as e:
                raise CheckpointError(f"{loaded.path} was trained on other training places ({e}); train it "
                                      f"again for this data") from e
        return loaded

    def patch(self, lat: float, lon: float) -> tuple[np.ndarray, float]:
        """The overhead condition at a place and the share of layers with data there."""
        return self.stack.patch(lat, lon)

    def land(self, lat: float, lon: float) -> PointLabel:
        """Land cover at a place."""
        return self.landcover.label(lat, lon)

    @torch.no_grad()
    def render(self, name: str, z: torch.Tensor, patches: np.ndarray | torch.Tensor) -> tuple[np.ndarray, float]:
        """Run a generator on noise and conditions; returns uint8 views and model seconds."""
        G = self.gan(name).G
        p = torch.as_tensor(np.asarray(patches, np.float32))
        if p.ndim == 3:
            p = p.expand(len(z), -1, -1, -1)
        with self._turns.turn():
            t0 = time.perf_counter()
            imgs = G(z, p)
            seconds = time.perf_counter() - t0
        return to_uint8(imgs), seconds

    def warm_up(self) -> None:
        """Open the data, the default model and the land-cover heads now, then freeze the heap.

        For a server: Streamlit runs a full garbage collection after every script run, which walks
        every object in the process (about 130 ms with torch, the models and the data loaded, holding
        the interpreter lock for every session). Objects frozen here (most of the heap) are skipped.
        """
        _ = self.data
        try:  # a broken model or heads file is reported where it is used, not here
            if names := self.available():
                self.gan(names[0])
            _ = self.heads
        except GeoGanError:
            pass
        gc.collect()
        gc.freeze()

    def generate(self, lat: float, lon: float, n: int = 16, seed: int = 0, arch: str = "modern") -> GenerationResult:
        """Generate ``n`` views at a place, reproducible for a seed.

        Raises:
            CoordinateError: For coordinates that are not valid WGS84 degrees.
            InvalidRequestError: For ``n`` outside 1..MAX_VIEWS.
            CheckpointError: If the model is missing or unusable.
        """
        lat, lon = check_latlon(lat, lon)
        n = check_count(n)
        loaded = self.gan(arch)
        patch, coverage = self.patch(lat, lon)
        images, seconds = self.render(arch, latents(n, seed, loaded.G.z_dim), patch)
        notes = []
        if coverage < 1:
            notes.append(f"only {coverage:.0%} of the overhead layers have data here")
        return GenerationResult(lat, lon, n, int(seed), arch, images, patch, loaded.label, seconds, coverage, notes)


_SHARED_LOCK = threading.Lock()


def shared_explorer(config: str | None = None, checkpoints: str | None = None) -> Explorer:
    """One explorer per (config, checkpoints) in this process, shared by every page and session.

    Its model calls run one thread each, as many at once as the process may use cores
    (``GEOGAN_MODEL_SLOTS`` overrides that).

    ``None`` means the defaults (``GEOGAN_CONFIG`` / ``configs/world.toml``, ``GEOGAN_CHECKPOINTS`` /
    the area's checkpoints folder), read at each call so that the key names the files actually used.
    """
    cfg = str(config or os.environ.get("GEOGAN_CONFIG") or DEFAULT_CONFIG)
    with _SHARED_LOCK:  # sessions opening at once on a fresh server must get one explorer, not one each
        return _shared_explorer(cfg, str(checkpoints or os.environ.get("GEOGAN_CHECKPOINTS") or ""))


def _limit_malloc_arenas(n: int = 2) -> None:
    """Cap glibc's malloc arenas (``M_ARENA_MAX``) for threads started from now on; nothing elsewhere.

    Streamlit runs every script run in a new thread, and glibc gives threads arenas of their own (up
    to 8 per core), each keeping the memory it freed: the server's RSS grew by a quarter under five
    users. Two arenas are what the two BLAS-free model threads need.
    """
    import ctypes
    import ctypes.util

    libc_name = ctypes.util.find_library("c")
    if libc_name and "libc.so" in libc_name:
        try:
            ctypes.CDLL(libc_name).mallopt(-8, n)  # M_ARENA_MAX
        except (OSError, AttributeError):
            pass


@functools.lru_cache(maxsize=4)
def _shared_explorer(config: str, checkpoints: str) -> Explorer:
    # a server shares one process among sessions: one thread per model call and one call per core at a
    # time (the explorer's turns) instead of each call's thread pool oversubscribing the cores
    torch.set_num_threads(1)
    _limit_malloc_arenas()
    raw = os.environ.get("GEOGAN_MODEL_SLOTS") or str(len(os.sched_getaffinity(0)))
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"GEOGAN_MODEL_SLOTS must be a whole number of model calls at once (1 or more), got "
                          f"{raw!r}; unset it for one per core")
    slots = int(raw)
    return Explorer(load_config(config), Path(checkpoints) if checkpoints else None, model_slots=slots)


class LatentEditor:
    """Edits at one study area: physical condition edits, ``w`` directions and interpolation."""

    def __init__(self, explorer: Explorer) -> None:
        """Use an explorer's layers and models."""
        self.ex = explorer

    @cached_property
    def directions(self) -> Directions | None:
        """The shipped directions (None until ``python -m geogan_core directions`` made them)."""
        if DIRECTIONS not in read_manifest(self.ex.checkpoints):
            return None
        ck = load_listed(self.ex.checkpoints, DIRECTIONS, DIRECTIONS)
        return Directions(list(ck["names"]), ck["vectors"].float().numpy(), ck["sigma"].float().numpy(),
                          list(ck["kind_of"]))

    @torch.no_grad()
    def views(self, lat: float, lon: float, n: int, seed: int, arch: str = "modern",
              edits: dict[str, float] | None = None, moves: dict[str, float] | None = None,
              keep_others: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Views with the condition edited and/or ``w`` moved along directions; same noise as ``generate``.

        Returns:
            ``(images (n, H, W, 3) uint8, edited patch (C, S, S))``.
        """
        lat, lon = check_latlon(lat, lon)
        n = check_count(n)
        G = self.ex.gan(arch).G
        patch, _ = self.ex.patch(lat, lon)
        edited = edit_condition(patch, self.ex.stack.channel_names, edits or {})
        z = latents(n, seed, G.z_dim)
        p = torch.from_numpy(np.asarray(edited, np.float32)).expand(n, -1, -1, -1)
        active = {k: v for k, v in (moves or {}).items() if v}
        if not active:
            return to_uint8(G(z, p)), edited
        if arch != "modern" or self.directions is None:
            raise InvalidRequestError("latent directions need the modern cGAN and checkpoints/directions.pt")
        w = G.to_w(z, G.embed(p))
        w = w + torch.from_numpy(self.directions.offset(active, keep_others))
        return to_uint8(G.from_w(w)), edited

    @torch.no_grad()
    def between_places(self, a: tuple[float, float], b: tuple[float, float], k: int, seed: int,
                       arch: str = "modern") -> np.ndarray:
        """``k`` frames from place ``a`` to place ``b`` (condition linear, same noise)."""
        G = self.ex.gan(arch).G
        pa, pb = self.ex.patch(*check_latlon(*a))[0], self.ex.patch(*check_latlon(*b))[0]
        ts = np.linspace(0, 1, _frames(k))
        patches = np.stack([(1 - t) * pa + t * pb for t in ts]).astype(np.float32)
        z = latents(1, seed, G.z_dim).expand(len(ts), -1)
        return to_uint8(G(z, torch.from_numpy(patches)))

    @torch.no_grad()
    def between_seeds(self, lat: float, lon: float, seed_a: int, seed_b: int, k: int,
                      arch: str = "modern") -> np.ndarray:
        """``k`` frames from one seed to another at a place (noise on the sphere)."""
        G = self.ex.gan(arch).G
        patch, _ = self.ex.patch(*check_latlon(lat, lon))
        za, zb = latents(1, seed_a, G.z_dim), latents(1, seed_b, G.z_dim)
        z = torch.cat([slerp(za, zb, float(t)) for t in np.linspace(0, 1, _frames(k))])
        return to_uint8(G(z, torch.from_numpy(patch).expand(len(z), -1, -1, -1)))


def _frames(k: int) -> int:
    if not 2 <= int(k) <= 32:
        raise InvalidRequestError(f"number of frames must be between 2 and 32, got {k}")
    return int(k)
