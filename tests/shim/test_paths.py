"""Paths are judged as the upstream will read them: a path that changes under normalisation
(dot segments, empty segments, their percent-encoded forms) is refused before any routing
decision, so `..` cannot leave /1.1/, /2/ or /oauth/, and a translated endpoint cannot be
reached under another spelling that would skip translation."""

import posixpath
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.testclient import TestClient

from mappings import ENDPOINTS
from shim.config import Settings
from shim.serving.app import create_app
from tests.asgi import raw_request
from tests.conftest import MakeClient
from tests.fakes import (
    CAROL,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    FakeV2,
    FakeV2App,
    concrete,
    sign,
    twitter_user,
)
from tests.servers import hang_up_all

# An in-memory store: hypothesis runs each example on its own app.
TEST_SETTINGS = Settings(
    consumer_key=CONSUMER_KEY, consumer_secret=CONSUMER_SECRET, db_path=":memory:"
)
BEARER = [(b"authorization", f"Bearer {CAROL.token}".encode())]
ESCAPES = [
    b"/1.1/../_control/x",
    b"/2/../../anything",
    b"/2/users/%2e%2e/%2E%2E/_control",
    b"/oauth/..%2f..%2f_control",
    b"/1.1/./mutes/users/create.json?user_id=783214",
    b"/1.1//mutes/users/create.json?user_id=783214",
    b"/1.1/mutes/users/./create.json?user_id=783214",
]


@pytest.mark.parametrize("path", ESCAPES)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_path_that_normalises_to_another_is_refused(
    make_client: MakeClient, fake_v2: FakeV2, path: bytes, method: str
):
    client: TestClient = make_client()
    status, body = raw_request(client, method, path, BEARER)

    assert (status, body["errors"][0]["code"]) == (404, 34)
    assert fake_v2.calls == []


def test_a_plain_path_still_passes_through(make_client: MakeClient, fake_v2: FakeV2):
    client: TestClient = make_client()
    status, body = raw_request(client, "GET", b"/1.1/account/settings.json?x=1", BEARER)

    assert status == 200
    assert body["path"] == "/1.1/account/settings.json"
    assert fake_v2.paths()[-1] == ("GET", "/1.1/account/settings.json")


@contextmanager
def started(v2_server: tuple[FakeV2App, Any], fake: FakeV2) -> Iterator[TestClient]:
    """An app of its own for one generated example, `fake` answering on the session's socket
    (hypothesis runs a test's examples under one set of function-scoped fixtures)."""
    served, server = v2_server
    hang_up_all(server)  # as `v2_socket` does between tests
    served.model = fake
    with TestClient(create_app(replace(TEST_SETTINGS, upstream_url=served.url))) as client:
        yield client


SEGMENTS = st.sampled_from(
    ["1.1", "2", "oauth", "..", ".", "", "%2e%2e", "%2E", "x", "%2f", "_shim"]
)


@settings(max_examples=200, deadline=None)
@given(segments=st.lists(SEGMENTS, min_size=1, max_size=6))
def test_generated_paths_never_leave_the_fence(v2_server, segments: list[str]):
    fake = FakeV2(twitter_user())
    path = "/" + "/".join(segments)
    with started(v2_server, fake) as client:
        status, _ = raw_request(client, "GET", path.encode(), BEARER)

    assert status < 500
    resolved = posixpath.normpath(unquote(path))
    for method, reached in fake.paths():
        assert (method, reached) == ("GET", "/2/users/me") or reached.startswith(
            ("/1.1/", "/2/", "/oauth/")
        ), reached
        assert reached == "/2/users/me" or posixpath.normpath(reached) == resolved


