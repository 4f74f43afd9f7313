"""Registry of GAN architectures: ``build_gan(ModelConfig)`` returns ``(G, D)``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from torch import nn

from geogan_core.errors import ConfigError, UnknownNameError
from geogan_core.models.exemplar import build_exemplar
from geogan_core.models.guided import build_guided
from geogan_core.models.modern import UPSAMPLING, ModernGenerator
from geogan_core.models.paper import PaperDiscriminator, PaperGenerator
from geogan_core.models.projected import modern_discriminator

DISCRIMINATORS = ("conv", "projected")


@dataclass(frozen=True)
class ModelConfig:
    """Shape of a GAN. ``arch`` is a registered name (``paper``, ``modern``, ``ugan``, ``guided``, ...).

    The options below marked "modern only" hold for every architecture registered in the modern family.
    ``n_classes`` (modern only): land-cover classes of the discriminator's auxiliary head; 0 = none.
    ``upsample`` (modern only): ``transposed`` convs or ``resize`` then conv in the generator.
    ``disc`` (modern only): ``conv`` (strided convs from pixels) or ``projected`` (heads on frozen
    EfficientNet-Lite0 features, Projected GAN).
    ``place_strength`` (modern only): the condition's weight the trained generator runs at: 1 as it
    trained; above 1 the place shapes the views more (like a guidance scale), at a cost in realism.
    Training always runs at 1 (after its ramp); the value is chosen on the validation regions
    (``bench/place_strength.py``) and the checkpoint carries it.
    """

    arch: str
    in_channels: int
    z_dim: int = 100
    c_dim: int = 100
    ngf: int = 64
    ndf: int = 64
    image_size: int = 64
    n_classes: int = 0
    upsample: str = "transposed"
    disc: str = "conv"
    place_strength: float = 1.0

    def __post_init__(self) -> None:
        if self.arch not in ARCHS:
            raise UnknownNameError(f"unknown architecture {self.arch!r}; choose one of {sorted(ARCHS)}")
        modern = ARCHS[self.arch].family == "modern"
        for key in ("in_channels", "z_dim", "ngf", "ndf"):
            if getattr(self, key) <= 0:
                raise ConfigError(f"model.{key} must be positive, got {getattr(self, key)}")
        if self.n_classes < 0 or (self.n_classes and not modern):
            raise ConfigError(f"n_classes {self.n_classes} not supported for {self.arch!r} (modern only, >= 0)")
        if self.upsample not in UPSAMPLING or (not modern and self.upsample != "transposed"):
            raise ConfigError(f"upsample {self.upsample!r} not supported for {self.arch!r} "
                              f"(modern: one of {UPSAMPLING}; paper/ugan: transposed)")
        if self.disc not in DISCRIMINATORS or (not modern and self.disc != "conv"):
            raise ConfigError(f"disc {self.disc!r} not supported for {self.arch!r} "
                              f"(modern: one of {DISCRIMINATORS}; paper/ugan: conv)")
        if not 0 < self.place_strength <= 4 or (not modern and self.place_strength != 1):
            raise ConfigError(f"place_strength {self.place_strength} not supported for {self.arch!r} "
                              f"(modern: above 0, at most 4; paper/ugan: 1)")
        if self.image_size not in (64, 128) or (not modern and self.image_size != 64):
            raise ConfigError(f"image_size {self.image_size} not supported for {self.arch!r} "
                              f"(paper/ugan: 64; modern: 64 or 128)")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (stored in checkpoints)."""
        return asdict(self)


Builder = Callable[[ModelConfig], tuple[nn.Module, nn.Module]]


@dataclass(frozen=True)
class Arch:
    """A registered architecture: its builder, title for people, family and shipped file name.

    ``family``: ``modern`` (mapping network, hinge loss, DiffAugment, EMA, land-cover head: the
    modern options and training defaults apply) or ``dcgan`` (the paper's recipe). ``memory``: the
    generator carries the retrieval memory of the training places (training needs
    ``checkpoints/retrieval.pt``; heading crops and the condition ramp are its defaults).
    ``recipe``: how its shipped model was trained, as ``[train]``/``[model]`` settings that the study
    area's tables, ``train``'s flags and ``--set`` override (``recipe``), so that ``train cgan --arch
    NAME`` retrains the shipped model. Its ``neighbour_p`` (the share of the discriminator's real views
    taken from alike places, IC-GAN) is also the default of a ``TrainConfig`` built without one; it is
    0 for a generator that edits an alike place's view, where such reals would reward a copy.
    """

    build: Builder
    title: str
    family: str
    file: str
    memory: bool = False
    recipe: Mapping[str, Any] = field(default_factory=dict)


