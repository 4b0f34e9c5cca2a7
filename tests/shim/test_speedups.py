"""SHIM_SPEEDUPS, on unless turned off: off, oauthlib checks every signature and signs every
upstream call, and httpx2's own transport sends them. Each speed-up's own test compares it with
the library it stands in for (test_fast_verify, test_signing, test_aiohttp_transport)."""

import asyncio
from dataclasses import replace

import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mappings import ENDPOINTS
from mappings.types import V2Call
from shim.config import ConfigError, Settings
from shim.credentials import direct
from shim.credentials.verifier import Verifier
from shim.serving.app import create_app
from shim.stores.sqlite import SQLiteNonces, connect
from shim.upstream import client as upstream
from tests.conftest import MakeClient
from tests.fakes import (
    ALICE,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    FakeV2,
    serving_fake,
    sign,
    twitter_user,
)
from tests.servers import serving
from tests.shim.test_aiohttp_transport import echo
from tests.shim.test_fast_verify import secret_of, signed


def test_the_switch_is_on_unless_turned_off():
    assert Settings.from_env({}).speedups is True
    assert Settings.from_env({"SHIM_SPEEDUPS": "off"}).speedups is False
    with pytest.raises(ConfigError, match="SHIM_SPEEDUPS must be on or off, not 'fast'"):
        Settings.from_env({"SHIM_SPEEDUPS": "fast"})


@pytest.mark.parametrize("speedups", [True, False])
def test_off_oauthlib_checks_the_signature_and_signs_for_the_caller(monkeypatch, speedups):
    """The same ordinary request is accepted either way; only with the switch on does the
    direct check see it, and only then do the caller's calls go signed by hand."""
    checked = []
    check = direct.check

    def spy(*args):
        checked.append(args)
        return check(*args)

    monkeypatch.setattr(direct, "check", spy)
    nonces = SQLiteNonces(connect(":memory:"))
    verifier = Verifier(CONSUMER_KEY, CONSUMER_SECRET, nonces, speedups=speedups)
    uri, body, headers = signed("GET", [("screen_name", "Twitter")], False)

    found = asyncio.run(verifier.verify(uri, "GET", body, headers, secret_of))

    assert (found.token, len(checked), found.by_hand) == (ALICE.token, int(speedups), speedups)


def test_off_a_mute_goes_signed_by_oauthlib(make_client: MakeClient, fake_v2: FakeV2):
    """The fake v2 checks each call's signature with oauthlib; oauthlib's `Client` writes its
    header nonce first, the hand-written signer consumer key first."""
    url = "http://testserver/1.1/mutes/users/create.json?user_id=783214"

    response = make_client(speedups=False).post(url, headers=sign("POST", url, ALICE))

    assert response.status_code == 200
    assert {(ALICE.user_id, "783214")} == fake_v2.muted
    headers = [call.headers["authorization"] for call in fake_v2.calls]
    assert headers
    assert all(header.startswith('OAuth oauth_nonce="') for header in headers)


@pytest.mark.parametrize("speedups", [True, False])
def test_off_httpx2s_own_transport_sends(monkeypatch, speedups):
    made = []

    def aiohttp_transport(limit: int) -> httpx2.AsyncBaseTransport:
        made.append(limit)
        return httpx2.AsyncHTTPTransport()

    monkeypatch.setattr(upstream, "AiohttpTransport", aiohttp_transport)

    async def status(base: str) -> int:
        client = upstream.Upstream(base, 1.0, speedups=speedups)
        try:
            return (await client.client.get("/2/users/me")).status_code
        finally:
            await client.aclose()

    with serving(echo) as port:
        answered = asyncio.run(status(f"http://127.0.0.1:{port}"))

    assert (answered, made) == (200, [upstream.MAX_CONNECTIONS] if speedups else [])


TEXT = st.text(st.characters(codec="utf-8"), max_size=8)


