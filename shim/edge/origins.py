"""Which origins a client's signature may cover: the shim's own, never whatever `Host` says.

A request captured on its way to the real API is signed for `api.twitter.com`; were the shim to
verify against the `Host` header, it could be replayed here with `Host: api.twitter.com` and
another nonce store would never have seen it. So signatures are checked against SHIM_PUBLIC_URL's
origins (several may be listed, e.g. the shim's own name and `https://api.twitter.com` for an
operator who redirects that host to the shim), or, when it is unset, against the host and port
the shim serves on and nothing else.
"""

import ipaddress
import logging
import re
from urllib.parse import urlsplit

log = logging.getLogger("shim.origins")

DEFAULT_PORTS = {"http": 80, "https": 443}
WARNED_HOSTS = 64  # distinct refused hosts logged per process, so a flood cannot fill the log


# RFC 3986's `host [ ":" port ]` and nothing more: a reg-name (an IPv4 address is one too) or
# a bracketed IPv6 address, and digits. Anything else (a path, a query, a `#`, userinfo) could
# carry a URL of its own into the one verified.
HOST = re.compile(
    r"(?P<name>(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?"
)


def _host_port(netloc: str) -> tuple[str, int | None] | None:
    """A Host header's name and port, or None when it is not a plain `host[:port]`; no port
    means the default of whatever scheme the client used, which TLS ending in front of the
    shim hides from it."""
    found = HOST.fullmatch(netloc)
    if found is None:
        return None
    name, port = found["name"].lower(), found["port"]
    if name.startswith("["):
        try:
            ipaddress.IPv6Address(name[1:-1])
        except ValueError:
            return None
    if port is not None and int(port) > 65535:
        return None
    return name.strip("[]"), int(port) if port is not None else None


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Origins:
    def __init__(self, configured: tuple[str, ...]) -> None:
        self._configured = tuple(origin.rstrip("/") for origin in configured)
        self._by_host: dict[tuple[str, int | None], str] = {}
        for origin in self._configured:
            parts = urlsplit(origin)
            name, port = (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS[parts.scheme]
            self._by_host.setdefault((name, port), origin)
            if port == DEFAULT_PORTS[parts.scheme]:
                self._by_host.setdefault((name, None), origin)
        self._warned: set[str] = set()

    def base(self, scheme: str, host: str, server: tuple[str, int] | None) -> str | None:
        """The origin to verify a request against, or None when its Host is none of ours."""
        found = _host_port(host)
        if self._configured:
            origin = self._by_host.get(found) if found else None
            if origin is None:
                # A proxy in front may rewrite Host; checking against our own origin is safe.
                self._warn(host, f"checked against {self._configured[0]}")
            return origin or self._configured[0]
        if server is not None and found is not None:
            name, port = found[0], found[1] or DEFAULT_PORTS.get(scheme)
            served_name, served_port = server[0].lower(), server[1]
            if port == served_port and (
                name == served_name or (name == "localhost" and _loopback(served_name))
            ):
                # Made of the parsed parts, never of the header as it came.
                shown = f"[{name}]" if ":" in name else name
                return f"{scheme}://{shown}" + (f":{found[1]}" if found[1] is not None else "")
        self._warn(host, "refused")
        return None

    def _warn(self, host: str, what: str) -> None:
        if host in self._warned or len(self._warned) >= WARNED_HOSTS:
            return
        self._warned.add(host)
        log.warning(
            "a request for host %r, which is not one of the shim's origins, was %s: "
            "list every origin clients sign for in SHIM_PUBLIC_URL (comma-separated), e.g. "
            "https://%s",
            host,
            what,
            host,
        )
