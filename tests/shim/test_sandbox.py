"""The sandbox's parts without a server: `shim sandbox`, the refusals of `shim serve
--sandbox`, and what the simulated X does that the tests' fake X does not (`shim.sandbox`):
its seed, v1.1's 453, the sign-in's page, its bound."""

import json
import socket
import tempfile
from pathlib import Path

import httpx2
import pytest

from shim.operator.cli import main
from shim.sandbox import seed
from shim.sandbox.answers import CONSUMER_KEY, CONSUMER_SECRET, REQUEST_TOKEN, VERIFIER
from shim.sandbox.model import SimulatedX
from tests.fakes import sign

SANDBOX = "http://127.0.0.1:9/"  # what the simulated X is asked as: no server needed here


def test_shim_sandbox_json_gives_the_keys_and_two_users_tokens(capsys: pytest.CaptureFixture[str]):
    assert main(["sandbox", "--json"]) == 0

    found = json.loads(capsys.readouterr().out)
    assert (found["consumer_key"], found["consumer_secret"]) == (CONSUMER_KEY, CONSUMER_SECRET)
    assert found["simulated"] is True
    assert [u["screen_name"] for u in found["users"]] == ["alice", "bob"]
    for user in found["users"]:
        assert set(user) == {"screen_name", "user_id", "access_token", "access_token_secret"}
        assert user["access_token"].startswith(user["user_id"] + "-")
        assert "fake" in user["access_token"].lower() + user["access_token_secret"]
    assert len(found["admin_token"]) >= 32