ARCHS: dict[str, Arch] = {}  # in registration order: the app lists models in this order when untied


def register(name: str, title: str, family: str, file: str, memory: bool = False,
             recipe: Mapping[str, Any] | None = None) -> Callable[[Builder], Builder]:
    """Decorator adding a builder to ``ARCHS``."""

    def deco(fn: Builder) -> Builder:
        ARCHS[name] = Arch(fn, title, family, file, memory, dict(recipe or {}))
        return fn

    return deco


SHIPPED_EPOCHS = {"epochs": 30}  # the demo's paper, modern and unconditional GANs


@register("modern", "modern cGAN", "modern", "cgan-modern.pt", recipe=SHIPPED_EPOCHS)
def _modern(cfg: ModelConfig) -> tuple[nn.Module, nn.Module]:
    return (ModernGenerator(cfg.in_channels, cfg.z_dim, cfg.c_dim, cfg.ngf, image_size=cfg.image_size,
                            upsample=cfg.upsample), modern_discriminator(cfg))


@register("paper", "paper cGAN (2018)", "dcgan", "cgan-paper.pt", recipe=SHIPPED_EPOCHS)
def _paper(cfg: ModelConfig) -> tuple[nn.Module, nn.Module]:
    return (PaperGenerator(cfg.in_channels, cfg.z_dim, cfg.c_dim, cfg.ngf),
            PaperDiscriminator(cfg.in_channels, cfg.c_dim, cfg.ndf))


@register("ugan", "unconditional GAN", "dcgan", "ugan.pt", recipe=SHIPPED_EPOCHS)
def _ugan(cfg: ModelConfig) -> tuple[nn.Module, nn.Module]:
    return PaperGenerator(cfg.in_channels, cfg.z_dim, 0, cfg.ngf), PaperDiscriminator(cfg.in_channels, 0, cfg.ndf)


def build_gan(cfg: ModelConfig) -> tuple[nn.Module, nn.Module]:
    """Build an untrained generator and discriminator for a config (the generator at its place strength)."""
    G, D = ARCHS[cfg.arch].build(cfg)
    if hasattr(G, "cond_weight"):
        G.cond_weight.fill_(cfg.place_strength)
    return G, D


def is_modern(arch: str) -> bool:
    """Whether a registered architecture is of the modern family (its options and training defaults)."""
    return arch in ARCHS and ARCHS[arch].family == "modern"


def uses_memory(arch: str) -> bool:
    """Whether a registered architecture's generator carries the retrieval memory (``Arch.memory``)."""
    return arch in ARCHS and ARCHS[arch].memory


def recipe(arch: str) -> dict[str, Any]:
    """A registered architecture's shipped recipe (``Arch.recipe``); empty for an unknown name."""
    return dict(ARCHS[arch].recipe) if arch in ARCHS else {}


# chosen on the validation regions (results/recipes-retrieval.json, docs/RESULTS.md): alike places' reals half
# the time, the memory ranked by the cross-view key, resize-then-conv upsampling and half the mode seeking
# (the judge's KID 1.52 at 100 epochs -> 0.18 at 60), 60 epochs (about 65 CPU-minutes); it runs at place
# strength 1.1, the largest that keeps every target there (results/place-strength.json)
register("guided", "retrieval-guided cGAN", "modern", "cgan-guided.pt", memory=True,
         recipe={"epochs": 60, "retrieval_key": "view", "neighbour_p": 0.5, "upsample": "resize",
                 "ms_weight": 0.5, "place_strength": 1.1})(build_guided)
register("exemplar", "exemplar cGAN (edits an alike place's view)", "modern", "cgan-exemplar.pt", memory=True)(
    build_exemplar)
