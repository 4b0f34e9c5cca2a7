"""A real uvicorn server over TLS, started once per module and stopped by the tests."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import trustme
import tweepy

from shim.config import Settings
from shim.serving.app import create_app
from tests.fakes import (
    ALICE,
    BOB,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    FakeV2,
    Token,
    minimal_user,
    serving_fake,
    twitter_user,
)
from tests.servers import serving
from tests.stored import Stored

ADMIN_TOKEN = "fake-admin-token-for-stats-of-32-chars"


@dataclass(frozen=True)
class Server:
    host: str  # host:port, as tweepy's API(host=…) takes it
    ca_file: str  # the CA clients must trust
    fake: FakeV2


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    """A throwaway CA and a certificate for 127.0.0.1: (ca, cert chain, key) file paths."""
    folder: Path = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    paths = [str(folder / name) for name in ("ca.pem", "cert.pem", "key.pem")]
    ca.cert_pem.write_to_path(paths[0])
    cert.cert_chain_pems[0].write_to_path(paths[1])
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(paths[1], append=True)
    cert.private_key_pem.write_to_path(paths[2])
    return paths[0], paths[1], paths[2]


@pytest.fixture(scope="module")
def running(
    tmp_path_factory: pytest.TempPathFactory, tls: tuple[str, str, str]
) -> Iterator[Server]:
    """`shim serve --ssl-certfile … --ssl-keyfile …` on a free port, in front of a fake v2."""
    ca_file, cert_file, key_file = tls
    db = str(tmp_path_factory.mktemp("store") / "shim.db")
    store = Stored(db)
    for user in (ALICE, BOB):
        store.add(user.token, user.secret)
    store.close()
    # StatsProbe is looked up by the stats test only, so its cache entries are that test's own.
    fake = FakeV2(twitter_user(), minimal_user("4242", "StatsProbe"))
    with serving_fake(fake) as upstream:
        settings = Settings(
            consumer_key=CONSUMER_KEY,
            consumer_secret=CONSUMER_SECRET,
            db_path=db,
            admin_token=ADMIN_TOKEN,
            upstream_url=upstream,
        )
        app = create_app(settings)
        with serving(app, ssl_certfile=cert_file, ssl_keyfile=key_file) as port:
            yield Server(f"127.0.0.1:{port}", ca_file, fake)


@pytest.fixture
def server(running: Server, monkeypatch: pytest.MonkeyPatch) -> Server:
    """The running server, with the fake v2's memory wiped for this test."""
    running.fake.forget()
    # How an operator makes requests-based clients (tweepy) trust the shim's certificate.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", running.ca_file)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    return running


@pytest.fixture
def track() -> Iterator[Callable[[requests.Session], requests.Session]]:
    """Close the sessions a test opens, so no client connection outlives it."""
    opened: list[requests.Session] = []

    def add(session: requests.Session) -> requests.Session:
        opened.append(session)
        return session

    yield add
    for session in opened:
        session.close()


@pytest.fixture
def tweepy_api(
    server: Server, track: Callable[[requests.Session], requests.Session]
) -> Callable[..., tweepy.API]:
    """tweepy's v1.1 API with only its host changed."""

    def make(token: Token = ALICE, secret: str = CONSUMER_SECRET) -> tweepy.API:
        auth = tweepy.OAuth1UserHandler(CONSUMER_KEY, secret, token.token, token.secret)
        api = tweepy.API(auth, host=server.host)
        track(api.session)
        return api

    return make
