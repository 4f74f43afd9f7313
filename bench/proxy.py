"""Several app processes on one machine behind nginx, with session affinity (docs/SCALING.md).

    .venv/bin/python bench/proxy.py --processes 3 --port 8080      # `make serve-many N=3 PORT=8080`

Starts ``--processes`` Streamlit servers of app.py on free 127.0.0.1 ports (the browser tests'
harness, tests/e2e/harness.py) and Debian's nginx in front of them on ``--port``, and serves until
interrupted (Ctrl-C stops everything). ``bench/load.py --processes N`` uses the same code.

Affinity: a Streamlit session lives in one process (its websocket, its session state, its media
files), so every request of a browser must reach the process that holds its session. nginx
sends a request without the ``geogan_backend`` cookie to the next process in turn (round robin)
and sets the cookie to the process that answered; a request with the cookie goes to that process.
Only the processes it started are accepted as cookie values, so a cookie cannot send nginx
anywhere else. A websocket carries the browser's cookies too, and stays open for the session.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from geogan_core.errors import exit_status

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

from harness import HarnessError, StreamlitServer, free_port, resolve_script, wait_answering  # noqa: E402

NGINX = "/usr/sbin/nginx"
COOKIE = "geogan_backend"

NGINX_CONF = """worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; "" close; }}
    # the cookie names the process that holds the session; anything else goes round robin
    map $cookie_{cookie} $geogan_target {{
        default geogan;
{known}
    }}
    upstream geogan {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://$geogan_target;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_buffering off;
            proxy_read_timeout 1d;
            proxy_send_timeout 1d;
            add_header Set-Cookie "{cookie}=$upstream_addr; Path=/; HttpOnly; SameSite=Lax" always;
        }}
    }}
}}
"""


def nginx_conf(prefix: Path, port: int, backends: list[int]) -> str:
    """nginx's configuration: listen on 127.0.0.1:``port``, the ``backends`` ports with cookie affinity."""
    return NGINX_CONF.format(
        prefix=prefix, port=port, cookie=COOKIE,
        known="\n".join(f'        "127.0.0.1:{b}" 127.0.0.1:{b};' for b in backends),
        servers="\n".join(f"        server 127.0.0.1:{b};" for b in backends))


def nginx_problem(path: str = NGINX) -> str | None:
    """Why nginx cannot run here (``None`` when it can)."""
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        return f"{path} not found: install Debian's nginx with `apt-get install -y nginx`"
    return None


@dataclass
class ProxiedApp:
    """The app processes and the proxy in front of them."""

    base_url: str  # the proxy's address
    servers: list[StreamlitServer]
    nginx: subprocess.Popen

    @property
    def procs(self) -> list[subprocess.Popen]:
        """Every process started: the apps, then nginx."""
        return [s.proc for s in self.servers] + [self.nginx]

    @property
    def pids(self) -> list[int]:
        """The app processes' ids (their children are theirs: see bench/load.py's ``tree_pids``)."""
        return [s.proc.pid for s in self.servers]


@contextmanager
def apps_behind_proxy(processes: int, log_dir: Path, env: Mapping[str, str] | None = None, port: int | None = None,
                      script: str = "app.py", timeout: float = 120.0) -> Iterator[ProxiedApp]:
    """``processes`` app servers and nginx in front of them for the block; all stopped when it ends.

    Raises:
        HarnessError: If nginx is not installed, or a server or nginx does not come up.
    """
    problem = nginx_problem()
    if problem:
        raise HarnessError(problem)
    prefix = Path(tempfile.mkdtemp(prefix="geogan-nginx-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, prefix, True)
        servers = []
        for i in range(processes):
            server = StreamlitServer(resolve_script(script), env, log_dir / f"streamlit-{i + 1}.log")
            stack.callback(server.stop)
            servers.append(server)
        for server in servers:  # started together, waited for in turn
            server.wait_healthy(timeout)
        port = port or free_port()
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / "tmp" / sub).mkdir(parents=True)
        prefix.chmod(0o755)  # nginx's workers run as another user when started as root
        conf = prefix / "nginx.conf"
        conf.write_text(nginx_conf(prefix, port, [s.port for s in servers]))
        log = log_dir / "nginx.log"
        nginx = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
                                 stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)

        def stop_nginx() -> None:
            if nginx.poll() is None:
                os.killpg(nginx.pid, signal.SIGQUIT)
                try:
                    nginx.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(nginx.pid, signal.SIGKILL)
                    nginx.wait(timeout=5)

        stack.callback(stop_nginx)
        base_url = f"http://127.0.0.1:{port}"
        wait_answering(f"{base_url}/_stcore/health", nginx, "nginx", log, timeout)
        yield ProxiedApp(base_url, servers, nginx)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=2, help="app processes (default 2)")
    parser.add_argument("--port", type=int, default=8080, help="the proxy's port on 127.0.0.1 (default 8080)")
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    with tempfile.TemporaryDirectory(prefix="serve-many-") as tmp:
        try:
            with apps_behind_proxy(args.processes, Path(tmp), port=args.port) as app:
                ports = ", ".join(str(s.port) for s in app.servers)
                print(f"{args.processes} app processes on 127.0.0.1 ports {ports}, behind nginx at {app.base_url} "
                      f"(Ctrl-C stops them)", flush=True)
                while all(p.poll() is None for p in app.procs):
                    time.sleep(1.0)
                print("a process exited; stopping the others", file=sys.stderr)
                return 1
        except KeyboardInterrupt:
            return 0
        except HarnessError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(exit_status(main))
