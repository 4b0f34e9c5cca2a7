"""The simulated X's answers as v2 shapes them: its JSON, rate-limit headers and error entries
(real bodies from the reference, `v2_errors.json`), and the fake credentials it knows by
default. Every credential here is fake, made to look it."""

import json
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import httpx2

CONSUMER_KEY = "fakeconsumerkey0000000000"
CONSUMER_SECRET = "fake-consumer-secret-not-real"


@dataclass(frozen=True)
class Token:
    token: str
    secret: str
    user_id: str


# Signing in: the request token the simulated X issues, the PIN the user would type, and the
# access token it grants in exchange, @dave's.
REQUEST_TOKEN = Token("fakerequesttoken0000000000001", "fake-request-token-secret", "")
VERIFIER = "1234567"
DAVE = Token("1500000000000000004-" + "dave" * 10, "fake-token-secret-dave", "1500000000000000004")

ERRORS: dict[str, Any] = json.loads(files("shim.sandbox").joinpath("v2_errors.json").read_text())
"""Real v2 error bodies by kind (the file's `_source` says where each is from)."""

V2_JSON = "application/json; charset=utf-8"  # v2's spelling, with a space (reference README)


def v2_response(status: int, body: object, **headers: str) -> httpx2.Response:
    content = json.dumps(body).encode()
    return httpx2.Response(status, content=content, headers={"content-type": V2_JSON, **headers})


def rate_limits(limit: int, remaining: int, reset: int) -> dict[str, str]:
    names = ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")
    return dict(zip(names, map(str, (limit, remaining, reset)), strict=True))


def minimal_user(user_id: str, username: str) -> dict[str, Any]:
    """A v2 user with only what v2 always returns plus created_at."""
    return {
        "data": {
            "id": user_id,
            "name": username,
            "username": username,
            "created_at": "2020-01-01T00:00:00.000Z",
        }
    }


def not_found(parameter: str, value: str) -> dict[str, str]:
    """v2's error entry for a user it could not find (reference README)."""
    return {
        "value": value,
        "detail": f"Could not find user with {parameter}: [{value}].",
        "title": "Not Found Error",
        "resource_type": "user",
        "parameter": parameter,
        "resource_id": value,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


def tweet_missing(tweet_id: str) -> dict[str, str]:
    """v2's error entry for a tweet it could not find (the user one's shape, api-facts 2.5)."""
    return {
        "value": tweet_id,
        "detail": f"Could not find tweet with id: [{tweet_id}].",
        "title": "Not Found Error",
        "resource_type": "tweet",
        "parameter": "id",
        "resource_id": tweet_id,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


NOT_AUTHORIZED = {
    "title": "Authorization Error",
    "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
}
INVALID = {"title": "Invalid Request", "errors": [{"message": "bad parameters"}]}
