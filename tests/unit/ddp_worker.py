"""Worker for the DDP test: a few training steps under torchrun, then each rank saves its weights."""

import sys
from pathlib import Path

import torch

from geogan_core.config import load_config
from geogan_core.data.paired import load_paired
from geogan_core.models.registry import ModelConfig
from geogan_core.training import distributed
from geogan_core.training.loop import GanTrainer, TrainConfig

area, out = load_config(sys.argv[1]), Path(sys.argv[2])
distributed.setup()
if distributed.rank() == 0:
    load_paired(area)  # build the cache once before the other rank reads it
distributed.barrier()
cfg = ModelConfig("modern", in_channels=area.channels, ngf=8, ndf=8, n_classes=17)
trainer = GanTrainer(area, cfg, TrainConfig(epochs=1, batch_size=8, device="cpu", seed=distributed.rank()),
                     load_paired(area), out / "run")
for batch in trainer.batches.epoch(0, 0, 8)[:3]:
    trainer.train_step(*batch)
torch.save(trainer.G.state_dict(), out / f"rank{distributed.rank()}.pt")
distributed.barrier()
distributed.cleanup()
