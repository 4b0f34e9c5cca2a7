"""How `shim serve` runs uvicorn: in one process or in `--workers` processes sharing one
socket, as `uvicorn.run` does, but with the TLS handshake left to `shim.edge.server`'s protocol."""

import errno
import socket
import ssl
import sys

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from shim.config import ConfigError


class Config(uvicorn.Config):
    """uvicorn's configuration, except that the listening socket does no TLS. asyncio and
    uvloop give the protocol a TLS connection only once its handshake is through, up to 60 s
    later, so connections that never finished one escaped the head deadline and the cap. The
    protocol (`shim.edge.server.protocol`) is given each connection when it is accepted, and does
    the handshake itself with `tls`."""

    tls: ssl.SSLContext | None = None

    def load(self) -> None:
        super().load()
        self.tls, self.ssl = self.ssl, None


def run(config: Config) -> None:
    """Serve until stopped. The socket is bound first whatever the number of workers, so the
    line that says where the shim listens is `bind_socket`'s, which says https when it is: a
    server's own line reads `ssl`, which `Config` has emptied."""
    listener = config.bind_socket()
    try:
        if config.workers > 1:
            Multiprocess(config, sockets=[listener]).run()
            return
        server = uvicorn.Server(config)
        server.run(sockets=[listener])
    except KeyboardInterrupt:  # Ctrl-C, once the server has shut down
        return
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def require_address(host: str, port: int) -> None:
    """Refuse, in one line naming --host or --port, an address the shim cannot listen on, as
    `uvicorn.Config.bind_socket` would bind it: uvicorn says only `[Errno 98] Address already in
    use`, without the port, and exits 3."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except socket.gaierror:
            raise ConfigError(
                f"--host {host}: no such host or address here: give one of this machine's "
                "addresses, e.g. 127.0.0.1, or 0.0.0.0 for all of them"
            ) from None
        except OSError as error:
            raise ConfigError(_unbindable(host, port, error)) from None


def _unbindable(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return (
            f"--port {port}: something already listens on {host}:{port} (another shim?): stop "
            "it, or choose another --port"
        )
    if error.errno == errno.EADDRNOTAVAIL:
        return (
            f"--host {host} is not an address of this machine: give one of its addresses, "
            "e.g. 127.0.0.1, or 0.0.0.0 for all of them"
        )
    if error.errno == errno.EACCES:
        return f"--port {port}: this user may not listen on it: choose a port above 1023, e.g. 8443"
    return f"cannot listen on {host}:{port} ({error.strerror}): check --host and --port"
