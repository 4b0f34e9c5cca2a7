"""The simulated X's side of the three-legged sign-in: oauth/request_token, the page where the
user approves the app (approved at once, as @dave), and oauth/access_token, which grants
`DAVE`'s token to whoever brings the verifier."""

from urllib.parse import urlencode

import httpx2

from shim.sandbox.answers import DAVE, REQUEST_TOKEN, VERIFIER, Token
from shim.sandbox.signatures import granted, oauth_params, signed_by

SIGNED_IN = "dave"  # the screen name of the user whom signing in grants `DAVE`
PATHS = ("/oauth/request_token", "/oauth/access_token", "/oauth/authorize", "/oauth/authenticate")


class SignIn:
    """Answers the sign-in's steps; a granted token joins `tokens`, the simulated X's own."""

    def __init__(self, tokens: dict[str, Token]) -> None:
        self.tokens = tokens
        self.callback = "oob"  # where the user's browser goes once it has authorized

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path in ("/oauth/authorize", "/oauth/authenticate"):
            return self.authorize(request)
        return self.token(request)

    def token(self, request: httpx2.Request) -> httpx2.Response:
        """oauth/request_token, then oauth/access_token with the verifier the user got."""
        params = oauth_params(request)
        if request.url.path == "/oauth/request_token":
            if "oauth_callback" in params and signed_by(request, params, None):
                self.callback = params["oauth_callback"]
                return granted(REQUEST_TOKEN, oauth_callback_confirmed="true")
        elif (
            params.get("oauth_token") == REQUEST_TOKEN.token
            and params.get("oauth_verifier") == VERIFIER
            and signed_by(request, params, REQUEST_TOKEN)
        ):
            self.tokens[DAVE.token] = DAVE
            return granted(DAVE, user_id=DAVE.user_id, screen_name=SIGNED_IN)
        return httpx2.Response(
            401, json={"errors": [{"code": 32, "message": "Could not authenticate you."}]}
        )

    def authorize(self, request: httpx2.Request) -> httpx2.Response:
        """The page where the user approves the app: the simulated X approves at once, as
        @dave, sending the browser to the app's callback with the verifier, or (`oob`) showing
        the PIN to type into the app."""
        if request.url.params.get("oauth_token") != REQUEST_TOKEN.token:
            return httpx2.Response(400, text="Sandbox: no such request token.\n")
        if self.callback != "oob":
            verified = {"oauth_token": REQUEST_TOKEN.token, "oauth_verifier": VERIFIER}
            glue = "&" if "?" in self.callback else "?"
            return httpx2.Response(
                302, headers={"location": self.callback + glue + urlencode(verified)}
            )
        page = f"Simulated X (sandbox): signed in as @{SIGNED_IN}. The PIN is {VERIFIER}.\n"
        return httpx2.Response(200, text=page)
