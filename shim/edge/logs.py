"""Logging for `shim serve`: uvicorn's handlers and formats, each handler behind `Redact`, so no
line carries a credential whichever logger wrote it: uvicorn's access log (a request line with
OAuth values in its query), vcrpy recording a sign-in (`oauth_token_secret=…` in an answer),
httpx2, or the shim itself."""

import contextvars
import copy
import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

import uvicorn.config

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
"""The id of the request being served (`shim.edge.requests_log.RequestId` sets it)."""

# A name is a whole run of letters and underscores holding `oauth_` and more, or ending in
# `access_token` or `refresh_token`. The match may start only where a run starts, and the run
# and the spaces and quotes after it are taken without giving any back, so each character is
# looked at a bounded number of times: `oauth_[a-z_]+` alone restarted at every `oauth_` and
# backtracked over the whole run each time (64 KiB of `oauth_oauth_…` took 9 s).
_NAME = r"(?<![a-z_])(?=[a-z_]*?(?:oauth_[a-z_]|(?:access|refresh)_token(?![a-z_])))[a-z_]++"
SECRET_VALUE = rf"({_NAME}[\"']?+\s*+[=:]\s*+[\"']?+)[^&\"'\s,}}]+"
"""An OAuth value in a query, a form, a JSON body or a repr: the name is kept, the value goes.
The same text compiles over bytes (`shim.serving.recording`) and in linear time over any input."""
CREDENTIAL = r"((?:OAuth|Bearer|Basic)\s+)[^\"'\r\n]+"
"""The credentials of an Authorization header."""
URL_PASSWORD = r"((?<![a-z0-9+.-])[a-z][a-z0-9+.-]*+://[^:/@\s]*+:)[^@/\s]++(?=@)"
"""The password of a URL such as SHIM_REDIS_URL's `redis://user:password@host`: the user stays."""
_MASKS = [(re.compile(p, re.IGNORECASE), r"\1…") for p in (SECRET_VALUE, CREDENTIAL, URL_PASSWORD)]
WORDS = ("oauth", "token", "bearer", "basic", "://")
"""One of these is in every text the patterns match, in ASCII text in any case."""


def mask(text: str) -> str:
    # Most of a line's parts hold none of the words, and looking for them is cheaper than the
    # patterns: those, over every argument of four lines a request, were a third of its logging.
    if text.isascii() and not any(word in text.lower() for word in WORDS):
        return text
    return substitute(text)


def substitute(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


class Redact(logging.Filter):
    """Masks credentials in a record's message and arguments; numbers stay numbers, since
    uvicorn's access formatter reads the status code from the arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(str(record.msg))
        if isinstance(record.args, tuple):
            record.args = tuple(_masked(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _masked(arg) for key, arg in record.args.items()}
        return True


def _masked(arg: Any) -> Any:
    if isinstance(arg, int | float):
        return arg
    text = str(arg)
    masked = mask(text)
    return arg if masked == text else masked


# What a request's line (`shim.edge.requests_log`) adds to its record, kept as fields in JSON.
FIELDS = (
    "client",
    "request",
    "status",
    "endpoint",
    "backend",
    "v11_code",
    "upstream_ms",
    "v2_calls",
)


class JSONLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id while a request
    is served, and the request line's fields. `Redact` has run on the message by then."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            line["request_id"] = request_id
        line |= {name: getattr(record, name) for name in FIELDS if hasattr(record, name)}
        if record.exc_info:
            line["error"] = mask(self.formatException(record.exc_info))
        return json.dumps(line)


def early(level: int, message: str, log_format: str) -> None:
    """A line `shim serve` writes before logging is set up, in the format chosen for the rest."""
    if log_format == "json":
        record = logging.makeLogRecord(
            {
                "name": "shim",
                "levelno": level,
                "levelname": logging.getLevelName(level),
                "msg": message,
            }
        )
        line = JSONLines().format(record)
    else:
        line = f"shim: {logging.getLevelName(level).lower()}: {message}"
    print(line, file=sys.stderr)


def config(log_format: str = "text") -> dict[str, Any]:
    """uvicorn's logging configuration with `Redact` on every handler and the shim's own lines
    (the root logger) on the default handler; vcrpy says only what goes wrong. With `json`,
    every handler writes `JSONLines`."""
    settings = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    settings["filters"] = {"redact": {"()": Redact}}
    settings["formatters"]["shim"] = {"format": "%(levelname)-9s %(name)s: %(message)s"}
    if log_format == "json":
        for name in settings["formatters"]:
            settings["formatters"][name] = {"()": JSONLines}
    settings["handlers"]["shim"] = {
        "formatter": "shim",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    for handler in settings["handlers"].values():
        handler["filters"] = ["redact"]
    settings["root"] = {"handlers": ["shim"], "level": "INFO"}
    settings["loggers"]["vcr"] = {"level": "WARNING"}
    # Each v2 call is on its request's line (`shim.edge.requests_log`): httpx2's own says
    # only what goes wrong.
    settings["loggers"]["httpx2"] = {"level": "WARNING"}
    return settings
