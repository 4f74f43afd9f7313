import pytest

from geogan_core.config import load_config
from geogan_core.errors import ConfigError, DataNotFoundError


class TestLoadConfig:
    def test_tiny_area_resolves_paths_and_channels(self, tiny_area):
        assert tiny_area.name == "tiny"
        assert tiny_area.channels == 3 + 1 + 1
        assert tiny_area.layers[0].path.is_file()
        assert tiny_area.landcover.group_names == ["rural", "urban"]
        assert tiny_area.landcover.group_of(13) == "urban"
        assert tiny_area.landcover.group_of(10) == "rural"
        assert tiny_area.landcover.group_of(0) is None and tiny_area.landcover.group_of(255) is None

    def test_env_reference_with_default(self, tmp_path, monkeypatch, tiny_config):
        text = tiny_config.read_text().replace(f'data_root = "{tiny_config.parent / "data"}"',
                                               'data_root = "${TINY_DATA:-data}"')
        cfg = tiny_config.parent / "env.toml"
        cfg.write_text(text)
        assert load_config(cfg).data_root == (tiny_config.parent / "data").resolve()
        monkeypatch.setenv("TINY_DATA", str(tmp_path))
        assert load_config(cfg).data_root == tmp_path.resolve()
        # a relative path in the environment is taken from the working folder, not the config's
        (tmp_path / "mine").symlink_to(tiny_config.parent / "data")
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("TINY_DATA", "mine")
        assert load_config(cfg).data_root == (tiny_config.parent / "data").resolve()

    def test_missing_file(self, tmp_path):
        with pytest.raises(DataNotFoundError, match="config file .*nope.toml not found"):
            load_config(tmp_path / "nope.toml")

    def test_missing_data_root_names_env_var(self, tiny_config, tmp_path):
        cfg = tmp_path / "a.toml"
        cfg.write_text(tiny_config.read_text().replace(str(tiny_config.parent / "data"), str(tmp_path / "gone")))
        with pytest.raises(DataNotFoundError, match="GEOGAN_DATA"):
            load_config(cfg)

    @pytest.mark.parametrize("old,new,match", [
        ('georef = "plate_carree"', 'georef = "mercator"', r"\[overhead #2\]\.georef must be one of"),
        ("size_px = 8", "size_px = -1", r"\[patch\]\.size_px must be positive"),
        ("fractions = [0.5, 0.25, 0.25]", "fractions = [0.5, 0.5, 0.5]", "summing to 1"),
        ('name = "tiny"', "name = 3", r"\[area\]\.name should be a str"),
    ])
    def test_bad_values_name_key_and_file(self, tiny_config, tmp_path, old, new, match):
        cfg = tmp_path / "bad.toml"
        cfg.write_text(tiny_config.read_text().replace(old, new, 1))
        with pytest.raises(ConfigError, match=match) as err:
            load_config(cfg)
        assert "bad.toml" in str(err.value)

    def test_demo_config_loads(self, shared_data):
        area = load_config()
        assert [layer.name for layer in area.layers] == ["summer", "winter", "night_lights", "elevation", "water"]
        assert area.channels == 9
        assert area.landcover.path.suffix == ".tif"
