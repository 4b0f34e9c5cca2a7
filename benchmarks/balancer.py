"""haproxy in front of `shim serve` instances, configured as docs/operations.md advises: round
robin, `/_shim/ready` checked, a connection that fails retried on the other instance, and
idle connections closed by haproxy before the shim's SHIM_KEEPALIVE_TIMEOUT would close them.
The soak and tests/e2e/test_balanced.py both start it."""

import http.client
import shutil
import subprocess
import time
from pathlib import Path

INSTALL = "haproxy is not installed: apt-get install haproxy (Debian and Ubuntu)"

CONFIG = """global
    maxconn 4096
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    # Below SHIM_KEEPALIVE_TIMEOUT (75 s), so haproxy, not the shim, closes an idle connection.
    timeout http-keep-alive 60s
    retries 3
    # Not `empty-response`: the request reached an instance, which may have done it.
    retry-on conn-failure
    option redispatch 1
frontend clients
    bind 127.0.0.1:{port}
    default_backend shim
backend shim
    balance roundrobin
    option httpchk GET /_shim/ready
    http-check expect status 200
    # A kept connection carries only requests after the first on it: none is lost to a close.
    http-reuse safe
    # Which instance answered, so a replay can go to the other one.
    http-response set-header X-Served-By %s
    default-server inter {inter} fall {fall} rise 1
{servers}
"""


def installed() -> str | None:
    return shutil.which("haproxy")


def config(port: int, backends: dict[str, int], inter: str, fall: int) -> str:
    """haproxy's configuration: listening on `port`, the instances named in `backends` by port,
    checked every `inter` and taken out after `fall` failed checks."""
    servers = "\n".join(f"    server {name} 127.0.0.1:{at} check" for name, at in backends.items())
    return CONFIG.format(port=port, inter=inter, fall=fall, servers=servers)


def haproxy(
    folder: Path, port: int, backends: dict[str, int], inter: str = "1s", fall: int = 2
) -> subprocess.Popen[bytes]:
    """haproxy in the foreground, configured by `config`, once all the instances are up in it."""
    program = installed()
    if program is None:
        raise RuntimeError(INSTALL)
    path = folder / "haproxy.cfg"
    path.write_text(config(port, backends, inter, fall))
    with open(folder / "haproxy.log", "wb") as log:
        process = subprocess.Popen(
            [program, "-f", str(path), "-db"], stdout=subprocess.DEVNULL, stderr=log
        )
    deadline = time.monotonic() + 20
    while not up(port, len(backends)):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"haproxy did not start: {(folder / 'haproxy.log').read_text()}")
        time.sleep(0.05)
    return process


def up(port: int, count: int) -> bool:
    """Whether haproxy on `port` answered through each of `count` instances in turn."""
    names = set()
    for _ in range(2 * count):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/_shim/ready")
            answer = connection.getresponse()
            answer.read()
            if answer.status == 200:
                names.add(answer.getheader("X-Served-By"))
        except OSError:
            return False
        finally:
            connection.close()
    return len(names) == count
