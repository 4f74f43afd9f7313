#!/usr/bin/env bash
# Train, export and score every shipped model on a (lent) GPU machine from the copied working tree
# alone: that machine's own Python and torch, the pack (runs/world.gpk, made here with
# `python -m geogan_core pack --out runs/world.gpk`), no study-area files. Writes to $OUT
# (else runs/gpu-out): checkpoints/ with its manifest, logs/<model>/ (sample grids, losses),
# scores.json, report.json.
#   bash bench/gpu_train.sh                  # the full schedule in 10 minutes
#   bash bench/gpu_train.sh --tiny           # the same path for a few steps (CPU dry run)
#   bash bench/gpu_train.sh --minutes 8 --require-gpu
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${PYTHON:-}" ]; then PY=$PYTHON; elif [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec "$PY" -m geogan_core train-all --out "${OUT:-runs/gpu-out}" "$@"
