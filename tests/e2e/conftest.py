"""Fixtures for the browser (end-to-end) tests: a Streamlit server and a Chromium page.

The browser is Debian's ``/usr/bin/chromium`` driven by the Playwright client (never
``playwright install``). Every test collected from this folder is marked ``e2e``.
Outside CI a missing browser skips these tests; with ``CI=true`` it fails them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page, Request, Response

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parents[1]
VENV_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
CHROMIUM = Path("/usr/bin/chromium")
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-dev-shm-usage",
    # Resolve no host names but our own: nothing can leave the machine, and a stray
    # CDN request fails at once (it is still recorded in page.external_requests).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
)
SERVER_START_TIMEOUT_S = 90.0
SERVER_STOP_TIMEOUT_S = 10.0

StreamlitServer = Callable[..., str]


def in_ci() -> bool:
    """Whether we run under CI (``CI=true``), where missing prerequisites are failures."""
    return os.environ.get("CI", "").strip().lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip the test locally, fail it under CI."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


def is_external(url: str) -> bool:
    """Whether a request URL would go to a host other than this machine."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https", "ws", "wss", "ftp"}:
        return False  # data:, blob:, about:, chrome-extension: ...
    return (parts.hostname or "") not in LOCAL_HOSTS


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e with ``e2e``."""
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Path of Debian's chromium; skips (or fails under CI=true) when it is absent."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        skip_or_fail(f"{CHROMIUM} not found: install it with `apt-get install -y chromium`")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail("the playwright Python client is not installed in this environment")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _log_tail(path: Path, chars: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "<no log>"


class _Server:
    """One ``streamlit run`` child process (in its own process group)."""

    def __init__(self, script: Path, env: Mapping[str, str] | None, log_path: Path) -> None:
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        python = VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable)
        cmd = [
            str(python),
            "-m",
            "streamlit",
            "run",
            str(script),
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ]
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
        full_env.update(env or {})
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: teardown reaches its children too
        )

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        health = f"{self.base_url}/_stcore/health"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"streamlit exited with code {self.proc.returncode} before answering "
                    f"{health}; log {self.log_path}:\n{_log_tail(self.log_path)}",
                    pytrace=False,
                )
            try:
                with urllib.request.urlopen(health, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        self.stop()
        pytest.fail(
            f"streamlit did not answer {health} within {timeout:.0f}s; log {self.log_path}:\n"
            f"{_log_tail(self.log_path)}",
            pytrace=False,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            for sig, wait_s in ((signal.SIGTERM, SERVER_STOP_TIMEOUT_S), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(timeout=wait_s)
                    break
                except subprocess.TimeoutExpired:
                    continue
        else:
            # The leader is gone; make sure nothing it started lingers in its group.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._log.close()


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
        script_path = Path(script)
        if not script_path.is_absolute():
            script_path = REPO_ROOT / script_path
        if not script_path.is_file():
            pytest.fail(f"Streamlit script not found: {script_path}", pytrace=False)
        server = _Server(script_path, env, log_dir / f"streamlit-{len(servers)}.log")
        servers.append(server)
        server.wait_healthy(timeout)
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
    """
    from playwright.sync_api import sync_playwright

    external: list[str] = []
    failed: list[str] = []
    console_errors: list[str] = []

    def on_request(request: Request) -> None:
        if is_external(request.url):
            external.append(request.url)

    def on_response(response: Response) -> None:
        if response.status >= 400 and not is_external(response.url):
            failed.append(f"{response.status} {response.url}")

    def on_request_failed(request: Request) -> None:
        if not is_external(request.url):
            failed.append(f"{request.failure} {request.url}")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(chromium_path),
            headless=True,
            args=list(CHROMIUM_ARGS),
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
            context.on("request", on_request)
            context.on("response", on_response)
            context.on("requestfailed", on_request_failed)
            page = context.new_page()
            page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: console_errors.append(f"pageerror: {exc}"))
            page.set_default_timeout(30_000)
            page.external_requests = external  # type: ignore[attr-defined]
            page.failed_requests = failed  # type: ignore[attr-defined]
            page.console_errors = console_errors  # type: ignore[attr-defined]
            yield page
            context.close()
        finally:
            browser.close()
