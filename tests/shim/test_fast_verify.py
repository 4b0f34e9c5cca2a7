"""The direct HMAC-SHA1 check accepts only what oauthlib accepts: on generated requests (any
parameters, either method, query or form body, tampered or not) and on the hostile corpus."""

import asyncio
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oauthlib.oauth1 import Client

from mappings.errors import V11Error
from shim.auth import Verifier
from shim.credentials import connect
from shim.nonces import SQLiteNonces
from shim.signing import FORM
from tests.fakes import ALICE, CONSUMER_KEY, CONSUMER_SECRET

BASE = "https://shim.example.com/1.1/users/show.json"


async def secret_of(token: str) -> str | None:
    return ALICE.secret if token == ALICE.token else None


def verifier() -> Verifier:
    return Verifier(CONSUMER_KEY, CONSUMER_SECRET, SQLiteNonces(connect(":memory:")))


def oauthlib_says(uri: str, method: str, body: bytes, headers: dict[str, str]) -> object:
    """oauthlib's verdict alone: the credentials, or the refusal's code."""
    checker = verifier()

    async def nothing(*args: object) -> None:
        return None

    checker.direct = nothing  # type: ignore[method-assign,assignment]
    try:
        return asyncio.run(checker.verify(uri, method, body, headers, secret_of))
    except V11Error as error:
        return error.code


def signed(method: str, params: list[tuple[str, str]], in_body: bool, **client: str):
    from urllib.parse import urlencode

    encoded = urlencode(params)
    uri = BASE + (f"?{encoded}" if encoded and not in_body else "")
    body = encoded if in_body else None
    headers = {"Content-Type": FORM} if in_body else {}
    signer = Client(
        client.get("key", CONSUMER_KEY),
        client_secret=client.get("consumer_secret", CONSUMER_SECRET),
        resource_owner_key=ALICE.token,
        resource_owner_secret=client.get("secret", ALICE.secret),
        timestamp=client.get("timestamp"),
    )
    uri, headers, body = signer.sign(uri, method, body, headers)
    return uri, (body or "").encode(), {k.lower(): v for k, v in headers.items()}


TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
PLAIN = st.text("abcXYZ019_-.~,*", min_size=1, max_size=12)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    params=st.lists(st.tuples(st.one_of(PLAIN, TEXT), st.one_of(PLAIN, TEXT)), max_size=4),
    method=st.sampled_from(["GET", "POST"]),
    in_body=st.booleans(),
    tamper=st.sampled_from([None, "secret", "consumer_secret", "key", "timestamp", "param"]),
)
def test_the_direct_check_accepts_only_what_oauthlib_accepts(params, method, in_body, tamper):
    in_body = in_body and method == "POST"
    changes = {
        None: {},
        "secret": {"secret": "fake-wrong-secret"},
        "consumer_secret": {"consumer_secret": "fake-wrong-consumer-secret"},
        "key": {"key": "fakeotherconsumerkey"},
        "timestamp": {"timestamp": str(int(time.time()) - 3600)},
        "param": {},
    }[tamper]
    uri, body, headers = signed(method, params, in_body, **changes)
    if tamper == "param":
        uri += ("&" if "?" in uri else "?") + "added=1"

    fast = asyncio.run(verifier().direct(uri, method, body, headers, secret_of))
    if fast is not None:
        assert oauthlib_says(uri, method, body, headers) == verifier_credentials(fast)


def verifier_credentials(fast):
    from shim.signing import Credentials

    return Credentials(CONSUMER_KEY, CONSUMER_SECRET, fast.token, fast.token_secret)


@pytest.mark.parametrize(
    "params",
    [
        [],
        [("screen_name", "Twitter")],
        [("user_id", "783214"), ("include_entities", "false")],
        [("user_id", "783214,6253282"), ("cursor", "-1")],
        [("screen_name", "a.b~c_d*e")],
    ],
)
@pytest.mark.parametrize(("method", "in_body"), [("GET", False), ("POST", False), ("POST", True)])
def test_ordinary_requests_take_the_direct_path(params, method, in_body):
    uri, body, headers = signed(method, params, in_body)

    fast = asyncio.run(verifier().direct(uri, method, body, headers, secret_of))

    assert fast is not None
    assert (fast.token, fast.token_secret) == (ALICE.token, ALICE.secret)


def test_unusual_requests_go_to_oauthlib():
    uri, body, headers = signed("GET", [("q", "a b+c")], False)  # '+' and spaces
    assert asyncio.run(verifier().direct(uri, "GET", body, headers, secret_of)) is None
    uri, body, headers = signed("GET", [("screen_name", "Twitter")], False)
    realm = {"authorization": headers["authorization"].replace("OAuth ", 'OAuth realm="x", ')}
    assert asyncio.run(verifier().direct(uri, "GET", body, realm, secret_of)) is None


def test_a_replay_of_a_directly_checked_request_is_refused():
    checker = verifier()
    uri, body, headers = signed("GET", [("screen_name", "Twitter")], False)
    asyncio.run(checker.verify(uri, "GET", body, headers, secret_of))

    with pytest.raises(V11Error) as replayed:
        asyncio.run(checker.verify(uri, "GET", body, headers, secret_of))
    assert replayed.value.code == 32
