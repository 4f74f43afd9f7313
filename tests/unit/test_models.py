import pytest
import torch

from geogan_core.errors import ConfigError, UnknownNameError
from geogan_core.models.modern import _unit_rms
from geogan_core.models.paper import TiledConditionConv
from geogan_core.models.registry import ModelConfig, build_gan


class TestArchitectures:
    @pytest.mark.parametrize("arch", ["paper", "modern", "ugan"])
    def test_shapes_and_features(self, arch):
        G, D = build_gan(ModelConfig(arch, in_channels=5, ngf=8, ndf=8))
        z, patch = torch.randn(3, 100), torch.rand(3, 5, 8, 8)
        img = G(z, patch)
        assert img.shape == (3, 3, 64, 64) and img.abs().max() <= 1
        assert D(img, patch).shape == (3,)
        assert D.features(img, patch).shape == (3, D.feature_dim)

    def test_modern_128(self):
        G, D = build_gan(ModelConfig("modern", in_channels=5, ngf=8, ndf=8, image_size=128))
        img = G(torch.randn(2, 100), torch.rand(2, 5, 8, 8))
        assert img.shape == (2, 3, 128, 128) and D(img, torch.rand(2, 5, 8, 8)).shape == (2,)

    def test_modern_land_cover_head(self):
        G, D = build_gan(ModelConfig("modern", in_channels=5, ngf=8, ndf=8, n_classes=4))
        D.eval()  # no power iteration of the spectral norms between the two calls
        img, patch = torch.rand(3, 3, 64, 64) * 2 - 1, torch.rand(3, 5, 8, 8)
        score, logits = D(img, patch, aux=True)
        assert torch.equal(score, D(img, patch)) and logits.shape == (3, 4)
        _, plain = build_gan(ModelConfig("modern", in_channels=5, ngf=8, ndf=8))
        with pytest.raises(ValueError, match="no land-cover head"):
            plain(img, patch, aux=True)

    def test_condition_matters_unless_unconditional(self):
        torch.manual_seed(0)
        z = torch.randn(1, 100).expand(2, -1)
        patch = torch.stack([torch.zeros(5, 8, 8), torch.ones(5, 8, 8)])
        for arch, differs in [("paper", True), ("modern", True), ("ugan", False)]:
            G, _ = build_gan(ModelConfig(arch, in_channels=5, ngf=8, ndf=8))
            G.eval()
            with torch.no_grad():
                out = G(z, patch)
            assert bool((out[0] - out[1]).abs().max() > 1e-6) == differs, arch

    def test_modern_generator_same_in_train_and_eval(self):
        G, _ = build_gan(ModelConfig("modern", in_channels=5, ngf=8, ndf=8))
        z, patch = torch.randn(4, 100), torch.rand(4, 5, 8, 8)
        with torch.no_grad():
            a = G.train()(z, patch)
            b = G.eval()(z, patch)
        assert torch.allclose(a, b, atol=1e-6)

    def test_projected_discriminator(self):
        torch.manual_seed(0)
        _, D = build_gan(ModelConfig("modern", in_channels=5, ngf=8, ndf=8, n_classes=3, disc="projected"))
        frozen = D._frozen[0]
        assert not any(k.startswith("_frozen") or "_blocks" in k for k in D.state_dict())  # Lite0 is not saved
        assert all(not p.requires_grad for p in [*frozen.parameters(), *D.mixing.parameters()])
        D.train()
        assert not frozen.training and D.heads[0].training  # Lite0's batch norms stay fixed
        img = (torch.rand(2, 3, 64, 64) * 2 - 1).requires_grad_(True)
        patch = torch.rand(2, 5, 8, 8)
        score, logits = D(img, patch, aux=True)
        assert score.shape == (2, 4) and logits.shape == (2, 3)  # one score per head
        assert D.features(img, patch).shape == (2, D.feature_dim)
        score.sum().backward()
        assert img.grad.abs().sum() > 0 and all(p.grad is None for p in frozen.parameters())
        D.eval()
        with torch.no_grad():  # the heads check the match: another place changes the scores
            assert not torch.allclose(D(img, patch), D(img, patch.flip(0)))
        _, again = build_gan(ModelConfig("modern", in_channels=5, ngf=8, ndf=8, disc="projected"))
        assert torch.equal(again.mixing.ccm[0].weight, D.mixing.ccm[0].weight)  # fixed random mixing
        assert D.double()._frozen[0]._conv_stem.weight.dtype == torch.float64  # .to() reaches Lite0

    def test_tiled_condition_conv_equals_plain_conv(self):
        m = TiledConditionConv(3, 7, 4)
        img, code = torch.randn(2, 3, 16, 16), torch.randn(2, 7)
        plain = m.conv(torch.cat([img, code[:, :, None, None].expand(-1, -1, 16, 16)], 1))
        assert torch.allclose(m(img, code), plain, atol=1e-5)

    def test_bad_config(self):
        with pytest.raises(UnknownNameError, match="choose one of"):
            ModelConfig("stylegan9", in_channels=3)
        with pytest.raises(ConfigError, match="image_size"):
            ModelConfig("paper", in_channels=3, image_size=128)
        with pytest.raises(ConfigError, match="modern only"):
            ModelConfig("paper", in_channels=3, n_classes=5)
        with pytest.raises(ConfigError, match="disc 'projected' not supported for 'paper'"):
            ModelConfig("paper", in_channels=3, disc="projected")
        with pytest.raises(ConfigError, match="place_strength 1.1 not supported for 'paper'"):
            ModelConfig("paper", in_channels=3, place_strength=1.1)
        with pytest.raises(ConfigError, match="place_strength 0 not supported"):
            ModelConfig("modern", in_channels=3, place_strength=0)

    @pytest.mark.parametrize("arch", ["modern", "guided"])
    def test_place_strength_weighs_the_condition_and_the_checkpoint_carries_it(self, arch, tmp_path):
        from geogan_core.checkpoint import gan_from_checkpoint, save_checkpoint

        torch.manual_seed(0)
        G, D = build_gan(ModelConfig(arch, in_channels=5, ngf=8, ndf=8))
        strong, _ = build_gan(ModelConfig(arch, in_channels=5, ngf=8, ndf=8, place_strength=1.5))
        strong.load_state_dict(G.state_dict())
        assert float(G.cond_weight) == 1.0 and float(strong.cond_weight) == 1.5  # not in the state dict
        z, patch = torch.randn(3, 100), torch.rand(3, 5, 8, 8)
        with torch.no_grad():
            code = G.embed(patch)
            weighed = G.mapping(torch.cat([_unit_rms(z), 1.5 * _unit_rms(code)], 1))  # the code's weight
            assert torch.allclose(strong.to_w(z, code), weighed, atol=1e-6)
            assert not torch.allclose(strong(z, patch), G(z, patch))
        cfg = ModelConfig(arch, in_channels=5, ngf=8, ndf=8, place_strength=1.5)
        save_checkpoint(tmp_path / "g.pt", {"kind": "gan", "arch": arch, "model_config": cfg.to_dict(),
                                            "G": G.state_dict(), "D": D.state_dict()})
        assert float(gan_from_checkpoint(tmp_path / "g.pt")[0].cond_weight) == 1.5  # the checkpoint carries it
