"""Every handler of `shim serve` masks credentials, whichever logger wrote the line."""

import logging

from shim.logs import Redact, mask


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

    from shim.logs import JSONLines, Redact
    from shim.requests_log import REQUEST_ID

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