@settings(max_examples=200, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "DELETE"]),
    base=st.sampled_from(["https://api.x.com", "http://127.0.0.1:8080/", "https://API.x.com:443"]),
    path=st.text("ab09_/~é %", max_size=12).map(lambda text: "/2/" + text),
    params=st.lists(st.tuples(TEXT, TEXT), max_size=4).map(tuple),
    body=st.one_of(st.none(), st.dictionaries(TEXT, TEXT, max_size=2)),
)
def test_a_call_is_built_as_httpx2s_client_builds_it(method, base, path, params, body):
    """The upstream builds each v2 call's request itself, its URL parsed once: what arrives
    is what `build_request` made, URL, headers, body and time-outs."""
    client = upstream.Upstream(base, 2.0)
    call = V2Call(method, path, params, json=body, access=ENDPOINTS[0].access[0])

    built = client.request_for(call)
    expected = client.client.build_request(method, path, params=params, json=body)
    assert str(built.url) == str(expected.url)
    assert built.headers.raw == expected.headers.raw
    assert (built.content, built.extensions) == (expected.content, expected.extensions)


def test_translated_calls_go_on_aiohttp_directly(monkeypatch, settings: Settings):
    """Issue 27: a translated mute's v2 calls are sent on the aiohttp session, not through
    httpx2's client (its send, hooks and answer), yet carry what the client's hooks and auth
    added: the request id, the user-agent and the signature. The pass-through still uses it."""
    fake = FakeV2(twitter_user())
    sent_by_httpx2 = []
    send = httpx2.AsyncClient.send

    async def spy(self, request, **options):
        sent_by_httpx2.append(request.url.path)
        return await send(self, request, **options)

    monkeypatch.setattr(httpx2.AsyncClient, "send", spy)
    mute = "http://testserver/1.1/mutes/users/create.json?user_id=783214"
    settings_url = "http://testserver/1.1/account/settings.json"
    with (
        serving_fake(fake) as url,
        TestClient(create_app(replace(settings, upstream_url=url))) as client,
    ):
        muted = client.post(mute, headers={**sign("POST", mute), "x-request-id": "req-27"})
        passed = client.get(settings_url, headers=sign("GET", settings_url))

    assert (muted.status_code, passed.status_code) == (200, 200)
    assert {(ALICE.user_id, "783214")} == fake.muted
    translated = [call for call in fake.calls if call.url.path.startswith("/2/")]
    assert {call.url.path for call in translated} >= {f"/2/users/{ALICE.user_id}/muting"}
    for call in translated:
        assert call.headers["x-request-id"] == "req-27"
        assert call.headers["user-agent"].startswith("twitter-mute-shim/")
        assert call.headers["authorization"].startswith('OAuth oauth_consumer_key="')
    assert sent_by_httpx2 == ["/1.1/account/settings.json"]


@pytest.mark.parametrize("bypassed", [False, True])
def test_translated_and_passed_calls_honour_the_proxy_settings(monkeypatch, settings, bypassed):
    """HTTP_PROXY and NO_PROXY, as httpx2 honoured them, for both ways upstream: the fake v2
    stands as the proxy of an upstream no one listens at; bypassed, nothing answers."""
    fake = FakeV2(twitter_user())
    mute = "http://testserver/1.1/mutes/users/create.json?user_id=783214"
    settings_url = "http://testserver/1.1/account/settings.json"
    with serving_fake(fake) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("NO_PROXY", "upstream.invalid" if bypassed else "elsewhere.invalid")
        app = create_app(replace(settings, upstream_url="http://upstream.invalid"))
        with TestClient(app) as client:
            muted = client.post(mute, headers=sign("POST", mute))
            passed = client.get(settings_url, headers=sign("GET", settings_url))

    statuses = (muted.status_code, passed.status_code)
    assert statuses == ((503, 503) if bypassed else (200, 200))
    assert fake.muted == (set() if bypassed else {(ALICE.user_id, "783214")})
