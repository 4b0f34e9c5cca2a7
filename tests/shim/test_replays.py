"""Replays the nonce store cannot see: a request signed for another host, a body swapped under
a signature that covers it, a restart, and a wall clock stepped back."""

import json
import logging
import time
from dataclasses import replace

import pytest
from oauthlib.oauth1 import Client
from starlette.testclient import TestClient

from shim.config import Settings
from shim.serving.app import create_app
from tests.conftest import MakeClient
from tests.fakes import ALICE, CONSUMER_KEY, CONSUMER_SECRET, FakeV2, sign
from tests.shim.test_app import refusal

MUTE = "/1.1/mutes/users/create.json?user_id=783214"
CURATE = "/1.1/collections/entries/curate.json"  # a v1.1 call with a JSON body


def test_a_request_signed_for_the_real_api_is_refused(
    make_client: MakeClient, fake_v2: FakeV2, caplog: pytest.LogCaptureFixture
):
    """Captured on its way to api.twitter.com and replayed here with that Host."""
    captured = sign("POST", f"https://api.twitter.com{MUTE}")
    client = make_client()
    client.base_url = client.base_url.copy_with(scheme="https")  # the shim serves TLS

    with caplog.at_level(logging.WARNING):
        answer = client.post(MUTE, headers={**captured, "Host": "api.twitter.com"})

    assert refusal(answer) == (401, 32)
    assert fake_v2.calls == []
    assert "SHIM_PUBLIC_URL" in caplog.text
    assert "api.twitter.com" in caplog.text


def test_listed_origins_are_each_accepted(make_client: MakeClient, fake_v2: FakeV2):
    """An operator who redirects api.twitter.com to the shim lists it beside the shim's name."""
    client = make_client(public_urls=("https://shim.example.com", "https://api.twitter.com"))
    for origin in ("https://shim.example.com", "https://api.twitter.com"):
        host = origin.removeprefix("https://")
        answer = client.post(MUTE, headers={**sign("POST", origin + MUTE), "Host": host})
        assert answer.status_code == 200, answer.text

    other = sign("POST", f"https://evil.example{MUTE}")
    assert refusal(client.post(MUTE, headers={**other, "Host": "evil.example"})) == (401, 32)


def signed_json(url: str, body: bytes) -> dict[str, str]:
    """As tweepy and requests-oauthlib sign a JSON body: with oauth_body_hash."""
    client = Client(
        CONSUMER_KEY,
        client_secret=CONSUMER_SECRET,
        resource_owner_key=ALICE.token,
        resource_owner_secret=ALICE.secret,
    )
    _, headers, _ = client.sign(url, "POST", body.decode(), {"Content-Type": "application/json"})
    assert "oauth_body_hash" in headers["Authorization"]
    return dict(headers)


def test_a_body_swapped_under_its_hash_is_refused(
    make_client: MakeClient, fake_v2: FakeV2, tmp_path
):
    sent = json.dumps({"id": "custom-1", "changes": []}).encode()
    headers = signed_json(f"http://testserver{CURATE}", sent)
    # v2 has no replacement for it (mappings/unserved.py): an enterprise app routes it to v1.
    routing = tmp_path / "routing.toml"
    routing.write_text('[routes."collections/entries/curate"]\nmode = "v1"\n')
    client = make_client(config_path=str(routing))

    swapped = client.post(CURATE, headers=headers, content=b'{"id": "custom-2", "changes": []}')
    assert refusal(swapped) == (401, 32)
    assert fake_v2.calls == []

    fresh = signed_json(f"http://testserver{CURATE}", sent)
    answer = client.post(CURATE, headers=fresh, content=sent)
    assert answer.status_code == 200, answer.text
    assert fake_v2.calls[-1].content == sent


def test_a_replay_after_a_restart_is_refused(settings: Settings, fake_v2: FakeV2):
    headers = sign("POST", f"http://testserver{MUTE}")
    with TestClient(create_app(settings)) as first:
        assert first.post(MUTE, headers=headers).status_code == 200

    with TestClient(create_app(settings)) as restarted:
        assert refusal(restarted.post(MUTE, headers=headers)) == (401, 32)


class SteppedClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_wall_clock_stepped_back_replays_nothing(settings: Settings, fake_v2: FakeV2):
    """Dated +299 s, accepted; the clock steps back 300 s, then 599 s pass: the request's own
    timestamp is inside the window again, and its nonce must still be remembered."""
    clock = SteppedClock()
    stamp = str(int(clock.now) + 299)
    headers = sign("POST", f"http://testserver{MUTE}", timestamp=stamp)
    app = create_app(replace(settings), clock=clock)
    with TestClient(app) as client:
        assert client.post(MUTE, headers=headers).status_code == 200
        clock.now -= 300
        clock.now += 599
        assert refusal(client.post(MUTE, headers=headers)) == (401, 32)


# A captured mute of user 2244994945, and the calls it was once delivered as: the signed path
# and query moved into Host, ended by '#', so that the URL verified was still the signed one.
CAPTURED = "/1.1/mutes/users/create.json?user_id=2244994945"
DELIVERED_AS = [
    "/1.1/mutes/users/destroy.json?user_id=783214",
    "/1.1/statuses/update.json?status=not%20mine",
]


@pytest.mark.parametrize("delivered", DELIVERED_AS)
def test_a_host_carrying_the_signed_path_cannot_deliver_another_call(
    make_client: MakeClient, fake_v2: FakeV2, delivered: str
):
    fake_v2.muted.add((ALICE.user_id, "783214"))
    captured = sign("POST", f"http://testserver{CAPTURED}")
    host = f"testserver{CAPTURED}#"

    answer = make_client().post(delivered, headers={**captured, "Host": host})

    assert refusal(answer) == (401, 32)
    assert fake_v2.calls == []
    assert (ALICE.user_id, "783214") in fake_v2.muted


@pytest.mark.parametrize(
    "host",
    ["testserver:80", "TestServer", "127.0.0.1", "[::1]:80", "localhost", "testserver:"],
)
def test_only_a_host_and_port_are_read_from_host(make_client: MakeClient, fake_v2, host: str):
    """A plain `host[:port]` naming the shim is verified as the URL it names; anything that is
    not one (an empty port too) is refused, whatever the signature covers."""
    client = make_client()
    url = f"http://{host}{MUTE}"
    answer = client.post(MUTE, headers={**sign("POST", url), "Host": host})

    if host in ("testserver:80", "TestServer"):
        assert answer.status_code == 200, answer.text
    else:
        assert refusal(answer) == (401, 32)


def test_with_public_urls_a_host_carrying_a_path_is_checked_against_our_origin(
    make_client: MakeClient, fake_v2: FakeV2
):
    fake_v2.muted.add((ALICE.user_id, "783214"))
    origin = "https://shim.example.com"
    captured = sign("POST", origin + CAPTURED)
    client = make_client(public_urls=(origin,))

    host = f"shim.example.com{CAPTURED}#"
    answer = client.post(DELIVERED_AS[0], headers={**captured, "Host": host})

    assert refusal(answer) == (401, 32)
    assert fake_v2.calls == []
