"""Retrieval scored like a generator: the real views of the most alike training places, by the judge.

For each place of one side (validation to choose, test to report) the ``k`` most alike training
places are retrieved, by the learned cross-view memory or by the crude overhead descriptor (the
per-layer mean and standard deviation of the patch and the mean of its central 8 x 8 pixels,
standardised on the training places, Euclidean). Their real views then stand in for generated
views in ``judge_metrics.model_scores`` (AUC, paired vs shuffled, KID, precision/recall, two-sample
test, nearest-neighbour distance, place distance), plus how far they are from the place's own
views in the judge's features. Recall@K of the cross-view embedding is reported beside chance.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from geogan_core.data.paired import PairedData
from geogan_core.evaluation.judge_metrics import PLACE_NOISES, JudgeContext, model_scores
from geogan_core.evaluation.stats import bootstrap_ci
from geogan_core.models.crossview import CrossViewNet
from geogan_core.models.extract import judge_probs
from geogan_core.retrieval.memory import RetrievalMemory, embed_places, recall_at, true_rank
from geogan_core.retrieval.train import RECALL_K

K = 8  # alike places whose views stand for a place


def crude_descriptor(patches: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Per-layer mean and std of each patch and the mean of its central 8 x 8 pixels, standardised by ``reference``."""
    def raw(p: np.ndarray) -> np.ndarray:
        p = np.asarray(p, np.float32)
        s = p.shape[-1]
        mid = p[..., s // 2 - 4: s // 2 + 4, s // 2 - 4: s // 2 + 4].mean(axis=(2, 3))
        return np.concatenate([p.mean(axis=(2, 3)), p.std(axis=(2, 3)), mid], axis=1)

    ref = raw(reference)
    return (raw(patches) - ref.mean(0)) / (ref.std(0) + 1e-6)


def neighbours(data: PairedData, places: np.ndarray, method: str, memory: RetrievalMemory | None,
               k: int = K) -> np.ndarray:
    """``(P, k)`` training-place indices most alike from above to each of ``places`` (``learned`` or ``crude``)."""
    train = np.flatnonzero(data.split_mask("train"))
    if method == "crude":
        ref = crude_descriptor(data.patches[train], data.patches[train])
        q = crude_descriptor(data.patches[places], data.patches[train])
        d = ((q[:, None] - ref[None]) ** 2).sum(-1)
        return train[np.argsort(d, axis=1)[:, :k]]
    if memory is None:
        raise ValueError("the learned method needs a retrieval memory")
    pos, _ = memory.search(data.patches[places].astype(np.float32), k, lat=data.loc_lat[places],
                           lon=data.loc_lon[places])
    return memory.place[pos]


def retrieved_views(data: PairedData, neigh: np.ndarray, per_place: int) -> tuple[np.ndarray, np.ndarray]:
    """The views that stand for each place, as ``scoring_views`` returns them for a generator.

    View ``j`` of a place is neighbour ``j mod k`` at heading ``j // k`` (mod the views per place);
    "noise" ``n`` of the place-distance metric is the ``n``-th neighbour's first view at every place.
    """
    views = data.views(64)
    first = np.searchsorted(data.view_loc, neigh)  # (P, k): first view of each neighbour
    count = np.searchsorted(data.view_loc, neigh + 1) - first
    j = np.arange(per_place)
    k = neigh.shape[1]
    pick = first[:, j % k] + (j // k)[None] % count[:, j % k]
    same = first[:, np.arange(PLACE_NOISES) % k]
    return views[pick.reshape(-1)], views[same.reshape(-1)]


def own_view_distance(ctx: JudgeContext, fake_feats: np.ndarray, per_place: int) -> np.ndarray:
    """Per place: the distance between the mean unit judge feature of its stand-in views and of its own views."""
    def mean_unit(f: np.ndarray, n: int) -> np.ndarray:
        f = f / (np.linalg.norm(f, axis=1, keepdims=True) + 1e-12)
        return f.reshape(len(ctx.places), n, -1).mean(1)

    return np.linalg.norm(mean_unit(fake_feats, per_place) - mean_unit(ctx.real_feats, ctx.views_per_place), axis=1)


def score_neighbours(ctx: JudgeContext, data: PairedData, neigh: np.ndarray, per_place: int = K,
                     seed: int = 0) -> dict[str, Any]:
    """Judge scores of the stand-in views given by ``neigh`` (``(P, k)`` training places per place of ``ctx``)."""
    fake, same = retrieved_views(data, neigh, per_place)
    m = model_scores(ctx, fake, same, per_place, seed)
    dist = own_view_distance(ctx, judge_probs(ctx.judge, fake)[1], per_place)
    m["own_view_distance_median"] = round(float(np.median(dist)), 4)
    m["own_view_distance"] = round(float(dist.mean()), 4)
    m["own_view_distance_ci95"] = [round(v, 4) for v in bootstrap_ci(dist, clusters=ctx.regions)]
    return m


def random_neighbours(data: PairedData, n: int, seed: int = 0, k: int = K) -> np.ndarray:
    """``(n, k)`` random training places: the floor every retrieval must beat."""
    return np.random.default_rng(seed).choice(np.flatnonzero(data.split_mask("train")), (n, k))


def recall_scores(ckpt: dict[str, Any], data: PairedData, view_feats: np.ndarray, side: str) -> dict[str, Any]:
    """R@K of one side's views among that side's places by a retrieval checkpoint's two towers, beside chance.

    ``recall_ci95``: 95% intervals of R@K over regions (the views' regions resampled whole, the
    places they rank kept). ``regions`` says where the misses come from: how often a view's best place lies in its own
    region, the median rank of its own place among its region's places (0 best, 1 worst, 0.5 a
    guess), and the R@10 of a retrieval that knew each view's region and guessed within it.
    """
    net = CrossViewNet(**ckpt["net_config"])
    net.load_state_dict(ckpt["net"])
    places = np.flatnonzero(data.split_mask(side))
    over, emb, pos = embed_places(net, data, view_feats, places)
    sim, region = emb @ over.T, data.loc_region[places]
    same = region[pos][:, None] == region[None, :]  # (views, places): the view's region
    own = sim[np.arange(len(pos)), pos]
    within = ((sim > own[:, None]) & same).sum(1) / np.maximum(same.sum(1) - 1, 1)
    n, rank = len(places), true_rank(sim, pos)
    return {"recall": recall_at(sim, pos, RECALL_K),
            "recall_ci95": {f"R@{k}": [round(v, 4) for v in bootstrap_ci(rank < k, clusters=region[pos])]
                            for k in RECALL_K}, "places": n,
            "chance": {f"R@{k}": round(min(k, n) / n, 4) for k in RECALL_K},
            "regions": {"best_place_in_own_region": round(float(same[np.arange(len(pos)), sim.argmax(1)].mean()), 4),
                        "own_rank_within_region_median": round(float(np.median(within)), 4),
                        "region_known_R@10": round(float(np.minimum(1.0, 10 / same.sum(1)).mean()), 4),
                        "regions": int(len(np.unique(region)))}}
