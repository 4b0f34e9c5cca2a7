"""The replay store remembers a nonce for its time to live, then forgets it."""

from shim.nonces import MemoryNonces


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_nonce_is_accepted_once_until_it_expires():
    clock = Clock()
    nonces = MemoryNonces(clock)

    assert nonces.add("a", 600)
    assert not nonces.add("a", 600)
    assert nonces.seen("a")
    assert not nonces.seen("b")
    clock.now += 601
    assert not nonces.seen("a")
    assert nonces.add("a", 600)
