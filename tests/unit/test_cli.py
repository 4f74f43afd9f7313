import argparse
import os
import subprocess
import sys

import pytest

from geogan_core.cli import build_parser, main
from geogan_core.config import PROJECT_ROOT


def _all_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    out = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                out += _all_parsers(sub)
    return out


def test_every_help_text_renders():
    parsers = _all_parsers(build_parser())
    assert len(parsers) > 10
    for p in parsers:
        assert "usage:" in p.format_help()


def test_top_level_help_exits_cleanly(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0 and "evaluate" in capsys.readouterr().out


def test_checkpoints_folder_from_environment(monkeypatch, tmp_path, capsys, tiny_config):
    monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(tmp_path))
    assert main(["generate", "--config", str(tiny_config), "--lat", "0", "--lon", "0", "--out",
                 str(tmp_path / "g.png")]) == 2
    assert str(tmp_path) in capsys.readouterr().err  # the empty folder named, not checkpoints/


@pytest.mark.parametrize("script, args", [("recipes.py", ["{missing}"]),
                                          ("retrieval.py", ["--retrieval", "{missing}/retrieval.pt"])])
def test_bench_scripts_name_a_missing_checkpoint_in_one_line(script, args, tmp_path, tiny_config):
    env = {**os.environ, "GEOGAN_CONFIG": str(tiny_config), "GEOGAN_CHECKPOINTS": str(tmp_path)}
    run = subprocess.run([sys.executable, str(PROJECT_ROOT / "bench" / script),
                          *[a.format(missing=tmp_path / "missing") for a in args]],
                         capture_output=True, text=True, env=env, timeout=300)
    err = run.stderr.strip().splitlines()
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert err[-1].startswith("error:") and "not found" in err[-1]
