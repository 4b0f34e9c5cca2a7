"""`shim serve` in its own process, as an operator runs it: started over TLS, stopped with
SIGTERM as a process manager stops it."""

import gc
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from tests.fakes import ALICE, CONSUMER_KEY, CONSUMER_SECRET
from tests.servers import free_port
from tests.stored import Stored


def start(
    folder: Path,
    tls: tuple[str, str, str] | None,
    upstream: str,
    *options: str,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    host: str = "127.0.0.1",
) -> tuple[subprocess.Popen[bytes], str]:
    """Run `shim serve` over TLS (plain HTTP when `tls` is None), its SQLite file in `folder`
    (so a restart finds it again), with extra SHIM_* variables in `env`, on `host` and `port` (a
    free one by default); wait until it accepts connections."""
    db = str(folder / "shim.db")
    store = Stored(db)
    store.add(ALICE.token, ALICE.secret)
    store.close()
    port = port or free_port()
    variables = {
        **os.environ,
        "SHIM_CONSUMER_KEY": CONSUMER_KEY,
        "SHIM_CONSUMER_SECRET": CONSUMER_SECRET,
        "SHIM_DB": db,
        "SHIM_UPSTREAM_URL": upstream,
        "SHIM_UPSTREAM_TIMEOUT": "3",
        "SHIM_DRAIN_SECONDS": "0",  # stopped at once; the drain's own tests set it
        **(env or {}),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shim",
            "serve",
            "--host",
            host,
            "--port",
            str(port),
            *(["--ssl-certfile", tls[1], "--ssl-keyfile", tls[2]] if tls else []),
            *options,
        ],
        env=variables,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    listening(process, host, port, 20, lambda: process.communicate()[0].decode())
    return process, f"{host}:{port}"


def listening(
    process: subprocess.Popen[bytes],
    host: str,
    port: int,
    seconds: float,
    printed: Callable[[], str],
) -> None:
    """Wait until a started server accepts connections on `host`:`port`; if it ends, or has
    not listened within `seconds`, kill it and fail with what it `printed`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection((host, port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = printed()
                process.wait()
                raise RuntimeError(output) from None
            time.sleep(0.05)


def stop(process: subprocess.Popen[bytes]) -> str:
    """Stop it as a process manager does, with SIGTERM; return what it printed."""
    # tweepy's objects sit in reference cycles that keep their sockets open until collected, and
    # the server's TLS shutdown waits for open client sockets.
    gc.collect()
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    return output.decode()
