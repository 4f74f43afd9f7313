"""Cross-view retrieval, heading crops, alike-place real views and the retrieval-guided generator."""

import json
import shutil

import numpy as np
import pytest
import torch

from geogan_core.checkpoint import gan_from_checkpoint, load_checkpoint, save_checkpoint
from geogan_core.cli import main
from geogan_core.data.paired import load_paired
from geogan_core.data.strips import place_strips, strip_windows
from geogan_core.errors import CheckpointError, ConfigError, InvalidRequestError
from geogan_core.inference.alike import alike_places
from geogan_core.inference.generate import Explorer
from geogan_core.models.crossview import CrossViewNet, PlaceMemory, located
from geogan_core.models.registry import ModelConfig, build_gan
from geogan_core.retrieval.memory import RetrievalMemory, load_memory, recall_at
from geogan_core.retrieval.train import GENERATOR_MEMORY, RetrievalConfig, train_retrieval, view_features
from geogan_core.training.export import export_run
from geogan_core.training.loop import GanTrainer, TrainConfig, _Batches
from tests.conftest import train_tiny


def _feats(data, seed=0):
    """Stand-in view features: a place's views share a direction (so retrieval has something to learn)."""
    rng = np.random.default_rng(seed)
    place = rng.normal(size=(data.n_locations, 1280))
    return (place[data.view_loc] + 0.3 * rng.normal(size=(len(data.view_loc), 1280))).astype(np.float32)


@pytest.fixture(scope="module")
def retrieval(tiny_area, trained, tmp_path_factory):
    """A retrieval run on the tiny area, exported beside the tiny GANs (a copy of their folder)."""
    root = tmp_path_factory.mktemp("retrieval")
    data = load_paired(tiny_area)
    path = train_retrieval(data, _feats(data), root / "runs" / "retrieval", RetrievalConfig(epochs=3, batch_size=4))
    shutil.copytree(trained / "ckpt", root / "ckpt")
    export_run("retrieval", root / "runs" / "retrieval", root / "ckpt")
    return root, path


class TestHeadingCrops:
    def _batches(self, tiny_area, **kw):
        return _Batches(load_paired(tiny_area), 64, torch.device("cpu"), 0, **kw)

    def test_a_window_wraps_around_the_strip(self, tiny_area):
        b = self._batches(tiny_area, crops=True)
        place = torch.tensor([0])
        last = b.first[0] + b.count[0] - 1  # the strip's last view, then its first again
        w = b.window(place, (b.count[0] * 64 - 16).reshape(1))[0]
        assert torch.equal(w[:, :, :16], b.views[last][:, :, 48:])
        assert torch.equal(w[:, :, 16:], b.views[b.first[0]][:, :, :48])
        assert torch.equal(b.window(place, torch.tensor([64]))[0], b.views[b.first[0] + 1])

    def test_crops_start_in_the_own_view_and_off_gives_the_views(self, tiny_area):
        g = torch.Generator().manual_seed(0)
        ids = torch.arange(len(self._batches(tiny_area)))
        assert torch.equal(self._batches(tiny_area).real(ids, g), self._batches(tiny_area).views)
        crops = self._batches(tiny_area, crops=True).real(ids, g)
        assert crops.shape == (len(ids), 3, 64, 64) and not torch.equal(crops, self._batches(tiny_area).views)

    def test_neighbours_give_the_real_view(self, tiny_area):
        data = load_paired(tiny_area)
        places = np.flatnonzero(data.split_mask("train"))
        nb = np.roll(np.arange(len(places)), 1)[:, None]  # each place's only alike place: the one before it
        b = self._batches(tiny_area, neighbours=nb, neighbour_p=1.0)
        ids = torch.arange(len(b))
        x = b.real(ids, torch.Generator().manual_seed(0))
        for i in range(len(ids)):
            q = int(nb[int(b.place[i]), 0])
            own = b.views[b.first[q]: b.first[q] + b.count[q]]
            assert any(torch.equal(x[i], v) for v in own)


