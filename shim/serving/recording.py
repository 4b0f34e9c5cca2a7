"""Record the shim's real upstream traffic into a vcrpy cassette, with every secret scrubbed.

`shim serve --record PATH` lets someone with live credentials refresh `cassettes/`. The same
settings replay cassettes in the tests, so what is recorded is what the tests can match.
"""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import vcr
from vcr.persisters.filesystem import FilesystemPersister
from vcr.request import Request as VCRRequest
from vcr.serialize import serialize

from shim.config import ConfigError
from shim.edge.logs import SECRET_VALUE as SECRET_TEXT

MATCH_ON = ("method", "scheme", "host", "port", "path", "query", "body")
SECRET_HEADERS = ("authorization", "cookie", "proxy-authorization")
# OAuth values that can travel outside headers: a query-signed request, an oauth/access_token
# answer, an OAuth 2.0 token grant.
SECRET_VALUE = re.compile(SECRET_TEXT.encode())
SCRUBBED = b"SCRUBBED"


def scrub_request(request: VCRRequest) -> VCRRequest:
    """Drop OAuth parameters from the URL and the body; headers go by `filter_headers`. Applied
    to a request before it is matched too, so what it does is also how requests compare."""
    parts = urlsplit(request.uri)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.startswith("oauth_")
    ]
    request.uri = urlunsplit(parts._replace(query=urlencode(query)))
    if request.body is None:  # aiohttp's "no body" is httpx2's empty one: one request
        request.body = b""
    if isinstance(request.body, bytes):
        request.body = SECRET_VALUE.sub(rb"\1" + SCRUBBED, request.body)
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Drop cookies and any OAuth value from a recorded answer."""
    response["headers"] = {
        name: values
        for name, values in response["headers"].items()
        if name.lower() not in ("set-cookie", "set-cookie2")
    }
    body = response["body"].get("string")
    if isinstance(body, bytes):
        response["body"]["string"] = SECRET_VALUE.sub(rb"\1" + SCRUBBED, body)
    return response


class OwnerOnly(FilesystemPersister):  # type: ignore[misc]
    """Writes cassettes readable by their owner only: scrubbed or not, they are real traffic."""

    @staticmethod
    def save_cassette(cassette_path: Any, cassette_dict: Any, serializer: Any) -> None:
        path = Path(cassette_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = serialize(cassette_dict, serializer)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # an existing file keeps its mode through O_CREAT
        with os.fdopen(descriptor, "w") as file:
            file.write(data)


def cassettes(record_mode: str, library: str | None = None) -> vcr.VCR:
    """A vcrpy configuration that scrubs what it records and matches on everything but headers."""
    config = vcr.VCR(
        cassette_library_dir=library,
        record_mode=record_mode,
        match_on=MATCH_ON,
        filter_headers=list(SECRET_HEADERS),
        before_record_request=scrub_request,
        before_record_response=scrub_response,
        decode_compressed_response=True,
    )
    config.register_persister(OwnerOnly)
    return config


@contextmanager
def recording(path: str) -> Iterator[None]:
    """Record every upstream call made inside the block into the cassette at `path`."""
    with cassettes("all").use_cassette(path):
        yield


def check_cassette(path: str) -> None:
    """Refuse, before the shim serves, a cassette it could not write when it stops: the traffic
    of the whole run would be lost then (or land in a folder made by a typo)."""
    folder = os.path.dirname(path) or "."
    if os.path.isdir(path):
        raise ConfigError(f"--record {path} is a folder: name a file in it, e.g. {path}/run.yaml")
    if not os.path.isdir(folder):
        raise ConfigError(
            f"--record {path}: the folder {folder} does not exist: create it, or record elsewhere"
        )
    if not os.access(folder, os.W_OK):
        raise ConfigError(f"--record {path}: this user may not write in {folder}")
