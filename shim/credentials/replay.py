"""Replay protection, the last check a request with a valid signature meets: its
`oauth_timestamp` within `TIMESTAMP_WINDOW` of the shim's clock, and its nonce accepted once.

A nonce is kept (in the store's `Nonces`, `shim.stores`) until its request's own timestamp has
left the window: from then on the timestamp alone refuses the request, so nothing is forgotten
that could still be replayed. Two copies of one request can race to the store; only the first
is recorded, and the other is refused as a replay.
"""

import hashlib
from collections.abc import Callable

from mappings.params import number
from shim.credentials.direct import Signed
from shim.errors import BadAuthData, NotAuthenticated, StaleTimestamp, StoreUnavailable
from shim.stores.protocols import Nonces

TIMESTAMP_WINDOW = 300
"""Seconds a request's oauth_timestamp may be from the shim's clock either way."""


def nonce_key(client_key: str, token: str, timestamp: str, nonce: str) -> str:
    """A fixed-size key for the replay store; it holds no usable credential."""
    raw = "\n".join((client_key, token, timestamp, nonce)).encode()
    return hashlib.sha256(raw).hexdigest()


def check_timestamp(timestamp: str, clock: Callable[[], float]) -> None:
    """Refuse a timestamp that is not ASCII digits (`int` would also read "١٢٣٤٥٦٧٨٩٠"), or
    is further from the clock than the window."""
    seconds = number(timestamp)
    if seconds is None:
        raise BadAuthData
    if abs(clock() - seconds) > TIMESTAMP_WINDOW:
        raise StaleTimestamp


async def first_use(nonces: Nonces, signed: Signed) -> None:
    """Record the nonce of a request whose signature is valid; `NotAuthenticated` when it was
    recorded already (a replay)."""
    key = nonce_key(signed.consumer_key, signed.token, signed.timestamp, signed.nonce)
    signed_at = int(signed.timestamp)
    # Fail closed: signed before the store's memory of nonces begins, it may be a replay.
    if signed_at < nonces.whole_since():
        raise StoreUnavailable
    # Kept while the request's own timestamp is in the window: then it is refused anyway.
    added = await nonces.add(key, signed_at + TIMESTAMP_WINDOW + 1)
    if signed_at < nonces.whole_since():  # this very call found the store had lost them
        raise StoreUnavailable
    if not added:
        raise NotAuthenticated
