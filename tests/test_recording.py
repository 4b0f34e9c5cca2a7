"""`shim serve --record`: real upstream traffic into a cassette that holds no secret and replays."""

import re
from pathlib import Path

import pytest
from vcr.request import Request

from shim.serving.recording import cassettes, recording, scrub_request, scrub_response
from tests.conftest import MakeClient
from tests.deadlines import cpu_deadline
from tests.fakes import ALICE, CAROL, CONSUMER_SECRET, FakeV2, serving_fake, sign, twitter_user

BASE = "http://testserver"
MUTE = f"{BASE}/1.1/mutes/users/create.json?screen_name=Twitter"
PASS = f"{BASE}/1.1/lists/statuses.json"
SECRETS = (ALICE.token, ALICE.secret, CAROL.token, CONSUMER_SECRET)


def traffic(make_client: MakeClient, upstream: str) -> list[tuple[int, object]]:
    """A mute signed OAuth 1.0a, one with an OAuth 2.0 token, and a pass-through call."""
    client = make_client(upstream_url=upstream)
    answers = [
        client.post(MUTE, headers=sign("POST", MUTE)),
        client.post(MUTE, headers={"Authorization": f"Bearer {CAROL.token}"}),
        client.get(PASS, headers=sign("GET", PASS)),
    ]
    return [(answer.status_code, answer.json()) for answer in answers]


def test_a_recorded_cassette_holds_no_secret_and_replays(make_client: MakeClient, tmp_path: Path):
    cassette = tmp_path / "recorded.yaml"
    with serving_fake(FakeV2(twitter_user())) as upstream, recording(str(cassette)):
        recorded = traffic(make_client, upstream)

    text = cassette.read_text()
    assert [status for status, _ in recorded] == [200, 200, 200]
    assert "/2/users/by/username/Twitter" in text
    assert "/1.1/lists/statuses.json" in text
    assert not re.search(r"(?i)authorization|oauth_signature|set-cookie|cookie:", text)
    for secret in SECRETS:
        assert secret not in text

    # The fake v2 is gone: only the cassette can answer now.
    with cassettes("none").use_cassette(str(cassette)) as played:
        replayed = traffic(make_client, upstream)
    assert replayed == recorded
    assert played.all_played


def test_oauth_values_outside_headers_are_scrubbed():
    request = Request(
        "POST",
        "https://api.x.com/oauth/access_token?oauth_verifier=v123&x=1",
        b"oauth_token=req-token&other=keep",
        {},
    )
    response = {
        "headers": {"Set-Cookie": ["a=b"], "content-type": ["text/plain"]},
        "body": {"string": b"oauth_token=1-abc&oauth_token_secret=s3cr3t&user_id=1"},
    }
    grant = {
        "headers": {},
        "body": {"string": b'{"token_type":"bearer","access_token":"AAAAsecret"}'},
    }

    assert scrub_request(request).uri == "https://api.x.com/oauth/access_token?x=1"
    assert request.body == b"oauth_token=SCRUBBED&other=keep"
    scrubbed = scrub_response(response)
    assert scrubbed["headers"] == {"content-type": ["text/plain"]}
    assert (
        scrubbed["body"]["string"] == b"oauth_token=SCRUBBED&oauth_token_secret=SCRUBBED&user_id=1"
    )
    assert b"AAAAsecret" not in scrub_response(grant)["body"]["string"]


@pytest.mark.parametrize("shape", [b"oauth_", b"oauth_x", b"xoauth_", b"oauth_x \t", b"'"])
def test_hostile_answers_are_scrubbed_in_linear_time(shape: bytes):
    """An upstream answer of 256 KiB in any shape is scrubbed within a second of CPU (the
    quadratic pattern took minutes over `oauth_oauth_…`)."""
    body = shape * (256 * 1024 // len(shape)) + b"&oauth_token=secret"
    with cpu_deadline(1.0):
        scrubbed = scrub_response({"headers": {}, "body": {"string": body}})
    assert scrubbed["body"]["string"].endswith(b"oauth_token=SCRUBBED")
