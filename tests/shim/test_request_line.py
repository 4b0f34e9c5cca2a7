"""One line a request (issue 27): what uvicorn's access line and httpx2's line for each v2 call
said, on the line the request log writes once the answer is out, with its credentials masked."""

import json
import logging

import pytest
from oauthlib.oauth1 import SIGNATURE_TYPE_QUERY, Client

from shim.edge import logs
from shim.edge.logs import JSONLines, Redact
from tests.conftest import MakeClient
from tests.fakes import ALICE, CONSUMER_KEY, CONSUMER_SECRET, sign

BASE = "http://testserver"
MUTE = f"{BASE}/1.1/mutes/users/create.json?screen_name=Twitter"


def lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "shim.requests"]


def called(call: str) -> tuple[str, str, str]:
    """A v2 call as its line says it, without its query and time: method, path, status."""
    method, target, status, _, unit = call.split(" ")
    assert unit == "ms"
    return method, target.split("?")[0], status


def test_a_translated_mute_is_one_line_with_its_request_and_v2_calls(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
):
    client = make_client()
    with caplog.at_level(logging.INFO):
        assert client.post(MUTE, headers=sign("POST", MUTE)).status_code == 200

    (line,) = lines(caplog)
    said = line.getMessage()
    assert said.startswith('testclient:50000 - "POST /1.1/mutes/users/create.json?')
    assert 'screen_name=Twitter HTTP/1.1" 200 mutes/users/create v2 ' in said
    calls = line.__dict__["v2_calls"]
    assert said.endswith("; v2: " + ", ".join(calls))
    assert {called(call) for call in calls} == {
        ("GET", "/2/users/by/username/Twitter", "200"),
        ("POST", f"/2/users/{ALICE.user_id}/muting", "200"),
    }
    assert all(call.endswith(" ms") for call in calls)


def test_a_refused_request_has_its_line_too(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.INFO):
        make_client().post(MUTE)

    (line,) = lines(caplog)
    assert line.getMessage().startswith('testclient:50000 - "POST /1.1/mutes/users/create.json?')
    assert line.__dict__["status"] >= 400
    assert line.__dict__["v2_calls"] == []


def test_oauth_values_in_the_request_line_are_masked_in_text_and_json(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
):
    signer = Client(
        CONSUMER_KEY,
        client_secret=CONSUMER_SECRET,
        resource_owner_key=ALICE.token,
        resource_owner_secret=ALICE.secret,
        signature_type=SIGNATURE_TYPE_QUERY,
    )
    url, headers, _ = signer.sign(f"{BASE}/1.1/users/search.json?q=x", "GET")
    with caplog.at_level(logging.INFO):
        make_client().get(url, headers=headers)

    (line,) = lines(caplog)
    Redact().filter(line)
    text = line.getMessage()
    fields = json.loads(JSONLines().format(line))
    for said in (text, fields["message"], fields["request"]):
        assert ALICE.token not in said
        assert "oauth_signature=" not in said.replace("oauth_signature=…", "")
    assert fields["request"].startswith('"GET /1.1/users/search.json?q=x&oauth_')
    assert fields["status"] == 200
    (call,) = fields["v2_calls"]
    assert call.startswith("GET /1.1/users/search.json?q=x 200 ")


def test_shim_serve_turns_off_httpx2s_line_for_each_call():
    assert logs.config()["loggers"]["httpx2"] == {"level": "WARNING"}
