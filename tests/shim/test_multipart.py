"""The multipart reader: the same parts however the body is cut into chunks, and the forms it
refuses; the writer's output read back."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from shim.errors import BadMultipart
from shim.serving import multipart
from shim.serving.multipart import END, Head

BODY = (
    b"--B\r\n"
    b'Content-Disposition: form-data; name="command"\r\n\r\n'
    b"APPEND\r\n"
    b"--B\r\n"
    b'Content-Disposition: form-data; name="media"; filename="x.png"\r\n'
    b"Content-Type: image/png\r\n\r\n"
    b"\r\n--\r\n-B\x00bytes\r\n"
    b"--B--\r\n"
)
PARTS = [("command", None, b"APPEND"), ("media", "x.png", b"\r\n--\r\n-B\x00bytes")]


async def chunked(body: bytes, size: int) -> AsyncIterator[bytes]:
    for at in range(0, len(body), size):
        yield body[at : at + size]


def parts(body: bytes, size: int) -> list[tuple[str, str | None, bytes]]:
    async def read() -> list[tuple[str, str | None, bytes]]:
        found: list[tuple[str, str | None, bytes]] = []
        async for event in multipart.events(chunked(body, size), b"B"):
            if isinstance(event, Head):
                found.append((event.name, event.filename, b""))
            elif event is not END:
                name, filename, data = found[-1]
                found[-1] = (name, filename, data + event)
        return found

    return asyncio.run(read())


@pytest.mark.parametrize("size", range(1, len(BODY) + 1))
def test_the_parts_are_the_same_however_the_body_is_cut(size):
    assert parts(BODY, size) == PARTS


def test_what_the_writer_writes_reads_back():
    body = multipart.field("Z", "segment_index", "3") + multipart.file_head("Z", "media")
    body += b"\x89PNG" + multipart.closing("Z")

    async def read() -> list[object]:
        return [event async for event in multipart.events(chunked(body, 7), b"Z")]

    events = asyncio.run(read())

    assert [e for e in events if isinstance(e, Head)] == [
        Head("segment_index", None),
        Head("media", "blob"),
    ]
    assert b"".join(e for e in events if isinstance(e, bytes)) == b"3\x89PNG"


@pytest.mark.parametrize(
    "body",
    [
        b"no delimiter at all",
        b"--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--\r\n",  # no name
        b"--B\r\n" + b"X" * 10_000 + b"\r\n\r\n",  # a head past its bound
        b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nnever closed',
        b"--B\r\n"
        + b'Content-Disposition: form-data; name="a"\r\n\r\n\r\n--B\r\n' * 33
        + b"--B--\r\n",
    ],
)
def test_a_broken_form_is_refused(body):
    with pytest.raises(BadMultipart):
        parts(body, 64)


@pytest.mark.parametrize(
    ("content_type", "found"),
    [
        ("multipart/form-data; boundary=Tw3ePy", b"Tw3ePy"),
        ('multipart/form-data; boundary="a b"; charset=utf-8', b"a b"),
        ("application/x-www-form-urlencoded", None),
        ("", None),
    ],
)
def test_the_boundary_is_read_from_the_content_type(content_type, found):
    assert multipart.boundary(content_type) == found
