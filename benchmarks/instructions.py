"""The headline figure: instructions a request, counted by callgrind in each server process.
Deterministic where wall-clock figures are not: repeated runs agree within a fraction of a
percent, on a busy machine too, so it is the figure a change to the shim is judged by.

Each server runs under `valgrind --tool=callgrind` against the fake v2 (benchmarks/fake_v2.py,
answering at once, in its own process on a real socket). A small client, not measured, sends
`--warmup` requests of each kind, the counters are zeroed (`callgrind_control -z`), exactly
`--requests` pre-signed raw requests (each with its own nonce) go over one kept-alive
connection, one after the other, and the counters are dumped: their total over the count is
the figure. For `shim serve`: the translated mute by `user_id`, by a cached `screen_name`, a
translated read and a passed-through call; beside it, the same mute through the floor (the
whole job on aiohttp.web, benchmarks/floor.py), a bare aiohttp proxy, the bare Starlette +
httpx2 proxy (benchmarks/bare.py) and nginx, where installed. A script that prints figures.

    .venv/bin/python benchmarks/instructions.py [--requests 400] [--warmup 150] [--only shim]
"""

import argparse
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from oauthlib.oauth1 import Client

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.processes import (  # noqa: E402
    KEY,
    NGINX,
    PROXY,
    SECRET,
    TOKEN,
    TOKEN_SECRET,
    fake_v2,
    free_port,
    shim_env,
    stop,
)

KINDS = {
    "mute, user_id": ("POST", "/1.1/mutes/users/create.json?user_id=783214"),
    "mute, cached screen_name": ("POST", "/1.1/mutes/users/create.json?screen_name=Twitter"),
    "read (users/show)": ("GET", "/1.1/users/show.json?user_id=783214"),
    "pass-through": ("GET", "/1.1/account/settings.json"),
}
MUTE = "mute, user_id"
STARTING = 300  # seconds a server may take to start under callgrind


def signed(port: int, method: str, target: str, count: int) -> list[bytes]:
    """`count` raw requests, each signed with its own nonce, made before any is counted."""
    signer = Client(
        KEY, client_secret=SECRET, resource_owner_key=TOKEN, resource_owner_secret=TOKEN_SECRET
    )
    host = f"127.0.0.1:{port}"
    made = []
    for _ in range(count):
        _, headers, _ = signer.sign(f"http://{host}{target}", method)
        made.append(
            f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: {headers['Authorization']}\r\n"
            f"User-Agent: bench\r\nContent-Length: 0\r\n\r\n".encode()
        )
    return made


def exchange(connection: socket.socket, request: bytes) -> int:
    """Send one request and read its whole answer; its status."""
    connection.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        data += receive(connection)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").lower().split("\r\n")
    fields = dict(line.split(": ", 1) for line in lines[1:])
    if "content-length" in fields:
        while len(body) < int(fields["content-length"]):
            body += receive(connection)
    else:  # chunked: this client's answers are small, and end with the last chunk
        while not body.endswith(b"0\r\n\r\n"):
            body += receive(connection)
    return int(lines[0].split()[1])


def receive(connection: socket.socket) -> bytes:
    chunk = connection.recv(65536)
    if not chunk:
        raise SystemExit("the server closed the connection")
    return chunk


def send_all(port: int, requests: list[bytes]) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=STARTING) as connection:
        for request in requests:
            status = exchange(connection, request)
            if status != 200:
                raise SystemExit(f"an answer was {status}, not 200")


def counted(pid: int, folder: str) -> int:
    """Dump the counters of the callgrind process `pid`; the instructions since they were zeroed."""
    before = set(glob.glob(f"{folder}/callgrind.out.*"))
    subprocess.run(["callgrind_control", "-d", str(pid)], check=True, capture_output=True)
    (dump,) = set(glob.glob(f"{folder}/callgrind.out.*")) - before
    for line in Path(dump).read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise SystemExit(f"no total in {dump}")


def under_callgrind(
    command: list[str], folder: str, port: int, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={folder}/callgrind.out.%p",
            "--dump-line=no",
            "--compress-strings=no",
            *command,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + STARTING
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"did not start: {command}") from None
            time.sleep(0.5)


def measure(
    name: str,
    process: subprocess.Popen[bytes],
    port: int,
    kinds: list[str],
    args: argparse.Namespace,
    folder: str,
) -> None:
    try:
        for kind in kinds:
            method, target = KINDS[kind]
            send_all(port, signed(port, method, target, args.warmup))
            requests = signed(port, method, target, args.requests)
            time.sleep(0.5)  # the warm-up's last work done
            subprocess.run(
                ["callgrind_control", "-z", str(process.pid)], check=True, capture_output=True
            )
            send_all(port, requests)
            time.sleep(0.5)  # work after the last answer (its log line) done too
            total = counted(process.pid, folder)
            print(f"{name:<34} {kind:<26} {total / args.requests / 1e6:6.3f} M", flush=True)
    finally:
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="requests counted of each kind")
    parser.add_argument("--warmup", type=int, default=150, help="requests of each kind before")
    parser.add_argument(
        "--only", choices=("shim", "floor", "aiohttp", "bare", "nginx"), action="append"
    )
    args = parser.parse_args()
    only = set(args.only or ("shim", "floor", "aiohttp", "bare", "nginx"))
    folder = tempfile.mkdtemp()
    upstream_port = free_port()
    upstream = fake_v2(upstream_port, 0)
    v2 = f"http://127.0.0.1:{upstream_port}"
    python = sys.executable
    print(f"{'server':<34} {'request':<26} instructions a request", flush=True)
    try:
        if "shim" in only:
            port = free_port()
            env = shim_env(
                folder,
                upstream_port,
                SHIM_ACCESS_TOKEN=TOKEN,
                SHIM_ACCESS_TOKEN_SECRET=TOKEN_SECRET,
            )
            command = [python, "-m", "shim", "serve", "--port", str(port)]
            process = under_callgrind(command, folder, port, env)
            measure("the shim", process, port, list(KINDS), args, folder)
        scripts = {
            "floor": ("floor: the whole job on aiohttp.web", "floor.py"),
            "aiohttp": ("bare aiohttp proxy", "aiohttp_proxy.py"),
            "bare": ("bare Starlette + httpx2 proxy", "bare.py"),
        }
        for key, (name, script) in scripts.items():
            if key in only:
                port = free_port()
                command = [python, f"benchmarks/{script}", "--port", str(port), "--upstream", v2]
                process = under_callgrind(command, folder, port, dict(os.environ))
                measure(name, process, port, [MUTE], args, folder)
        if "nginx" in only and shutil.which("nginx"):
            port = free_port()
            http = PROXY.format(port=port, upstream_port=upstream_port)
            Path(folder, "nginx.conf").write_text(NGINX.format(folder=folder, workers=1, http=http))
            command = [
                shutil.which("nginx") or "",
                "-c",
                f"{folder}/nginx.conf",
                "-p",
                folder,
                "-g",
                "master_process off;",
            ]
            process = under_callgrind(command, folder, port, dict(os.environ))
            measure("nginx", process, port, [MUTE], args, folder)
    finally:
        stop(upstream)


if __name__ == "__main__":
    main()
