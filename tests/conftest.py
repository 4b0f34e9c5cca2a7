"""Fixtures shared by every level: settings with fake credentials, a fake v2, a client."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from shim.config import Settings
from shim.serving.app import create_app
from tests.fakes import ALICE, BOB, CONSUMER_KEY, CONSUMER_SECRET, FakeV2, twitter_user
from tests.stored import Stored

MakeClient = Callable[..., TestClient]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's own SHIM_* settings."""
    import os

    for name in [n for n in os.environ if n.startswith("SHIM_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with fake app credentials and a store that knows ALICE and BOB."""
    db = str(tmp_path / "shim.db")
    store = Stored(db)
    for user in (ALICE, BOB):
        store.add(user.token, user.secret)
    store.close()
    return Settings(
        consumer_key=CONSUMER_KEY,
        consumer_secret=CONSUMER_SECRET,
        db_path=db,
        upstream_url="https://api.x.com",
        upstream_timeout=2.0,
    )


@pytest.fixture
def fake_v2() -> FakeV2:
    return FakeV2(twitter_user())


@pytest.fixture
def make_client(settings: Settings, fake_v2: FakeV2) -> Iterator[MakeClient]:
    """Start the app against the fake v2 (or another transport) and return a test client."""
    clients: list[TestClient] = []

    def make(transport: httpx2.AsyncBaseTransport | None = None, **changes: Any) -> TestClient:
        from dataclasses import replace

        app = create_app(replace(settings, **changes), transport or httpx2.MockTransport(fake_v2))
        client = TestClient(app, raise_server_exceptions=True)
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def config(tmp_path: Path) -> Callable[[str], str]:
    """Write a routing file; returns its path."""

    def write(text: str) -> str:
        path = tmp_path / "routing.toml"
        path.write_text(text)
        return str(path)

    return write
