"""Fixtures for the browser (end-to-end) tests: a Streamlit server and a Chromium page.

The browser is Debian's ``/usr/bin/chromium`` driven by the Playwright client (never
``playwright install``). Every test collected from this folder is marked ``e2e``.
Outside CI a missing browser skips these tests; with ``CI=true`` it fails them.
The start-up code itself lives in ``harness.py`` (shared with ``bench/``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from harness import (  # noqa: F401  (re-exported for tests that used them from here)
    CHROMIUM,
    CHROMIUM_ARGS,
    E2E_DIR,
    LOCAL_HOSTS,
    REPO_ROOT,
    SERVER_START_TIMEOUT_S,
    SERVER_STOP_TIMEOUT_S,
    VENV_PYTHON,
    HarnessError,
    chromium_page,
    chromium_problem,
    is_external,
    resolve_script,
)
from harness import StreamlitServer as _Server

if TYPE_CHECKING:
    from playwright.sync_api import Page

StreamlitServer = Callable[..., str]


def in_ci() -> bool:
    """Whether we run under CI (``CI=true``), where missing prerequisites are failures."""
    return os.environ.get("CI", "").strip().lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip the test locally, fail it under CI."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e with ``e2e``."""
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Path of Debian's chromium; skips (or fails under CI=true) when it is absent."""
    problem = chromium_problem(CHROMIUM)
    if problem:
        skip_or_fail(problem)
    return CHROMIUM


@pytest.fixture
def streamlit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    """Factory that starts ``streamlit run`` from the repository root and returns its URL.

    Call it as ``streamlit_server(script="app.py", env={...})``: ``script`` is relative
    to the repository root (or absolute), ``env`` adds or overrides environment
    variables. The server listens on a free port on 127.0.0.1 and is ready
    (``/_stcore/health`` answered) when the call returns the base URL. All servers the
    test started are terminated, children included, at teardown. The server log is
    ``streamlit-<port>.log`` in a pytest temporary folder (shown on failures).
    """
    servers: list[_Server] = []
    log_dir = tmp_path_factory.mktemp("streamlit-logs")

    def start(
        script: str | os.PathLike[str] = "app.py",
        env: Mapping[str, str] | None = None,
        timeout: float = SERVER_START_TIMEOUT_S,
    ) -> str:
        try:
            server = _Server(resolve_script(script), env, log_dir / f"streamlit-{len(servers)}.log")
            servers.append(server)
            server.wait_healthy(timeout)
        except HarnessError as exc:
            pytest.fail(str(exc), pytrace=False)
        return server.base_url

    yield start
    for server in reversed(servers):
        server.stop()


@pytest.fixture
def browser_page(chromium_path: Path) -> Iterator[Page]:
    """A Playwright page in Debian's headless chromium, with request bookkeeping.

    Extra attributes on the page (lists, filled as the page runs, iframes included):

    * ``external_requests``: URLs of requests to any host but 127.0.0.1/localhost.
    * ``failed_requests``: ``"<status or error> <url>"`` for local requests that failed
      or answered 4xx/5xx.
    * ``console_errors``: text of ``console.error`` messages and uncaught page errors.
    * ``console_error_details``: the same as dicts ``{"text", "url"}`` (the message's source).
    """
    with chromium_page(chromium_path) as page:
        yield page
