"""A multipart/form-data body (RFC 7578) read as it arrives and written as it goes, never held.

`events` turns the body's chunks into a part's head (`Head`), its data as bytes, and `END`
where it ends; it keeps at most one chunk and a delimiter's length of bytes, and searches each
byte a bounded number of times, so its work is linear in the body. A part's head is bounded
(`MOST_HEAD`), as are the parts (`MOST_PARTS`). The writer is three small functions over one
boundary.
"""

import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

from shim.errors import BadMultipart

MOST_HEAD = 8 * 1024  # bytes of one part's headers: real clients send two short lines
MOST_PARTS = 32  # a v1.1 upload has at most six fields and the media
# RFC 2046's boundary is at most 70 of a few characters; clients Twitter took wrote others
# (Python Twitter Tools: `###Python-Twitter###`), so any but quotes, `;` and controls go.
BOUNDARY = re.compile(r'boundary=(?:"([^"\x00-\x1f]{1,70})"|([^";\s]{1,70}))\s*(?:;|$)')
NAME = re.compile(r'\bname="([^"]*)"')
FILENAME = re.compile(r'\bfilename="([^"]*)"')


@dataclass(frozen=True, slots=True)
class Head:
    """A part's head: its field name, and its file name where it names a file."""

    name: str
    filename: str | None


END = None
"""The event that ends a part's data."""

Event = Head | bytes | None


def boundary(content_type: str) -> bytes | None:
    """A multipart/form-data body's boundary, None for any other body."""
    kind, _, rest = content_type.partition(";")
    if kind.strip().lower() != "multipart/form-data":
        return None
    found = BOUNDARY.search(rest.strip())
    if found is None:
        raise BadMultipart
    return (found[1] or found[2]).encode("latin-1")


async def events(chunks: AsyncIterator[bytes], boundary: bytes) -> AsyncIterator[Event]:
    """The body's parts as events: each part's `Head`, its data in pieces, then `END`. A body
    that breaks the form (no first delimiter, a head too long, no closing delimiter, too many
    parts) raises `BadMultipart`."""
    delimiter = b"\r\n--" + boundary
    buffer = b"\r\n"  # the first delimiter has no line break before it: lend it one
    state, parts = "preamble", 0
    async for chunk in chunks:
        buffer += chunk
        while True:
            if state == "preamble":
                at = buffer.find(delimiter)
                if at < 0:
                    buffer = buffer[-len(delimiter) :]
                    break
                buffer, state = buffer[at + len(delimiter) :], "after"
            if state == "after":
                if len(buffer) < 2:
                    break
                if buffer.startswith(b"--"):
                    return
                if not buffer.startswith(b"\r\n"):
                    raise BadMultipart
                buffer, state = buffer[2:], "head"
            if state == "head":
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(buffer) > MOST_HEAD:
                        raise BadMultipart
                    break
                parts += 1
                if parts > MOST_PARTS or end > MOST_HEAD:
                    raise BadMultipart
                yield _head(buffer[:end])
                buffer, state = buffer[end + 4 :], "data"
            if state == "data":
                at = buffer.find(delimiter)
                if at < 0:
                    keep = len(delimiter) - 1
                    if len(buffer) > keep:
                        yield buffer[:-keep]
                        buffer = buffer[-keep:]
                    break
                if at:
                    yield buffer[:at]
                yield END
                buffer, state = buffer[at + len(delimiter) :], "after"
    raise BadMultipart  # the body ended before its closing delimiter


def _head(head: bytes) -> Head:
    text = head.decode("utf-8", "replace")
    disposition = next(
        (line for line in text.split("\r\n") if line.lower().startswith("content-disposition:")),
        "",
    )
    name, filename = NAME.search(disposition), FILENAME.search(disposition)
    if name is None:
        raise BadMultipart
    return Head(name[1], filename[1] if filename else None)


def new_boundary() -> str:
    return secrets.token_hex(16)


def field(boundary: str, name: str, value: str) -> bytes:
    """One field of a form written with this boundary."""
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
    return head.encode() + value.encode() + b"\r\n"


def file_head(boundary: str, name: str) -> bytes:
    """The head of a file part, its bytes to follow, then `closing`."""
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="blob"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()


def closing(boundary: str) -> bytes:
    return f"\r\n--{boundary}--\r\n".encode()
