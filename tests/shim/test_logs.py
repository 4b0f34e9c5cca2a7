"""Every handler of `shim serve` masks credentials, whichever logger wrote the line."""

import logging
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shim.edge.logs import CREDENTIAL, Redact, mask, substitute
from tests.deadlines import cpu_deadline


def test_oauth_values_and_credentials_are_masked():
    line = (
        '"GET /1.1/x.json?oauth_token=1-abc&oauth_signature=c2ln&count=5 HTTP/1.1" '
        "{'string': b'oauth_token=1-abc&oauth_token_secret=s3cr3t'} "
        '{"access_token": "AAAA", "token_type": "bearer"} Authorization: OAuth oauth_nonce="n"'
    )
    masked = mask(line)

    for secret in ("1-abc", "c2ln", "s3cr3t", "AAAA", 'oauth_nonce="n"'):
        assert secret not in masked
    assert "count=5" in masked
    assert "oauth_token_secret=" in masked  # the name stays, so the line still reads


@pytest.mark.parametrize(
    "url",
    [
        "redis://shim:pa55-w0rd@redis.internal:6379/0",
        "rediss+sentinel://shim:pa55-w0rd@10.0.0.1:26379,10.0.0.2:26379/shim",
        "redis+cluster://:pa55-w0rd@node1:7000",
    ],
)
def test_a_redis_urls_password_is_masked(url):
    masked = mask(f"cannot reach {url} (ConnectionError)")

    assert "pa55-w0rd" not in masked
    assert url.split("@")[1] in masked  # where, still said
    assert "shim:" in masked or ":…@" in masked


PIECES = st.sampled_from(
    ["oauth_", "OAuth ", "access_token", "Refresh_Token", "bearer ", "BASIC ", "token", "=", ":"]
)


@given(st.lists(PIECES | st.text(max_size=6), max_size=8).map("".join))
def test_text_with_nothing_to_mask_is_passed_over_alike(text):
    """The quick look for the patterns' words never lets through what the patterns would mask."""
    assert mask(text) == substitute(text)


# The pattern masking used before issue 20: it restarts at every `oauth_` and backtracks over the
# whole run each time (64 KiB of `oauth_oauth_…` took 9 s). The hostile shapes below are made of
# the patterns' own words, and each is masked within a fixed amount of CPU at 256 KiB.
QUADRATIC = r"((?:oauth_[a-z_]+|access_token|refresh_token)[\"']?\s*[=:]\s*[\"']?)[^&\"'\s,}]+"
HOSTILE = ["oauth_", "oauth_x", "xoauth_", "access_token", "oauth_x=", "Bearer ", "Bearer"]
HOSTILE += ["OAuth\t", " ", "'", '"', "oauth_token '", "Basic \r\n", "oauth_x \t\r\n"]
HOSTILE += ["a://b:", "redis://", "a://:", "x+y://u:p"]
SIZE = 256 * 1024


@given(st.lists(PIECES | st.sampled_from(['"', "'", " ", "&", ",", "}", "K", "x"]), max_size=12))
def test_the_masked_values_are_those_the_quadratic_pattern_masked(pieces):
    text = "".join(pieces)
    old = re.sub(QUADRATIC, r"\1…", text, flags=re.IGNORECASE)
    assert substitute(text) == re.sub(CREDENTIAL, r"\1…", old, flags=re.IGNORECASE)


@pytest.mark.parametrize("shape", HOSTILE)
def test_hostile_text_is_masked_in_linear_time(shape):
    """256 KiB of any shape is masked within a second of CPU, where the quadratic pattern
    took minutes: a request line is masked inside the event loop."""
    text = shape * (SIZE // len(shape))
    with cpu_deadline(1.0):
        masked = mask(text + "&oauth_token=secret")
    assert "secret" not in masked


def test_the_access_log_keeps_its_numbers():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/1.1/x.json?oauth_token=1-abc", "1.1", 200),
        None,
    )
    Redact().filter(record)

    assert record.args == ("127.0.0.1:5", "GET", "/1.1/x.json?oauth_token=…", "1.1", 200)


def test_json_lines_carry_the_request_id_and_mask_credentials():
    import json
    import logging

    from shim.edge.logs import REQUEST_ID, JSONLines, Redact

    record = logging.makeLogRecord(
        {
            "name": "httpx2",
            "levelno": 20,
            "levelname": "INFO",
            "msg": "GET %s",
            "args": ("/1.1/x.json?oauth_token=fake-token-value&count=2",),
        }
    )
    Redact().filter(record)
    token = REQUEST_ID.set("req-1")
    try:
        line = json.loads(JSONLines().format(record))
    finally:
        REQUEST_ID.reset(token)

    assert line["request_id"] == "req-1"
    assert line["message"] == "GET /1.1/x.json?oauth_token=…&count=2"
    assert (line["level"], line["logger"]) == ("info", "httpx2")
