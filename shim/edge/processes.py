"""How `shim serve` runs uvicorn: in one process or in `--workers` processes sharing one
socket, as `uvicorn.run` does, but with the TLS handshake left to `shim.edge.server`'s protocol."""

import ssl
import sys

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess


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
