"""Either version's answer to a translated call: v1.1 passed through as it came, or the v2
translation, its flow given what the shell knows as values."""

from typing import Any

from starlette.responses import Response

from mappings.compare import Outcome
from mappings.endpoints import Endpoint, run
from mappings.errors import V11Error
from mappings.params import number
from mappings.routing import Backend
from mappings.types import Caller, Known, V11Reply, V11Request
from shim.errors import ShellError, answer, rendered
from shim.responses import decoded, render
from shim.serving import passthrough
from shim.serving.identity import Call
from shim.stores.protocols import Cache
from shim.upstream.client import Upstream, within


class Backends:
    """Answering a translated call as either version: v1.1 passed through as it came, or the
    v2 translation, its flow given what the shell knows as values."""

    def __init__(
        self, upstream: Upstream, callers: Cache[Caller], cursors: Cache[str], timeout: float
    ) -> None:
        self.upstream = upstream
        self.callers = callers
        self.cursors = cursors
        self.timeout = timeout

    async def answer(
        self, endpoint: Endpoint[Any], backend: Backend, call: Call
    ) -> tuple[Response, Outcome]:
        """One version's answer, as the client would get it and as data to compare."""
        try:
            if backend == "v1":
                response, content = await passthrough.exchange(
                    self.upstream, call.request, call.body, call.credentials.auth()
                )
                return response, Outcome(response.status_code, decoded(content))
            reply = await self.translate(endpoint, call)
            return render(reply.status, reply.body, reply.headers), Outcome(
                reply.status, reply.body
            )
        except (V11Error, ShellError) as error:  # the flow's refusal, or the shell's failure
            failed = answer(error)
            return rendered(failed), Outcome(failed.status, failed.body())

    async def known(self, call: Call) -> Known:
        """What the shell knows that the flow may use: the caller, the cursor's page token."""
        return Known(call.caller, await self.issued(self.v11(call).param("cursor")))

    async def translate(self, endpoint: Endpoint[Any], call: Call) -> V11Reply:
        """The v2 translation; what its flow returns to remember is remembered here."""
        flow = run(endpoint, self.v11(call), await self.known(call))
        done = await within(self.timeout, flow, call.send)
        if done.caller is not None:
            await self.callers.put(call.credentials.key, done.caller)
        reply = done.answer()
        for cursor, token in reply.cursors.items():
            await self.cursors.put(cursor, token)
        return reply

    @staticmethod
    def v11(call: Call) -> V11Request:
        """The v1.1 request of a call to a translated route, which always has one."""
        assert call.v11 is not None  # `Translated.serve` reads it before answering
        return call.v11

    async def issued(self, cursor: str | None) -> dict[str, str]:
        """The v2 page token the request's cursor stands for, if the shim issued it."""
        issued = number((cursor or "").removeprefix("-"))
        if issued is None:
            return {}
        token = await self.cursors.get(str(issued))
        return {str(issued): token} if token is not None else {}
