"""v1.1 answers as HTTP responses."""

import json
from collections.abc import Mapping

from starlette.responses import Response

V11_JSON = "application/json;charset=utf-8"  # v1.1's own spelling, without a space


def render(status: int, body: object, headers: Mapping[str, str] | None = None) -> Response:
    """A v1.1 JSON answer."""
    content = json.dumps(body, separators=(",", ":"))
    return Response(content, status, dict(headers or {}), media_type=V11_JSON)


def decoded(content: bytes) -> object:
    """An answer's JSON, or None when it is not JSON."""
    try:
        return json.loads(content)
    except ValueError:
        return None
