"""Thin helpers over torch.distributed so one loop runs alone or under torchrun."""

from __future__ import annotations

import os

import torch
import torch.distributed as td


def world_size() -> int:
    """Number of processes (1 without torchrun)."""
    return td.get_world_size() if td.is_initialized() else 1


def rank() -> int:
    """This process's rank (0 without torchrun)."""
    return td.get_rank() if td.is_initialized() else 0


def local_rank() -> int:
    """Rank on this machine (picks the CUDA device)."""
    return int(os.environ.get("LOCAL_RANK", "0"))


def is_main() -> bool:
    """True on rank 0, which writes checkpoints and logs."""
    return rank() == 0


def setup() -> None:
    """Join the process group when started by torchrun (gloo on CPU, nccl on CUDA)."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not td.is_initialized():
        td.init_process_group("nccl" if torch.cuda.is_available() else "gloo")


def barrier() -> None:
    """Wait for all ranks (no-op alone)."""
    if td.is_initialized():
        td.barrier()


def cleanup() -> None:
    """Leave the process group."""
    if td.is_initialized():
        td.destroy_process_group()
