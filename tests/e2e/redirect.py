"""Host redirection as docs/clients.md gives it, for a client that hard-codes the API's host: the
name to the shim in the client's /etc/hosts, the shim on port 443. The child gets a hosts file of
its own in its own mount namespace (`unshare`), so the machine's /etc/hosts never changes, and the
shim listens on a loopback address of its own, so two test runs on one machine never both want
127.0.0.1:443."""

import os
import random
import shutil
from pathlib import Path

import pytest


def can_redirect() -> str | None:
    """Why this machine cannot give a child its own /etc/hosts and the shim port 443, if so."""
    if os.geteuid() != 0:
        return "needs root: a mount namespace for the child's /etc/hosts, and port 443"
    if shutil.which("unshare") is None:
        return "needs unshare (util-linux)"
    return None


def require_redirection() -> None:
    """Skip the test where it cannot redirect; in CI, which runs as root, fail it instead."""
    reason = can_redirect()
    if reason:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(reason)


def loopback_address() -> str:
    """An address of 127.0.0.0/8 other than 127.0.0.1 (Linux answers on all of them)."""
    return f"127.{random.randrange(1, 255)}.{random.randrange(256)}.{random.randrange(1, 255)}"


def redirected(hosts: Path, address: str, *names: str) -> list[str]:
    """A command prefix that runs a program with a hosts file (written to `hosts`) giving
    `names` the `address`, in its own mount namespace: its /etc/hosts, nobody else's."""
    hosts.write_text(f"127.0.0.1 localhost\n{address} {' '.join(names)}\n")
    mount = 'mount --bind "$0" /etc/hosts && exec "$@"'
    return ["unshare", "--mount", "--", "sh", "-c", mount, str(hosts)]
