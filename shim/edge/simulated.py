"""The sandbox's mark (`shim serve --sandbox`): every answer the shim gives in front of the
simulated X carries `x-shim-sandbox: simulated`, translated, passed through, sign-in and
refusal alike, so no one mistakes a sandbox's answers for X's."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = (b"x-shim-sandbox", b"simulated")


class Simulated:
    """ASGI middleware adding the sandbox's header to every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), HEADER]}
            await send(message)

        await self.app(scope, receive, marked)
