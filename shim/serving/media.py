"""Serving v1.1's media upload and alt text on v2 (`mappings.uploads`), the media streamed.

A multipart body is authenticated before a byte of it is read: RFC 5849 §3.4.1.3 signs a form
body only when it is `application/x-www-form-urlencoded`, so the query and the OAuth parameters
are all a multipart request's signature covers. Its fields are then read as they come; once its
`media` (or `media_data`) part begins, v2's call is made of the fields so far and the part goes
on to v2 as it arrives, within the route's limits (`shim.edge.limits.BodyLimit`: the upload
limit, the read deadline per chunk). A media part before any `command` field is held on disk
until the body ends instead, since its command may follow it (Python Twitter Tools writes every
field after the media). INIT, FINALIZE and STATUS carry no media and are flows driven like a
translated endpoint's. The upload holds its caller's slot, and no other.
"""

import asyncio
import json
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from mappings import uploads
from mappings.compare import Outcome
from mappings.errors import V11Error
from mappings.types import Flow, V2Reply, V11Reply, V11Request
from shim.edge.limits import target
from shim.errors import ShellError, TooManyParameters, answer
from shim.responses import render
from shim.serving import multipart
from shim.serving.exchange import Exchange, follow_up
from shim.serving.identity import Call
from shim.serving.lifespan import Resources
from shim.serving.multipart import END, Head
from shim.serving.translated import v11_params
from shim.upstream import uploads as upstream_uploads
from shim.upstream.client import within

UPLOAD, MOST_FIELDS = uploads.UPLOAD, uploads.MOST_FIELDS
UPLOADED, DESCRIBED = uploads.NAMES
HELD_CHUNK = 256 * 1024  # bytes read back from a held media part at a time