class TestRetrieval:
    def test_recall_counts_ranks(self):
        sim = np.array([[0.9, 0.1, 0.5], [0.9, 0.2, 0.5], [0.1, 0.2, 0.3]])
        assert recall_at(sim, np.array([0, 1, 2]), (1, 2)) == {"R@1": round(2 / 3, 4), "R@2": round(2 / 3, 4)}

    def test_recall_scores_say_where_the_misses_come_from(self, tiny_area, retrieval, monkeypatch):
        import geogan_core.evaluation.retrieval as ev

        data, ck = load_paired(tiny_area), load_checkpoint(retrieval[1], "retrieval")
        places = np.flatnonzero(data.split_mask("val"))
        pos = np.searchsorted(places, data.view_loc[np.isin(data.view_loc, places)])
        regions = data.loc_region[places]
        eye = np.eye(len(places), dtype=np.float32)
        monkeypatch.setattr(ev, "embed_places", lambda *a: (eye, eye[pos], pos))  # every view finds its place
        g = ev.recall_scores(ck, data, _feats(data), "val")
        assert g["recall"]["R@1"] == 1.0 and g["regions"]["best_place_in_own_region"] == 1.0
        assert g["regions"]["own_rank_within_region_median"] == 0.0
        sizes = np.array([(regions == regions[p]).sum() for p in pos])
        assert g["regions"]["region_known_R@10"] == round(float(np.minimum(1, 10 / sizes).mean()), 4)
        assert g["regions"]["regions"] == len(set(regions))
        worst = 1 - eye  # every view ranks its own place last
        monkeypatch.setattr(ev, "embed_places", lambda *a: (eye, worst[pos], pos))
        g = ev.recall_scores(ck, data, _feats(data), "val")
        assert g["recall"]["R@1"] == 0.0 and g["recall_ci95"]["R@1"] == [0.0, 0.0]
        first = regions[pos] == regions[0]  # only the first region's views find their place
        monkeypatch.setattr(ev, "embed_places", lambda *a: (eye, np.where(first[:, None], eye[pos], worst[pos]), pos))
        g = ev.recall_scores(ck, data, _feats(data), "val")
        lo, hi = g["recall_ci95"]["R@1"]
        assert g["recall"]["R@1"] == round(float(first.mean()), 4) and lo < g["recall"]["R@1"] < hi  # regions vary
        assert g["regions"]["own_rank_within_region_median"] == np.median(np.where(sizes > 1, 1.0, 0.0))

    def test_training_records_recall_and_a_memory_of_training_places(self, tiny_area, retrieval):
        ck = load_checkpoint(retrieval[1], "retrieval")
        assert set(ck["metrics"]["val"]) == {"R@1", "R@5", "R@10"}
        assert len(ck["metrics"]["epoch_chosen"]) == RetrievalConfig.members >= 2  # one epoch per member
        assert all(1 <= e <= 3 for e in ck["metrics"]["epoch_chosen"])
        memory = load_memory(retrieval[1])
        data = load_paired(tiny_area)
        assert np.array_equal(memory.place, np.flatnonzero(data.split_mask("train")))
        assert memory.located
        pos, sim = memory.search(data.patches[:5].astype(np.float32), 3, lat=data.loc_lat[:5], lon=data.loc_lon[:5])
        assert pos.shape == sim.shape == (5, 3) and np.all(np.diff(sim, axis=1) <= 1e-6)
        with pytest.raises(InvalidRequestError, match="lat and lon"):
            memory.search(data.patches[:5].astype(np.float32), 3)

    def test_the_checkpoint_also_holds_a_patch_only_memory_a_generator_carries(self, tiny_area, retrieval):
        ck, data = load_checkpoint(retrieval[1], "retrieval"), load_paired(tiny_area)
        gen = load_memory(retrieval[1], for_generator=True)
        assert ck["generator"]["net_config"]["location"] == 0 and ck["generator"]["net_config"]["members"] == 1
        assert not gen.located and np.array_equal(gen.place, load_memory(retrieval[1]).place)
        pos, _ = gen.search(data.patches[:2].astype(np.float32), 2)  # a patch alone is enough
        G, _ = build_gan(ModelConfig("guided", tiny_area.channels, ngf=8, ndf=8))
        G.memory.load_state_dict(gen.module.state_dict())
        with pytest.raises(RuntimeError):  # the ensemble does not fit it: training says so (ConfigError)
            G.memory.load_state_dict(load_memory(retrieval[1]).module.state_dict())

    def test_a_training_place_can_skip_itself(self, tiny_area, retrieval):
        memory, data = load_memory(retrieval[1]), load_paired(tiny_area)
        patches = data.patches[memory.place].astype(np.float32)
        where = {"lat": memory.lat, "lon": memory.lon}
        own, _ = memory.search(patches, 1, **where)
        assert (own[:, 0] == np.arange(len(memory))).all()  # a place is most alike itself
        other, _ = memory.search(patches, len(memory) - 1, exclude=memory.place, **where)
        assert (other != np.arange(len(memory))[:, None]).all()  # by identity, whatever the key
        one, _ = memory.search(patches, 1, exclude=np.r_[memory.place[:1], -np.ones(len(memory) - 1, int)], **where)
        assert one[0, 0] != 0 and (one[1:, 0] == np.arange(1, len(memory))).all()
        nb = memory.neighbours(patches, 2)
        assert nb.shape == (len(memory), 2) and (nb != np.arange(len(memory))[:, None]).all()

    def test_the_shipped_copy_is_fp16_and_ranks_as_the_run_does(self, tiny_area, retrieval):
        shipped_path = retrieval[0] / "ckpt" / "retrieval.pt"
        shipped = load_checkpoint(shipped_path, "retrieval")
        for part in (shipped, shipped["generator"]):
            states = (part["net"], part["memory"]["module"])
            assert all(v.dtype == torch.float16 for sd in states for v in sd.values() if v.is_floating_point())
        assert shipped["memory"]["lat"].dtype == torch.float64  # where the places are keeps its precision
        data = load_paired(tiny_area)
        val = np.flatnonzero(data.split_mask("val"))
        ranks = [load_memory(path).search(data.patches[val].astype(np.float32), 3, lat=data.loc_lat[val],
                                          lon=data.loc_lon[val])[0] for path in (retrieval[1], shipped_path)]
        assert (ranks[0][:, 0] == ranks[1][:, 0]).mean() >= 0.9

    def test_place_memory_loads_any_size(self, retrieval):
        memory = load_memory(retrieval[1], for_generator=True)
        empty = PlaceMemory(memory.module.overhead.cnn.net[0].in_channels)
        assert len(empty.keys) == 0
        empty.load_state_dict(memory.module.state_dict())
        assert torch.equal(empty.keys, memory.module.keys)

    def test_alike_places_are_training_places_with_real_views(self, tiny_area, retrieval):
        ex = Explorer(tiny_area, retrieval[0] / "ckpt")
        places = alike_places(ex, 51.5, -0.1, 3)
        train = set(zip(ex.data.loc_lat[ex.data.split_mask("train")].tolist(),
                        ex.data.loc_lon[ex.data.split_mask("train")].tolist(), strict=True))
        assert [p.rank for p in places] == [1, 2, 3]
        assert all((p.lat, p.lon) in train and p.views.shape[1:] == (128, 128, 3) for p in places)
        assert places[0].distance_km == pytest.approx(0, abs=1) or places[0].distance_km > 0
        assert places[0].similarity >= places[-1].similarity

    def test_the_condition_edits_change_what_is_retrieved(self, tiny_area, retrieval):
        ex = Explorer(tiny_area, retrieval[0] / "ckpt")
        sims = [[p.similarity for p in alike_places(ex, 30.0, 31.2, 4, edits=e)]
                for e in ({}, {"water": 1.0}, {"snow": 1.0})]
        assert sims[0] != sims[1] or sims[0] != sims[2]

    def test_bad_requests(self, tiny_area, retrieval, monkeypatch):
        ex = Explorer(tiny_area, retrieval[0] / "ckpt")
        n = len(ex.retrieval)
        with pytest.raises(InvalidRequestError, match=f"between 1 and the {n} training places"):
            alike_places(ex, 51.5, -0.1, n + 1)
        monkeypatch.setattr(ex, "patch", lambda lat, lon: (np.zeros((5, 8, 8), np.float32), 0.0))
        with pytest.raises(InvalidRequestError, match="nodata"):
            alike_places(ex, 51.5, -0.1, 2)

    def test_a_memory_of_other_data_or_none_is_refused(self, tiny_area, retrieval, tmp_path):
        shutil.copytree(retrieval[0] / "ckpt", tmp_path / "ckpt")
        path = tmp_path / "ckpt" / "retrieval.pt"
        ck = load_checkpoint(path)
        ck["memory"]["data_key"] = "0123456789abcdef"
        save_checkpoint(path, ck)
        from geogan_core.checkpoint import sha256, update_manifest

        update_manifest(tmp_path / "ckpt", "retrieval", {"sha256": sha256(path)})
        with pytest.raises(CheckpointError, match="built from other data"):
            _ = Explorer(tiny_area, tmp_path / "ckpt").retrieval
        with pytest.raises(CheckpointError, match="train retrieval"):
            _ = Explorer(tiny_area, retrieval[0] / "runs").retrieval  # no manifest there

    def test_cli_retrieve_json(self, tiny_config, retrieval, capsys):
        assert main(["retrieve", "--config", str(tiny_config), "--checkpoints", str(retrieval[0] / "ckpt"),
                     "--lat", "48.9", "--lon", "2.3", "-k", "2", "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["k"] == 2 and len(out["places"]) == 2 and {"lat", "lon", "distance_km", "similarity"} <= set(
            out["places"][0])
        assert main(["retrieve", "--config", str(tiny_config), "--checkpoints", str(retrieval[0] / "ckpt"),
                     "--lat", "48.9", "--lon", "2.3", "-k", "999"]) == 2
        assert "training places" in capsys.readouterr().err


def _noise_and_place_change_the_views(G, data):
    """Shape, determinism, and views that change with the noise and with the place; returns ``(z, p)``."""
    z = torch.randn(2, G.z_dim, generator=torch.Generator().manual_seed(0))
    p = torch.from_numpy(data.patches[[0, 0]].astype(np.float32))
    with torch.no_grad():
        out = G(z, p)
        assert out.shape == (2, 3, 64, 64) and torch.equal(out, G(z, p))
        assert not torch.allclose(out[0], out[1])  # the noise
        assert not torch.allclose(out, G(z, torch.from_numpy(data.patches[[3, 3]].astype(np.float32))))  # the place
    return z, p


class TestGuidedGenerator:
    def _guided(self, tiny_area, retrieval):
        G, _ = build_gan(ModelConfig("guided", tiny_area.channels, ngf=8, ndf=8))
        G.memory.load_state_dict(load_memory(retrieval[1], for_generator=True).module.state_dict())
        return G.eval()

    def test_shapes_determinism_and_what_changes_the_views(self, tiny_area, retrieval):
        G = self._guided(tiny_area, retrieval)
        z, p = _noise_and_place_change_the_views(G, load_paired(tiny_area))
        with torch.no_grad():
            out = G(z, p)
            G.memory.values = G.memory.values.flip(0)  # the same places retrieved, other neighbours' views
            assert not torch.allclose(out, G(z, p))

    def test_an_empty_memory_retrieves_zeros_and_the_ramp_silences_the_place(self, tiny_area, retrieval):
        G, _ = build_gan(ModelConfig("guided", tiny_area.channels, ngf=8, ndf=8))
        p = torch.rand(2, tiny_area.channels, 8, 8)
        assert torch.equal(G.retrieve(p), torch.zeros(2, 64))
        G.cond_weight.fill_(0.0)
        z = torch.randn(1, G.z_dim).expand(2, -1)
        with torch.no_grad():
            assert torch.allclose(G(z, p)[0], G(z, p)[1])

    def test_trains_with_the_memory_and_ships_it(self, tiny_area, retrieval, tmp_path):
        latest = train_tiny(tiny_area, "guided", tmp_path / "g",
                            memory=load_memory(retrieval[1], for_generator=True), max_steps=3)
        ck = load_checkpoint(latest, "gan")
        assert ck["train_config"]["neighbour_p"] == 0.5 and ck["train_config"]["heading_crops"] is True
        G, _, _ = gan_from_checkpoint(latest)
        assert torch.equal(G.memory.keys, load_memory(retrieval[1], for_generator=True).module.keys)

    def test_needs_a_memory(self, tiny_area, tmp_path):
        with pytest.raises(ConfigError, match="train retrieval"):
            GanTrainer(tiny_area, ModelConfig("guided", tiny_area.channels, ngf=8, ndf=8),
                       TrainConfig(batch_size=8, device="cpu"), load_paired(tiny_area), tmp_path)
        with pytest.raises(ConfigError, match="neighbour_p"):
            GanTrainer(tiny_area, ModelConfig("modern", tiny_area.channels, ngf=8, ndf=8),
                       TrainConfig(batch_size=8, device="cpu", neighbour_p=0.5), load_paired(tiny_area), tmp_path)

    def test_condition_weight_ramps(self, tiny_area, retrieval, tmp_path):
        t = GanTrainer(tiny_area, ModelConfig("modern", tiny_area.channels, ngf=8, ndf=8),
                       TrainConfig(batch_size=8, device="cpu", ramp_start=10, ramp_end=20), load_paired(tiny_area),
                       tmp_path)
        weights = []
        for step in (0, 10, 15, 20, 99):
            t.step = step
            weights.append(t.condition_weight())
        assert weights == [0.0, 0.0, 0.5, 1.0, 1.0]


def test_crossview_towers_are_unit_vectors():
    net = CrossViewNet(5, dim=16, width=8)
    a, b = net.embed_overhead(torch.rand(3, 5, 8, 8)), net.embed_views(torch.randn(3, 1280))
    assert a.shape == b.shape == (3, 16)
    assert torch.allclose(a.norm(dim=1), torch.ones(3)) and torch.allclose(b.norm(dim=1), torch.ones(3))


def test_a_located_tower_reads_where_the_place_is():
    torch.manual_seed(0)
    net = CrossViewNet(5, dim=16, width=8, location=True).eval()
    patch = torch.rand(1, 5, 8, 8).expand(2, -1, -1, -1)  # one patch at two places
    a = net.embed_overhead(patch, np.array([48.0, -33.9]), np.array([2.3, 151.2]))
    assert a.shape == (2, 16) and not torch.allclose(a[0], a[1])
    planes = located(patch, np.array([0.0, 90.0]), np.array([0.0, 0.0]))[:, 5:]
    assert planes.shape == (2, 3, 8, 8) and torch.allclose(planes[0, :, 0, 0], torch.tensor([1.0, 0.5, 0.5]))
    assert torch.allclose(planes[1, :, 3, 3], torch.tensor([0.5, 0.5, 1.0]), atol=1e-6)
    with pytest.raises(InvalidRequestError, match="lat and lon"):
        net.embed_overhead(patch)


def test_an_ensemble_scores_the_mean_cosine_of_its_members():
    torch.manual_seed(0)
    nets = [CrossViewNet(5, dim=16, width=8, dropout=0.0).eval() for _ in range(3)]
    both = CrossViewNet.ensemble(nets).eval()
    p, f = torch.rand(4, 5, 8, 8), torch.randn(4, 1280)
    mean = sum(n.embed_overhead(p) @ n.embed_views(f).t() for n in nets) / 3
    assert both.embed_overhead(p).shape == (4, 48)
    assert torch.allclose(both.embed_overhead(p) @ both.embed_views(f).t(), mean, atol=1e-5)
    assert CrossViewNet(**both.config()).config() == both.config()  # the checkpoint rebuilds it


def test_memory_state_round_trip(tiny_area, retrieval):
    memory = load_memory(retrieval[1])
    again = RetrievalMemory.from_checkpoint({"net_config": load_checkpoint(retrieval[1])["net_config"],
                                             "memory": memory.state()})
    assert np.array_equal(again.place, memory.place) and again.key == memory.key


def test_training_can_rekey_the_shipped_memory(tiny_area, retrieval):
    from geogan_core.training.run import _memory

    data = load_paired(tiny_area)
    path = retrieval[0] / "ckpt" / "retrieval.pt"
    shipped = _memory(tiny_area, data, path, "")  # the generator's memory: patch only, whatever the key
    view = _memory(tiny_area, data, path, "view")
    assert shipped.key == GENERATOR_MEMORY["key"] != "view" and view.key == "view"
    assert not shipped.located and not view.located and np.array_equal(view.place, shipped.place)
    assert not torch.allclose(view.module.keys, shipped.module.keys)
    assert torch.equal(view.module.values, view.module.keys)  # the cross-view key is the places' view embedding
    with pytest.raises(ConfigError, match="retrieval_key"):
        _memory(tiny_area, data, path, "nonsense")



def test_a_generator_memory_knows_a_training_place_whatever_the_key(tiny_area, retrieval):
    from geogan_core.training.run import _memory

    data = load_paired(tiny_area)
    view = _memory(tiny_area, data, retrieval[0] / "ckpt" / "retrieval.pt", "view").module
    own = torch.from_numpy(data.patches[_memory(tiny_area, data, retrieval[1], "view").place].astype(np.float32))
    n, rows = len(own), torch.arange(len(own))[:, None]
    _, idx = view.search(own, n - 1, skip_self=True)
    assert not (idx == rows).any()  # keyed by views, a place is still known by its own overhead embedding
    assert (idx.sort(1).values.sum(1) == n * (n - 1) // 2 - rows[:, 0]).all()  # and only that place is left out
    unseen = torch.from_numpy(data.patches[data.split_mask("val")][:4].astype(np.float32))
    assert torch.equal(view.search(unseen, 3, skip_self=True)[1], view.search(unseen, 3)[1])  # no one skipped
    before = {k: v for k, v in view.state_dict().items() if k != "selves"}  # saved before selves
    old = PlaceMemory(tiny_area.channels)
    old.load_state_dict(before)
    assert len(old.selves) == 0 and torch.equal(old.keys, view.keys)
    assert torch.equal(old.search(unseen, 3, skip_self=True)[1], view.search(unseen, 3)[1])

def test_view_features_follow_the_checkpoint_settings(tiny_area):
    """The defaults read the 128-px views at 224 px; a checkpoint from before the setting, the 64-px views at 64."""
    data = load_paired(tiny_area)
    new, old = view_features(tiny_area, data), view_features(tiny_area, data, {"dim": 64})
    assert new.shape == old.shape == (len(data.view_loc), 1280) and not np.allclose(new, old)
    names = sorted(p.name for p in tiny_area.cache_dir.glob("features-lite0-real*"))
    assert any(n.startswith("features-lite0-real128-224px-") for n in names)
    assert any(n.startswith("features-lite0-real-64px-") for n in names)
    again = view_features(tiny_area, data, {"view_size": 128, "view_px": 224})  # the cache, not a recompute
    assert np.array_equal(again, new)


@pytest.fixture(scope="module")
def exemplar_run(tiny_area, retrieval, tmp_path_factory):
    """A few training steps of the exemplar cGAN (its style layers start at zero: the steps make them matter)."""
    return train_tiny(tiny_area, "exemplar", tmp_path_factory.mktemp("exemplar") / "e",
                      memory=load_memory(retrieval[1], for_generator=True), max_steps=3, neighbour_p=0.0)


class TestExemplarGenerator:
    def _exemplar(self, tiny_area, retrieval, latest=None):
        data = load_paired(tiny_area)
        if latest is None:
            G, _ = build_gan(ModelConfig("exemplar", tiny_area.channels, ngf=8, ndf=8))
            G.memory.load_state_dict(load_memory(retrieval[1], for_generator=True).module.state_dict())
        else:
            G = gan_from_checkpoint(latest)[0]
        G.set_exemplars(*place_strips(data, np.flatnonzero(data.split_mask("train")), 64))
        return G.eval(), data

    def test_exemplars_are_crops_of_alike_training_places_chosen_by_the_noise(self, tiny_area, retrieval):
        G, data = self._exemplar(tiny_area, retrieval)
        train = np.flatnonzero(data.split_mask("train"))
        p = torch.from_numpy(data.patches[[train[0]] * 16].astype(np.float32))
        z = torch.randn(16, G.z_dim, generator=torch.Generator().manual_seed(0))
        ex = G.exemplars(z, p)
        assert ex.shape == (16, 3, 64, 64) and torch.equal(ex, G.exemplars(z, p))
        assert len({e.sum().item() for e in ex}) > 1  # the noise picks other places, crops and flips
        _, alike = G.memory.search(p, G.k, skip_self=True)
        assert 0 not in alike[0]  # the place itself is never its own exemplar
        for e in ex:  # each is a window of an alike place's strip, maybe mirrored
            windows = torch.cat([strip_windows(G.views, G.first, G.count, torch.full((n,), int(q)), torch.arange(n))
                                 for q in alike[0] for n in [int(G.count[q]) * 64]]).float() / 127.5 - 1
            assert any(torch.equal(e, w) or torch.equal(e, w.flip(-1)) for w in windows)

    def test_shapes_determinism_and_what_changes_the_views(self, tiny_area, retrieval, exemplar_run):
        G, data = self._exemplar(tiny_area, retrieval, exemplar_run)
        z, p = _noise_and_place_change_the_views(G, data)
        with torch.no_grad():
            code = G.embed(p)
            ex = G.exemplars(z, p)
            assert not torch.allclose(G.edit(ex, z, code), G.edit(ex.flip(0), z, code))  # the exemplar
            assert not torch.allclose(G.edit(ex, z, code), G.edit(ex, z, G.embed(p.flip(-1))))  # the condition

    def test_trains_and_never_saves_the_views(self, tiny_area, retrieval, exemplar_run):
        ck = load_checkpoint(exemplar_run, "gan")
        assert not any("views" in k for k in ck["G"]) and ck["train_config"]["heading_crops"] is True
        G, _, _ = gan_from_checkpoint(exemplar_run)
        assert len(G.views) == 0  # until the explorer hands them over
        export_run("exemplar", exemplar_run.parent, retrieval[0] / "ckpt")
        explorer = Explorer(tiny_area, retrieval[0] / "ckpt")
        assert len(explorer.gan("exemplar").G.views) == len(load_paired(tiny_area).view_loc[
            load_paired(tiny_area).view_mask("train")])
        assert explorer.generate(48.9, 2.3, n=2, seed=0, arch="exemplar").images.shape == (2, 64, 64, 3)

    def test_exemplars_of_other_places_are_refused(self, tiny_area, retrieval):
        G, data = self._exemplar(tiny_area, retrieval)
        with pytest.raises(ValueError, match="memory of"):
            G.set_exemplars(*place_strips(data, np.arange(2), 64))


def test_alike_places_reals_are_the_guided_default_and_off_for_the_exemplar():
    """The exemplar cGAN edits an alike place's view: alike places' reals would reward a copy of it."""
    assert TrainConfig().resolved("guided").neighbour_p == 0.5
    assert TrainConfig().resolved("exemplar").neighbour_p == 0.0
    assert TrainConfig().resolved("modern").neighbour_p == 0.0
    assert TrainConfig(neighbour_p=0.25).resolved("exemplar").neighbour_p == 0.25


def test_train_takes_the_architectures_recipe_under_the_config_and_flags(tiny_config, retrieval, tmp_path,
                                                                       monkeypatch):
    """`train cgan --arch guided` retrains the shipped recipe; the config's tables, flags and --set win over it."""
    from geogan_core.config import load_config
    from geogan_core.models.registry import recipe
    from geogan_core.training.run import train_command

    bare = tiny_config.parent / "no-epochs.toml"  # the tiny area without its [train] epochs
    bare.write_text(tiny_config.read_text().replace("epochs = 1\n", ""))
    monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(retrieval[0] / "ckpt"))

    def trained(config, arch, **kw):
        path = train_command(load_config(config), "cgan", arch=arch, run_dir=tmp_path / f"{arch}-{len(kw)}",
                             max_steps=1, device="cpu", **kw)
        return load_checkpoint(path, "gan")["train_config"]

    path = train_command(load_config(bare), "cgan", arch="guided", run_dir=tmp_path / "shipped", max_steps=1,
                         device="cpu")
    guided, shape = (load_checkpoint(path, "gan")[k] for k in ("train_config", "model_config"))
    assert (guided["epochs"], guided["retrieval_key"], guided["neighbour_p"]) == (60, "view", 0.5)
    assert {k: {**guided, **shape}[k] for k in recipe("guided")} == recipe("guided")  # [model] keys too
    assert shape["upsample"] == "resize" and shape["ngf"] == 8  # the recipe's and the area's [model] table
    assert trained(bare, "modern")["epochs"] == 30
    assert trained(tiny_config, "guided")["epochs"] == 1  # the area's [train] table
    changed = trained(bare, "guided", epochs=2, settings={"retrieval_key": "overhead", "neighbour_p": 0.0})
    assert (changed["epochs"], changed["retrieval_key"], changed["neighbour_p"]) == (2, "overhead", 0.0)
