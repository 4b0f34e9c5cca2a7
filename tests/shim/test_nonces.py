"""The replay store: a nonce is accepted once, kept until its request's own timestamp has left
the window on the wall clock, kept across a restart, and never dropped to make room."""

import asyncio

import pytest

from shim.errors import StoreUnavailable
from shim.stores import sqlite
from shim.stores.sqlite import SQLiteNonces, connect


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def add(store: SQLiteNonces, key: str, expires_at: float) -> bool:
    return asyncio.run(store.add(key, expires_at))


KEY, OTHER = "a" * 64, "b" * 64


def test_a_nonce_is_accepted_once_until_it_expires():
    clock = Clock()
    store = SQLiteNonces(connect(":memory:"), clock)

    assert add(store, KEY, clock.now + 600)
    assert not add(store, KEY, clock.now + 600)
    assert add(store, OTHER, clock.now + 600)
    clock.now += 601
    assert add(store, KEY, clock.now + 600)


def test_nonces_outlive_a_restart(tmp_path):
    clock, path = Clock(), str(tmp_path / "shim.db")
    assert add(SQLiteNonces(connect(path), clock), KEY, clock.now + 600)

    assert not add(SQLiteNonces(connect(path), clock), KEY, clock.now + 600)


def test_a_full_store_refuses_rather_than_forgets(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sqlite, "LIMIT", 2)
    clock = Clock()
    store = SQLiteNonces(connect(":memory:"), clock)
    assert add(store, "1" * 64, clock.now + 600)
    assert add(store, "2" * 64, clock.now + 600)

    with pytest.raises(StoreUnavailable):
        add(store, "3" * 64, clock.now + 600)
    clock.now += 601
    assert add(store, "3" * 64, clock.now + 600)  # room again once the window has passed
