"""Real servers for tests, each on a loopback port and stopped after: uvicorn in a thread, and
redis-server in its own process."""

import asyncio
import gc
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import uvicorn


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(
    app: Any, config_class: type[uvicorn.Config] = uvicorn.Config, **options: Any
) -> Iterator[int]:
    """Serve the ASGI app (options go to `config_class`, uvicorn.Config or `shim serve`'s
    shim.edge.processes.Config, e.g. TLS files); yields the port."""
    with serving_by(app, config_class, **options) as server:
        yield port_of(server)


def port_of(server: uvicorn.Server) -> int:
    return int(server.servers[0].sockets[0].getsockname()[1])


@contextmanager
def serving_by(
    app: Any, config_class: type[uvicorn.Config] = uvicorn.Config, **options: Any
) -> Iterator[uvicorn.Server]:
    """`serving`, yielding the uvicorn server itself (for `hang_up_all`)."""
    config = config_class(app, host="127.0.0.1", port=0, log_level="warning", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    try:
        yield server
    finally:
        # Clients' responses can sit in reference cycles (tweepy's models keep their API, which
        # keeps its last response) holding sockets open; a TLS shutdown would wait for them. One
        # still held (seen with the tests run in reverse order) is this process's own: closed.
        gc.collect()
        close_clients_of(port_of(server))
        server.should_exit = True
        thread.join(timeout=15)
        if thread.is_alive():
            raise RuntimeError("the server did not stop")


def hang_up_all(server: uvicorn.Server) -> None:
    """Close every connection the server holds, in its own loop: what a client sent that the
    server has not read yet is dropped with it, and what it has read has begun to be answered
    (`FakeV2App` takes its model before anything else), before this returns."""

    async def close() -> None:
        for connection in list(server.server_state.connections):
            connection.transport.close()
        for _ in range(3):  # the answers already begun take their first step
            await asyncio.sleep(0)

    loop = server.servers[0].get_loop()
    asyncio.run_coroutine_threadsafe(close(), loop).result(timeout=10)


def close_clients_of(port: int) -> None:
    """Close this process's client sockets still connected to a server of its own on `port`."""
    for found in gc.get_objects():
        if isinstance(found, socket.socket) and found.fileno() != -1:
            try:
                peer = found.getpeername()
            except OSError:  # not connected, or not an internet socket
                continue
            if isinstance(peer, tuple) and peer[:2] == ("127.0.0.1", port):
                found.close()


async def read_body(receive: Any) -> bytes:
    """An ASGI request's whole body."""
    body = b""
    while True:
        message = await receive()
        body += bytes(message.get("body", b""))
        if not message.get("more_body"):
            return body


# What docs/operations.md asks of a production Redis, and the shim checks at start. The data is
# throwaway: the OS may flush it when it likes.
DURABLE = ("--save", "", "--appendonly", "yes", "--appendfsync", "no")


@dataclass(frozen=True)
class RedisServer:
    url: str
    port: int
    process: subprocess.Popen[bytes]  # to pause (SIGSTOP) and resume (SIGCONT)


def installed(program: str) -> str:
    """The path of a Redis program; missing fails the test in CI, skips it elsewhere."""
    found = shutil.which(program)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{program} is missing: .ci/run installs it")
        pytest.skip(f"{program} is not installed (apt-get install redis-server redis-tools)")
    return found


@contextmanager
def redis_server(
    folder: Path,
    *settings: str,
    port: int | None = None,
    tls: tuple[str, str, str] | None = None,
    user: str = "",
    first: tuple[str, ...] = (),
) -> Iterator[RedisServer]:
    """A real redis-server with these settings, its data in `folder`, on `port` (a free one by
    default, so a restart can come back where it was); stopped after. With `tls` (CA,
    certificate, key files) it listens over TLS only; `user` ("name:password") is how its URL
    signs in; `first` comes before every option (a configuration file, for a sentinel)."""
    server = installed("redis-server")
    port = port or free_port()
    listen = ["--port", str(port)]
    if tls:
        ca, cert, key = tls
        listen = ["--port", "0", "--tls-port", str(port), "--tls-cert-file", cert]
        listen += ["--tls-key-file", key, "--tls-ca-cert-file", ca, "--tls-auth-clients", "no"]
    process = subprocess.Popen(
        [server, *first, *listen, "--bind", "127.0.0.1", "--dir", str(folder), *settings],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    signed = f"{user}@" if user else ""
    scheme, query = ("rediss", f"?ssl_ca_certs={tls[0]}") if tls else ("redis", "")
    url = f"{scheme}://{signed}127.0.0.1:{port}/0{query}"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except (redis.ConnectionError, redis.ResponseError):  # a sentinel knows no database
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                process.wait()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)
    try:
        yield RedisServer(url, port, process)
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not ended within `grace` seconds: a durable Redis saving
    its data on a loaded machine once outlived a plain wait, which failed the test's teardown and
    left the server running after the suite."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
