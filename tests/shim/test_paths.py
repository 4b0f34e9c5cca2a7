"""Paths are judged as the upstream will read them: a path that changes under normalisation
(dot segments, empty segments, their percent-encoded forms) is refused before any routing
decision, so `..` cannot leave /1.1/, /2/ or /oauth/, and a translated endpoint cannot be
reached under another spelling that would skip translation."""

import posixpath
from urllib.parse import unquote

import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from shim.app import create_app
from shim.config import Settings
from tests.asgi import raw_request
from tests.conftest import MakeClient
from tests.fakes import CAROL, CONSUMER_KEY, CONSUMER_SECRET, FakeV2, twitter_user

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
    status, body = raw_request(client.app, method, path, BEARER)

    assert (status, body["errors"][0]["code"]) == (404, 34)
    assert fake_v2.calls == []


def test_a_plain_path_still_passes_through(make_client: MakeClient, fake_v2: FakeV2):
    client: TestClient = make_client()
    status, body = raw_request(client.app, "GET", b"/1.1/statuses/show.json?id=1", BEARER)

    assert status == 200
    assert body["path"] == "/1.1/statuses/show.json"
    assert fake_v2.paths()[-1] == ("GET", "/1.1/statuses/show.json")


SEGMENTS = st.sampled_from(
    ["1.1", "2", "oauth", "..", ".", "", "%2e%2e", "%2E", "x", "%2f", "_shim"]
)


@settings(max_examples=200, deadline=None)
@given(segments=st.lists(SEGMENTS, min_size=1, max_size=6))
def test_generated_paths_never_leave_the_fence(segments: list[str]):
    fake = FakeV2(twitter_user())
    app = create_app(TEST_SETTINGS, httpx2.MockTransport(fake))
    path = "/" + "/".join(segments)
    status, _ = raw_request(app, "GET", path.encode(), BEARER)

    assert status < 500
    resolved = posixpath.normpath(unquote(path))
    for method, reached in fake.paths():
        assert (method, reached) == ("GET", "/2/users/me") or reached.startswith(
            ("/1.1/", "/2/", "/oauth/")
        ), reached
        assert reached == "/2/users/me" or posixpath.normpath(reached) == resolved