def test_shim_sandbox_prints_the_same_as_text(capsys: pytest.CaptureFixture[str]):
    assert main(["sandbox"]) == 0

    out = capsys.readouterr().out
    assert out.startswith("SIMULATED X (sandbox)")
    for user in seed.credentials()["users"]:
        assert user["access_token"] in out
        assert user["access_token_secret"] in out


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SHIM_UPSTREAM_URL", "https://upstream.example"),
        ("SHIM_REDIS_URL", "redis://127.0.0.1:1/0"),
        ("SHIM_CONSUMER_KEY", "a-real-looking-key"),
        ("SHIM_CONSUMER_SECRET", "a-real-looking-secret"),
        ("SHIM_ACCESS_TOKEN", "1-real"),
    ],
)
def test_the_sandbox_refuses_real_settings(
    variable: str,
    value: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    """A setting the sandbox would have to ignore is one line and exit 2, before anything
    starts: it is its own upstream, with its own keys, tokens and store."""
    monkeypatch.setenv(variable, value)
    if variable == "SHIM_ACCESS_TOKEN":
        monkeypatch.setenv("SHIM_ACCESS_TOKEN_SECRET", "real-secret")

    assert main(["serve", "--sandbox", "--port", "1"]) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert variable in err
    assert value not in err


def test_the_sandbox_serves_from_one_process(capsys: pytest.CaptureFixture[str]):
    assert main(["serve", "--sandbox", "--workers", "2", "--port", "1"]) == 2

    assert capsys.readouterr().err == "shim: --sandbox serves from one process: drop --workers\n"


def test_a_refusal_after_the_simulated_x_started_is_still_one_line(
    capsys: pytest.CaptureFixture[str],
):
    """The port in use is found once the simulated X serves: one line, nothing printed before
    it, and the sandbox's folder gone."""
    folders = set(Path(tempfile.gettempdir()).glob("shim-sandbox-*"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])

        assert main(["serve", "--sandbox", "--port", port]) == 2

    assert set(Path(tempfile.gettempdir()).glob("shim-sandbox-*")) <= folders
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert port in err


def answer(x: SimulatedX, method: str, path: str) -> httpx2.Response:
    """The simulated X's answer to a call signed as @alice."""
    url = SANDBOX + path
    return x(httpx2.Request(method, url, headers=sign(method, url, seed.tokens()[0])))


def test_the_seed_has_users_relations_and_tweets():
    x = seed.simulated()
    ids = seed.ids()

    me = answer(x, "GET", "2/users/me").json()["data"]
    assert (me["username"], me["id"]) == ("alice", ids["alice"])
    assert me["public_metrics"]["following_count"] == 3
    following = answer(x, "GET", f"2/users/{ids['alice']}/following").json()["data"]
    assert [u["username"] for u in following] == ["bob", "loudbot", "sandboxnews"]
    assert (ids["bob"], ids["loudbot"]) in x.muted
    timeline = answer(x, "GET", f"2/users/{ids['loudbot']}/tweets").json()
    assert timeline["meta"]["result_count"] == 3


def test_a_v11_call_gets_xs_453():
    """What X answers a self-serve app's v1.1 call today, so pass-through shows it."""
    refused = answer(seed.simulated(), "GET", "1.1/lists/statuses.json")

    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (403, 453)


def test_authorizing_shows_the_pin_or_goes_to_the_callback():
    x = seed.simulated()
    page = x(httpx2.Request("GET", f"{SANDBOX}oauth/authorize?oauth_token={REQUEST_TOKEN.token}"))
    assert page.status_code == 200
    assert VERIFIER in page.text

    url = SANDBOX + "oauth/request_token"
    headers = sign("POST", url, None, callback="http://app.example/back?x=1")
    assert x(httpx2.Request("POST", url, headers=headers)).status_code == 200
    sent = x(httpx2.Request("GET", f"{SANDBOX}oauth/authorize?oauth_token={REQUEST_TOKEN.token}"))
    assert sent.status_code == 302
    assert sent.headers["location"] == (
        f"http://app.example/back?x=1&oauth_token={REQUEST_TOKEN.token}&oauth_verifier={VERIFIER}"
    )
    unknown = x(httpx2.Request("GET", f"{SANDBOX}oauth/authorize?oauth_token=nope"))
    assert unknown.status_code == 400


def test_what_calls_add_is_bounded():
    """Past its limit it refuses more, as X's rate limits do, and undoing still works."""
    x = seed.simulated()
    x.limit = len(x.statuses) + sum(map(len, x.related.values())) + 1
    target = {"target_user_id": seed.ids()["sandboxnews"]}
    path = f"2/users/{seed.ids()['alice']}/muting"
    alice = seed.tokens()[0]

    def mute(body: dict[str, str]) -> httpx2.Response:
        url = SANDBOX + path
        return x(httpx2.Request("POST", url, headers=sign("POST", url, alice), json=body))

    assert mute(target).status_code == 200
    assert mute({"target_user_id": seed.ids()["dave"]}).status_code == 429
    assert answer(x, "DELETE", f"{path}/{target['target_user_id']}").status_code == 200


def signed(x: SimulatedX, method: str, path: str, **content: object) -> httpx2.Response:
    """The simulated X's answer to a call with a JSON or multipart body, signed as @alice (a
    body that is not a form is not part of the signature)."""
    url = SANDBOX + path
    request = httpx2.Request(method, url, **content)  # type: ignore[arg-type]
    request.headers.update(sign(method, url, seed.tokens()[0]))
    request.read()
    return x(request)


def test_a_new_tweet_shows_the_picture_uploaded_for_it():
    x = seed.simulated()
    picture = b"\x89PNG\r\n\x1a\n" + bytes(64)
    files = {"media": ("picture.png", picture)}
    uploaded = signed(
        x, "POST", "2/media/upload", data={"media_category": "tweet_image"}, files=files
    )
    media_id = uploaded.json()["data"]["id"]
    posted = signed(x, "POST", "2/tweets", json={"text": "hi", "media": {"media_ids": [media_id]}})
    tweet_id = posted.json()["data"]["id"]
    shown = answer(x, "GET", f"2/tweets/{tweet_id}?expansions=attachments.media_keys").json()

    assert posted.status_code == 201
    assert shown["data"]["attachments"] == {"media_keys": [f"3_{media_id}"]}
    assert [(m["media_key"], m["type"]) for m in shown["includes"]["media"]] == [
        (f"3_{media_id}", "photo")
    ]
    unknown = signed(x, "POST", "2/tweets", json={"text": "no", "media": {"media_ids": ["1"]}})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["message"] == "Your media IDs are invalid."


def test_the_media_kept_is_bounded(monkeypatch: pytest.MonkeyPatch):
    """Past `HELD` bytes the oldest uploads are forgotten, as X lets media expire."""
    monkeypatch.setattr("shim.sandbox.media.HELD", 150)
    x = seed.simulated()
    ids = []
    for _ in range(3):
        files = {"media": ("p.png", b"\x89PNG" + bytes(60))}
        form = {"media_category": "tweet_image"}
        ids.append(signed(x, "POST", "2/media/upload", data=form, files=files).json()["data"]["id"])

    assert list(x.uploads.uploads) == ids[1:]
