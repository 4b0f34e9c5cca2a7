"""What the benchmark scripts share: the fake credentials, free ports, starting and measuring
the processes (the fake v2, `shim serve`, redis-server) they drive."""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from benchmarks.fake_v2 import USER

ROOT = Path(__file__).resolve().parent.parent
KEY, SECRET = "benchconsumerkey000000000", "bench-consumer-secret-fake"
TOKEN, TOKEN_SECRET = "1500000000000000001-" + "bench" * 8, "bench-token-secret-fake"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"a process did not start: {process.args}") from None
            time.sleep(0.05)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of the process and its children (uvicorn's workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return cpu_seconds(pid) + sum(tree_cpu_seconds(int(child)) for child in children)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def fake_v2(port: int, latency: float) -> subprocess.Popen[bytes]:
    """benchmarks/fake_v2.py on `port`, answering after `latency` seconds."""
    script = str(ROOT / "benchmarks" / "fake_v2.py")
    process = subprocess.Popen(
        [sys.executable, script, "--port", str(port), "--latency", str(latency)]
    )
    wait_for(port, process)
    return process


def shim_env(folder: str, upstream_port: int, **extra: str) -> dict[str, str]:
    """The environment `shim serve` and `shim tokens` run with: the fake app, a SQLite file in
    `folder`, the fake v2 as upstream, and `extra` SHIM_* settings."""
    return {
        **os.environ,
        "SHIM_CONSUMER_KEY": KEY,
        "SHIM_CONSUMER_SECRET": SECRET,
        "SHIM_DB": f"{folder}/shim.db",
        "SHIM_UPSTREAM_URL": f"http://127.0.0.1:{upstream_port}",
        **extra,
    }


def shim(
    port: int, env: Mapping[str, str], *options: str, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """`shim serve` on `port`, its output appended to `log` (discarded without one)."""
    with open(log or os.devnull, "ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "shim", "serve", "--port", str(port), *options],
            env=dict(env),
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    wait_for(port, process)
    return process


def redis_server(folder: str, port: int) -> subprocess.Popen[bytes]:
    """redis-server as the README asks for production: noeviction, append-only file."""
    server = shutil.which("redis-server")
    if server is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    durable = ("--save", "", "--appendonly", "yes")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", folder, *durable],
        stdout=subprocess.DEVNULL,
    )
    wait_for(port, process)
    return process


NGINX = """daemon off; worker_processes {workers}; pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi; uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    {http}
}}
"""

PROXY = """upstream v2 {{ server 127.0.0.1:{upstream_port}; keepalive 100; }}
    server {{
        listen 127.0.0.1:{port};
        location = /1.1/mutes/users/create.json {{
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Content-Type application/json;
            proxy_set_body '{{"target_user_id":"$arg_user_id"}}';
            proxy_pass http://v2/2/users/1500000000000000001/muting;
        }}
    }}"""

FAKE_V2 = """server {{
        listen 127.0.0.1:{port};
        default_type "application/json; charset=utf-8";
        add_header x-rate-limit-limit 50;
        add_header x-rate-limit-remaining 49;
        add_header x-rate-limit-reset 1700000000;
        location ~ /muting$ {{ return 200 '{{"data":{{"muting":true}}}}'; }}
        location / {{ return 200 '{user}'; }}
    }}"""


def nginx(folder: str, port: int, http: str, workers: int) -> subprocess.Popen[bytes]:
    """nginx on `port` with `http` (PROXY or FAKE_V2, formatted) in its http block."""
    server = shutil.which("nginx")
    if server is None:
        raise SystemExit("nginx is not installed (apt-get install nginx)")
    config = Path(folder, "nginx.conf")
    config.write_text(NGINX.format(folder=folder, workers=workers, http=http))
    process = subprocess.Popen([server, "-c", str(config), "-p", folder])
    wait_for(port, process)
    return process


def nginx_proxy(
    folder: str, port: int, upstream_port: int, workers: int
) -> subprocess.Popen[bytes]:
    """nginx passing `POST /1.1/mutes/users/create.json?user_id=…` to the fake v2 as the mute
    call, as benchmarks/bare.py does: what a proxy in C costs for the same work."""
    http = PROXY.format(port=port, upstream_port=upstream_port)
    return nginx(folder, port, http, workers)


def nginx_v2(folder: str, port: int) -> subprocess.Popen[bytes]:
    """The fake v2's answers from nginx, at once: an upstream that costs almost no CPU, so what
    runs out under load is the shim's."""
    user = USER.decode().replace("'", "\\'")  # in nginx's quotes
    return nginx(folder, port, FAKE_V2.format(port=port, user=user), 1)


def stop(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        process.terminate()
        process.wait(timeout=30)
