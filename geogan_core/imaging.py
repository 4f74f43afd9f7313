"""Image helpers shared by training and inference: tensors to uint8, grids, PNG files."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from geogan_core.errors import DataError
from geogan_core.fileio import atomic_path
from geogan_core.timing import stage

if TYPE_CHECKING:  # tensors in, arrays out: the app's first page draws without importing torch
    import torch


def to_uint8(imgs: torch.Tensor) -> np.ndarray:
    """``(B, 3, H, W)`` in [-1, 1] -> ``(B, H, W, 3)`` uint8."""
    return ((imgs.detach().float().clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()


def grid(images: np.ndarray, ncol: int, pad: int = 2) -> np.ndarray:
    """Tile ``(N, H, W, 3)`` uint8 images into one image, ``ncol`` per row, white gaps."""
    n, h, w, c = images.shape
    ncol = max(1, min(ncol, n))
    nrow = -(-n // ncol)
    out = np.full((nrow * (h + pad) + pad, ncol * (w + pad) + pad, c), 255, np.uint8)
    for i, img in enumerate(images):
        r, k = divmod(i, ncol)
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + k * (w + pad): pad + k * (w + pad) + w] = img
    return out


def png_bytes(image: np.ndarray) -> bytes:
    """Encode an ``(H, W, 3)`` or ``(H, W, 4)`` uint8 image as PNG."""
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    return buf.getvalue()


def write_png(image: np.ndarray, path: Path) -> None:
    """Write an image atomically (temp file, then rename); ``.jpg`` paths get JPEG, others PNG.

    Raises:
        DataError: If the file or its folder cannot be written.
    """
    jpeg = Path(path).suffix.lower() in (".jpg", ".jpeg")
    try:
        with atomic_path(path) as tmp:
            Image.fromarray(image).save(tmp, format="JPEG" if jpeg else "PNG", **({"quality": 88} if jpeg else {}))
    except OSError as e:
        raise DataError(f"cannot write {path} ({e.strerror or e}); choose a writable --out path") from e


def save_grid(imgs: torch.Tensor, path: Path, ncol: int = 8) -> None:
    """Save a batch of generator outputs as one PNG grid."""
    write_png(grid(to_uint8(imgs), ncol), path)


def data_uris(images: np.ndarray | list[np.ndarray]) -> list[str]:
    """``data:`` URIs of uint8 images, for ``st.image``: JPEG (quality 90) for RGB, PNG with transparency.

    JPEG: a 64-px view encodes 14x faster than PNG and is a quarter of the bytes (views and photos
    are photographs). The page then holds the pixels itself: Streamlit's media store drops a
    session's files as soon as that session reruns, so with several users a file still on screen
    could be deleted by another user's rerun and answer 404 (seen under ``make load``).
    """
    with stage("image encoding"):
        return [_data_uri(np.asarray(im)) for im in images]


def _data_uri(image: np.ndarray) -> str:
    if image.ndim == 3 and image.shape[2] == 4:
        return "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode("ascii")
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=90)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def gif_bytes(frames: np.ndarray, ms_per_frame: int = 150) -> bytes:
    """An animated GIF (looping back and forth) of ``(K, H, W, 3)`` uint8 frames."""
    seq = [Image.fromarray(f) for f in list(frames) + list(frames[-2:0:-1])]
    buf = io.BytesIO()
    seq[0].save(buf, format="GIF", save_all=True, append_images=seq[1:], duration=ms_per_frame, loop=0)
    return buf.getvalue()


def probability_colors(p: np.ndarray, alpha: int = 210) -> np.ndarray:
    """RGBA picture of probabilities in [0, 1]: rural green to urban red; NaN transparent."""
    img = np.zeros((*p.shape, 4), np.uint8)
    ok = np.isfinite(p)
    v = np.clip(p[ok], 0, 1)
    img[ok] = np.stack([255 * v, 200 * (1 - v) + 40, 60 * (1 - v), np.full_like(v, alpha)], axis=1).astype(np.uint8)
    return img
