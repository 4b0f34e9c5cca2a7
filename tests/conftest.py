"""Fixtures shared by every level: settings with fake credentials, a fake v2 on a real socket,
a client."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.testclient import TestClient

from shim.config import Settings
from shim.serving.app import create_app
from tests.fakes import (
    ALICE,
    BOB,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    HANG_UP,
    FakeV2,
    FakeV2App,
    Model,
    twitter_user,
)
from tests.servers import hang_up_all, port_of, serving_by
from tests.stored import Stored

MakeClient = Callable[..., TestClient]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's own SHIM_* settings."""
    import os

    for name in [n for n in os.environ if n.startswith("SHIM_")]:
        monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def v2_server() -> Iterator[tuple[FakeV2App, uvicorn.Server]]:
    """One loopback server for the whole run (starting and stopping one a test would cost a
    tenth of a second each); `served_v2` puts each test's model behind it."""
    app = FakeV2App(lambda request: HANG_UP)
    with serving_by(app) as server:
        app.url = f"http://127.0.0.1:{port_of(server)}"
        yield app, server


@pytest.fixture
def v2_socket(v2_server: tuple[FakeV2App, uvicorn.Server]) -> FakeV2App:
    """The session's fake v2, every connection an earlier test made to it closed: a call an
    earlier test's app still had on its way (a shadow call, a batch's other half) is never
    answered by, nor recorded in, this test's model."""
    app, server = v2_server
    hang_up_all(server)
    return app


@pytest.fixture
def fake_v2() -> FakeV2:
    return FakeV2(twitter_user())


@pytest.fixture
def served_v2(v2_socket: FakeV2App, fake_v2: FakeV2) -> FakeV2App:
    """The tests' one stand-in for X: a model of v2 on a real socket, which the shim reaches as
    it reaches X, over its own client. This test's `fake_v2` answers, unless the test sets
    `served_v2.model` (or passes one to `make_client`)."""
    v2_socket.model = fake_v2
    v2_socket.in_flight.clear()
    v2_socket.peak.clear()
    return v2_socket


@pytest.fixture
def settings(tmp_path: Path, served_v2: FakeV2App) -> Settings:
    """Settings with fake app credentials, a store that knows ALICE and BOB, and the fake v2 on
    its socket as the upstream."""
    db = str(tmp_path / "shim.db")
    store = Stored(db)
    for user in (ALICE, BOB):
        store.add(user.token, user.secret)
    store.close()
    return Settings(
        consumer_key=CONSUMER_KEY,
        consumer_secret=CONSUMER_SECRET,
        db_path=db,
        upstream_url=served_v2.url,
        upstream_timeout=2.0,
    )


@pytest.fixture
def make_client(settings: Settings, served_v2: FakeV2App) -> Iterator[MakeClient]:
    """Start the app against the fake v2 (or another model of v2 on the same socket) and
    return a test client."""
    clients: list[TestClient] = []

    def make(model: Model | None = None, **changes: Any) -> TestClient:
        from dataclasses import replace

        if model is not None:
            served_v2.model = model
        app = create_app(replace(settings, **changes))
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