@dataclass(frozen=True, slots=True)
class Media:
    """The two media routes, over what the lifespan opened."""

    resources: Resources

    async def upload(self, request: Request) -> Response:
        """POST (and GET, for STATUS) /1.1/media/upload.json."""
        split = multipart.boundary(request.headers.get("content-type", ""))
        # A multipart body is not signed: it is read after the signature is checked.
        body = b"" if split is not None else await request.body()
        call = await self.resources.identity.authenticate(request, body, app_only=False)
        query = target(request.scope)[1]
        params = v11_params(query, body, request.headers.get("content-type", ""))
        if split is None:
            return await self.answer(call, UPLOADED, lambda: self.command(call, params))
        return await self.answer(call, UPLOADED, lambda: self.streamed(call, split, params))

    async def metadata(self, request: Request) -> Response:
        """POST /1.1/media/metadata/create.json: a JSON body, as v1.1 took it."""
        body = await request.body()
        call = await self.resources.identity.authenticate(request, body, app_only=False)
        try:
            given = json.loads(body)
        except ValueError:
            given = None
        name = DESCRIBED
        return await self.answer(call, name, lambda: self.driven(call, uploads.metadata(given)))

    async def answer(
        self, call: Call, name: str, work: Callable[[], Awaitable[V11Reply]]
    ) -> Response:
        """The work's v1.1 answer, done within the caller's slot, then the after-steps."""
        started = time.monotonic()
        try:
            with self.resources.slots.holding(call.credentials.key):
                reply = await work()
            served = Outcome(reply.status, reply.body)
            if reply.body is None:  # v1.1's empty answers: APPEND's 204, alt text's 200
                response = Response(status_code=reply.status, headers=dict(reply.headers))
            else:
                response = render(reply.status, reply.body, reply.headers)
        except (V11Error, ShellError) as error:
            failed = answer(error)
            response = render(failed.status, failed.body(), failed.headers)
            served = Outcome(failed.status, failed.body())
        seconds = time.monotonic() - started
        exchange = Exchange(call, "v2", response, seconds, served=served, label=name)
        await follow_up(self.resources.after, exchange)
        return response

    async def driven(self, call: Call, flow: Flow) -> V11Reply:
        return await within(self.resources.settings.upstream_timeout, flow, call.send)

    async def command(self, call: Call, params: tuple[tuple[str, str], ...]) -> V11Reply:
        """A command without media (INIT, FINALIZE, STATUS) in the query or a form body."""
        todo = uploads.parse(V11Request(call.request.method, UPLOAD, params), None)
        assert not isinstance(todo, uploads.Simple | uploads.Append)  # no media part: a flow
        return await self.driven(call, todo)

    async def streamed(
        self, call: Call, split: bytes, params: tuple[tuple[str, str], ...]
    ) -> V11Reply:
        """A multipart body: its fields, then its media streamed to v2, or a command's flow.
        A media part that comes before any `command` is held on disk until the body ends: a
        command may follow it (Python Twitter Tools writes its fields after the media)."""
        fields, part, held = list(params), "", None
        events = multipart.events(call.request.stream(), split)
        try:
            async for event in events:
                if not isinstance(event, Head):
                    continue
                if event.name not in uploads.MEDIA_PARTS or part:
                    fields.append((event.name, await _value(events, fields)))
                    continue
                part = event.name
                if all(name != "command" for name, _ in fields):
                    held = await Held.of(_pieces(events))
                    continue
                todo = uploads.parse(V11Request("POST", UPLOAD, tuple(fields)), part)
                if isinstance(todo, uploads.Simple | uploads.Append):
                    reply = await self.send(call, todo, _pieces(events))
                    async for _ in events:  # what follows the media, dropped
                        pass
                    return uploads.answered(todo, reply)
                async for _ in _pieces(events):  # a command that takes no media: dropped
                    pass
            todo = uploads.parse(V11Request("POST", UPLOAD, tuple(fields)), part or None)
            if not isinstance(todo, uploads.Simple | uploads.Append):
                return await self.driven(call, todo)
            assert held is not None  # a media part with a command before it went on at once
            return uploads.answered(todo, await self.send(call, todo, held.chunks()))
        finally:
            if held is not None:
                held.close()

    async def send(
        self, call: Call, todo: uploads.Streamed, pieces: AsyncIterator[bytes]
    ) -> V2Reply:
        """Stream the media part's pieces to v2 as v2's own multipart body."""
        boundary = multipart.new_boundary()

        async def body() -> AsyncIterator[bytes]:
            for name, value in todo.fields:
                yield multipart.field(boundary, name, value)
            yield multipart.file_head(boundary, "media")
            taken = uploads.Bytes(todo)
            async for piece in pieces:
                if sent := taken.take(piece):
                    yield sent
            taken.end()
            yield multipart.closing(boundary)

        return await upstream_uploads.stream(
            self.resources.upstream,
            uploads.streamed_path(todo),
            f"multipart/form-data; boundary={boundary}",
            body(),
            call.credentials.auth(),
        )


async def _pieces(events: AsyncIterator[multipart.Event]) -> AsyncIterator[bytes]:
    """The current part's data, until its end."""
    async for piece in events:
        if piece is END:
            return
        assert isinstance(piece, bytes)
        yield piece


async def _value(events: AsyncIterator[multipart.Event], fields: list[tuple[str, str]]) -> str:
    """A field's value; all the fields together are bounded (MOST_FIELDS)."""
    value, size = b"", sum(len(name) + len(text) for name, text in fields)
    async for piece in _pieces(events):
        size += len(piece)
        if size > MOST_FIELDS:
            raise TooManyParameters
        value += piece
    return value.decode("utf-8", "replace")


class Held:
    """A media part kept in a temporary file, which the system removes once it is closed; the
    edge's upload limit bounds it. Written and read on a worker thread: a disk may stall."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by `close`, in a finally)

    @classmethod
    async def of(cls, pieces: AsyncIterator[bytes]) -> "Held":
        held = cls()
        try:
            async for piece in pieces:
                await asyncio.to_thread(held.file.write, piece)
        except BaseException:
            held.close()
            raise
        return held

    async def chunks(self) -> AsyncIterator[bytes]:
        await asyncio.to_thread(self.file.seek, 0)
        while chunk := await asyncio.to_thread(self.file.read, HELD_CHUNK):
            yield chunk

    def close(self) -> None:
        self.file.close()