# Finding 9: a translated endpoint under another spelling, signed for that spelling, would pass
# through to v1.1 if the shim let it; the upstream may read it as the endpoint itself.
SPELLINGS = [
    b"/1.1/mutes/users/create.json/",
    b"/1.1/mutes/users/create.json;x",
    b"/1.1/mutes/users;x/create.json",
    b"/1.1/mutes/users/create.json%2f",
    b"/1.1/mutes%2Fusers/create.json",
    b"/1.1/MUTES/users/create.json",
    b"/1.1/mutes/users/Create.JSON",
    b"/1.1/mutes/users/%63reate.json",
    b"/1.1/mutes/users/create%2ejson",
    b"/1.1/mutes/users/create.json%3bx",
    b"/1.1/mutes/users/create%252ejson",
    b"/1.1/mutes/users/create",
    b"/1.1/mutes/users/create.xml",
    b"/1.1/mutes/users/create.json%20",
    b"/1.1/mutes/users/create.json\\",
    b"/1.1/users/LOOKUP.json",
    b"/1.1/mutes./users/create.json",
    b"/1.1/mute%C5%BF/users/create.json",  # U+017F, which upper-cases to 'S'
    b"/1.1/%EF%BD%8Dutes/users/create.json",  # a full-width 'm'
]


@pytest.mark.parametrize("path", SPELLINGS)
def test_a_translated_endpoint_under_another_spelling_never_passes_through(
    make_client: MakeClient, fake_v2: FakeV2, path: bytes
):
    query = b"?user_id=783214"
    signed = sign("POST", "http://testserver" + (path + query).decode("latin-1"))
    headers = [(b"authorization", signed["Authorization"].encode())]
    status, body = raw_request(make_client(), "POST", path + query, headers)

    assert (status, body["errors"][0]["code"]) == (404, 34)
    assert fake_v2.calls == []


def spelled(path: str, data: st.DataObject) -> str:
    """`path` in any case, any character percent-encoded, maybe a trailing `/` or `;x`."""
    out = ""
    for char in path:
        char = data.draw(st.sampled_from([char, char.upper()]))
        if data.draw(st.booleans()):
            char = "%" + data.draw(st.sampled_from(["{:02x}", "{:02X}"])).format(ord(char))
        out += char
    return out + data.draw(st.sampled_from(["", "/", ";x", ";", "%2f"]))


@settings(max_examples=100, deadline=None)
@given(endpoint=st.sampled_from(ENDPOINTS), data=st.data())
def test_generated_spellings_of_translated_endpoints_are_served_or_refused(
    v2_server, endpoint, data
):
    fake = FakeV2(twitter_user())
    exact = concrete(endpoint.path)
    path = spelled(exact, data)
    with started(v2_server, fake) as client:
        status, body = raw_request(client, endpoint.methods[0], path.encode(), BEARER)

    if path != exact:
        assert (status, body["errors"][0]["code"]) == (404, 34), path
    assert [reached for _, reached in fake.paths() if reached.startswith("/1.1/")] == []


def starlette_1_0_0_url(self: Request) -> URL:
    """request.url as Starlette 1.0.0 built it (CVE-2026-48710): pasted after the raw Host."""
    query = self.scope["query_string"].decode()
    host = dict(self.scope["headers"])[b"host"].decode()
    return URL(f"{self.scope['scheme']}://{host}{self.scope['path']}" + (f"?{query}" * bool(query)))


@pytest.mark.parametrize("bad_host", [False, True])
def test_a_host_cannot_move_a_request_to_another_upstream_path(
    make_client: MakeClient, fake_v2: FakeV2, monkeypatch: pytest.MonkeyPatch, bad_host: bool
):
    """Signed for /2/x; sent to /1.1/statuses/update.json with `Host: testserver/2/x#`. Even on
    a Starlette that reads request.url's path from Host, the decision and the forwarding are
    made on one path, the one the request line gave."""
    if bad_host:
        monkeypatch.setattr(Request, "url", property(starlette_1_0_0_url))
    signed = sign("POST", "http://testserver/2/x")
    client = make_client()
    answer = client.post("/1.1/statuses/update.json", headers={**signed, "Host": "testserver/2/x#"})

    assert (answer.status_code, answer.json()["errors"][0]["code"]) == (401, 32)
    assert fake_v2.calls == []
    plain = client.post("/2/x", headers=sign("POST", "http://testserver/2/x"))
    assert plain.status_code != 401, plain.text
    assert fake_v2.paths() == [("POST", "/2/x")]
