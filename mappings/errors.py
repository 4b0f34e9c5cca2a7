"""v1.1 errors: the code table, and which v1.1 error a v2 answer stands for.

A flow's refusals are `V11Error`s; the shell raises its own failures by cause (`shim/errors.py`),
whose one table gives their v1.1 codes; both are rendered as
`{"errors":[{"code":N,"message":"…"}]}`. Codes and messages are Twitter's published response-code
list (reference README, "v1.1 error codes"; for codes the reference lacks, the copy of that page in
wanggilim/Lively's TwitterErrorEnum.java, with egotter's checks of 144's and 179's messages):

    17  404 No user matches for specified terms.   a users/friendships lookup found nobody
    18  403 Too many terms specified in query.     more than 100 ids and names to look up
    25  400 Query parameters are missing.          search/tweets without `q` (quoted in
                                                   0xfuturistic/Twitter-Giveaways-Bot issue 20)
    32  401 Could not authenticate you.            bad signature, replayed nonce
    34  404 Sorry, that page does not exist.       unknown path or method
    38  403 … parameter is missing.                neither user_id nor screen_name
    44  400 attachment_url parameter is invalid.   statuses/update: neither a Tweet nor a DM link
    50  404 User not found.                        no such user, on a read (UNKNOWN_USER)
    63  403 User has been suspended.               target suspended
    64  403 Your account is suspended …            the caller is suspended
    87  403 Client is not permitted …              the app is not enrolled for v2
    88  429 Rate limit exceeded.                   upstream 429
    89  401 Invalid or expired token.              unknown or revoked access token
    108 403 Cannot find specified user.            no such target, on a write (UNKNOWN_USER)
    130 503 Over capacity.                         upstream unavailable or too slow
    131 500 Internal error.                        upstream 5xx or unreadable answer
    135 401 Timestamp out of bounds.               oauth_timestamp over 5 minutes off
    144 404 No status found with that ID.          a Tweet that is not there
    158 403 You can't follow yourself.             friendships/create: source == target
    161 403 You are unable to follow more people … v2 refused a follow for the follow limit
    163 403 Could not determine source user.       friendships/show: a source not the caller
    170 403 Missing required parameter: status.    statuses/update with no text, media or link (1)
    179 403 Sorry, you are not authorized …        a protected account's Tweet
    183 403 You may not delete another user's …    statuses/destroy of a Tweet not the caller's (2)
    186 403 Tweet needs to be a bit shorter.       v2 refused the text as too long
    187 403 Status is a duplicate.                 v2 refused duplicate content
    195 403 Missing or invalid url parameter.      a cursor this shim did not issue
    215 400 Bad Authentication data.               no or unparseable Authorization
    220 403 Your credentials do not allow …        v2 refused the token for this call
    251 410 This endpoint has been retired …       v2 has no replacement (mappings/unserved.py)
    271 403 You can't mute yourself.               source == target
    272 403 You are not muting the specified user. unmuting yourself
    324 400 The validation of media ids failed.    more than four media ids, or one not a number
    353 403 … requires a matching csrf cookie …    a cross-site post to the operator's switch
    385 403 You attempted to reply to a Tweet …    v2 refused a reply to a Tweet gone or hidden

(1) 170's message as clients matched it (a twitter4j app, id 15930621171 of the code index:
`e.getErrorMessage().equals("Missing required parameter: status.")`), its status as the 403
Twitter answered its other update refusals with. (2) 183's whole body as twitter4j reported it
(`{"errors":[{"code":183,"message":"You may not delete another user's status."}]}`, a test's
TwitterException, and tweet deleters matching the message), 403 as the other refusals.

and one older refusal without a code: 401 `{"request":"/1.1/friends/ids.json","error":"Not
authorized."}`, for a protected user's lists (twit's log in zehfernandes/twitter-following-map-
obsidian issue 4, 2021), here `NOT_AUTHORIZED`.
"""

from collections.abc import Mapping, Sequence

from mappings.types import NO_ANSWER, V2Reply

NOT_AUTHORIZED = 0  # the older refusal above, which had no code of its own
CODES: Mapping[int, tuple[int, str]] = {
    NOT_AUTHORIZED: (401, "Not authorized."),
    17: (404, "No user matches for specified terms."),
    18: (403, "Too many terms specified in query."),
    25: (400, "Query parameters are missing."),
    32: (401, "Could not authenticate you."),
    34: (404, "Sorry, that page does not exist."),
    38: (403, "screen_name or user_id parameter is missing."),
    44: (400, "attachment_url parameter is invalid."),
    50: (404, "User not found."),
    63: (403, "User has been suspended."),
    64: (403, "Your account is suspended and is not permitted to access this feature."),
    87: (403, "Client is not permitted to perform this action."),
    88: (429, "Rate limit exceeded."),
    89: (401, "Invalid or expired token."),
    108: (403, "Cannot find specified user."),
    130: (503, "Over capacity."),
    131: (500, "Internal error."),
    135: (401, "Timestamp out of bounds."),
    144: (404, "No status found with that ID."),
    179: (403, "Sorry, you are not authorized to see this status."),
    158: (403, "You can't follow yourself."),
    170: (403, "Missing required parameter: status."),
    183: (403, "You may not delete another user's status."),
    186: (403, "Tweet needs to be a bit shorter."),
    187: (403, "Status is a duplicate."),
    161: (403, "You are unable to follow more people at this time."),
    163: (403, "Could not determine source user."),
    195: (403, "Missing or invalid url parameter."),
    215: (400, "Bad Authentication data."),
    220: (403, "Your credentials do not allow access to this resource."),
    251: (410, "This endpoint has been retired and should not be used."),
    271: (403, "You can't mute yourself."),
    272: (403, "You are not muting the specified user."),
    324: (400, "The validation of media ids failed."),
    353: (403, "This request requires a matching csrf cookie and header."),
    385: (403, "You attempted to reply to a Tweet that is deleted or not visible to you."),
}

# What v1.1 answered for a user that does not exist (or cannot: a malformed id or name), by
# kind of endpoint. Writes: friendships/create answered 403, code 108 (codebird-php issue 88,
# 2014; geduldig/TwitterAPI issue 50, 2015, with its headers), and mutes/users/create is its
# sibling write; no recording of a mute shows it. Reads: users/show answered 404, code 50.
# Lists of a user's relations (friends/ids, followers/list, …) answered 404, code 34 (J7mbo/
# twitter-api-php issue 27; egg-mode issue 117).
UNKNOWN_USER: Mapping[str, int] = {"write": 108, "read": 50, "list": 34}

NOT_ENROLLED = (
    "Client is not permitted to perform this action. API v2 refused the shim's app "
    "(client-not-enrolled): attach the app whose SHIM_CONSUMER_KEY the shim uses to a Project "
    "in the X developer portal, then retry."
)

# v2 refusals that mean the app's access level (tier) or the token's permissions lack what a
# call needs: 453 from a tier (reference api-facts, v1.1 code table), and a plain 403.
ACCESS_CODES = frozenset({453, 220})
NOT_ENROLLED_CODE = 87  # the app outside a Project: its message says the fix
ACCESS_FIX = (
    "raise the app's access level in the X developer portal (Basic or higher allows user "
    "lookups and mutes), check the token's permissions (read and write), or route {endpoint} "
    "to v1 in the routing file"
)

RATE_LIMIT_HEADERS = ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")


class V11Error(Exception):
    """A failure the legacy client sees as a v1.1 error body."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
        status: int | None = None,
        request: str = "",
    ) -> None:
        known_status, default = CODES.get(code, (403, ""))
        super().__init__(f"{code} {message or default}")
        self.code = code
        self.status = status or known_status
        self.message = message or default
        self.headers: Mapping[str, str] = headers or {}
        self.request = request  # the v1.1 path, which NOT_AUTHORIZED's body names

    def body(self) -> dict[str, object]:
        """The v1.1 error body."""
        if self.code == NOT_AUTHORIZED:
            return {"request": self.request, "error": self.message}
        return {"errors": [{"code": self.code, "message": self.message}]}

    def at(self, path: str) -> "V11Error":
        """The same error, answering a request for `path`."""
        return V11Error(self.code, self.message, self.headers, self.status, path)


def for_access(error: V11Error, endpoint: str, access: str) -> V11Error:
    """A tier or permission refusal as an error that says what is missing and what to do."""
    if error.code not in ACCESS_CODES:
        return error
    message = (
        f"API v2 refused {endpoint} ({error.code}): the app's access level or the token's "
        f"permissions do not include {access or 'its v2 calls'}. "
        f"Fix: {ACCESS_FIX.format(endpoint=endpoint)}."
    )
    return V11Error(error.code, message, error.headers, error.status)


def rate_limit_headers(reply: V2Reply) -> dict[str, str]:
    """The `x-rate-limit-*` headers of a v2 reply, to pass on to the client."""
    return {name: reply.headers[name] for name in RATE_LIMIT_HEADERS if name in reply.headers}


def tightest(replies: Sequence[V2Reply]) -> dict[str, str]:
    """The `x-rate-limit-*` headers to answer with when one v1.1 call took several v2 calls:
    those of the window with the fewest calls left (the one that will refuse first), among the
    replies that state a whole, numeric window; else the first reply's."""
    whole = [
        found
        for found in map(rate_limit_headers, replies)
        if len(found) == len(RATE_LIMIT_HEADERS) and found["x-rate-limit-remaining"].isdigit()
    ]
    if whole:
        return min(whole, key=lambda found: int(found["x-rate-limit-remaining"]))
    return rate_limit_headers(replies[0]) if replies else {}


def raise_for_v2(
    reply: V2Reply, *, unknown_user: int = UNKNOWN_USER["read"], hidden: int = NOT_AUTHORIZED
) -> None:
    """Raise the V11Error a v2 reply stands for; return when it is a usable success. A lookup
    that found no user raises `unknown_user` (a write's or a read's, from UNKNOWN_USER; for a
    Tweet, 144), one v2 may not show the caller `hidden` (a protected user's lists: v1.1's
    older "Not authorized."; a Tweet: 179)."""
    if reply.status == NO_ANSWER or reply.status in (502, 503, 504):
        raise V11Error(130)
    if reply.status == 429:
        raise V11Error(88, headers=rate_limit_headers(reply))
    if reply.status >= 500 or not isinstance(reply.body, dict):
        raise V11Error(131)
    if reply.status == 401:
        # The shim checked the signature with the same consumer key, so v2 refusing it means the
        # token itself was revoked or lost its access (reference README: code 89).
        raise V11Error(89)
    legacy = _legacy_error(reply)
    if legacy is not None:
        raise legacy
    if reply.status == 403:
        raise _forbidden(reply.body)
    if reply.status >= 400:
        raise V11Error(131)
    if "errors" in reply.body and "data" not in reply.body:
        # v2 reports a missing user as HTTP 200 with an "errors" array (reference README).
        raise _resource_error(reply.body["errors"], unknown_user, hidden)


def words(body: Mapping[str, object]) -> str:
    """The words of a v2 refusal: its title, detail and each error's message and detail."""
    errors = body.get("errors")
    entries = [e for e in errors if isinstance(e, Mapping)] if isinstance(errors, list) else []
    texts = [body.get("title"), body.get("detail")]
    texts += [entry.get(key) for entry in entries for key in ("message", "detail")]
    return " ".join(text for text in texts if isinstance(text, str))


def _legacy_error(reply: V2Reply) -> V11Error | None:
    """Some v2 refusals arrive already v1.1-shaped, e.g. code 453 for a tier without access."""
    errors = reply.body.get("errors") if isinstance(reply.body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        code, message = errors[0].get("code"), errors[0].get("message")
        if isinstance(code, int) and isinstance(message, str):
            return V11Error(code, message, status=reply.status if reply.status >= 400 else None)
    return None


def _forbidden(body: Mapping[str, object]) -> V11Error:
    """A v2 403: the app is not enrolled, the caller is suspended, or the token lacks access."""
    if body.get("reason") == "client-not-enrolled":
        return V11Error(NOT_ENROLLED_CODE, NOT_ENROLLED)
    if str(body.get("type", "")).endswith("/user-suspended"):
        return V11Error(64)
    return V11Error(220)


def _resource_error(errors: object, unknown_user: int, hidden: int) -> V11Error:
    """The v1.1 error for a v2 lookup that found no usable user."""
    first = errors[0] if isinstance(errors, list) and errors else {}
    detail = str(first.get("detail", "")) if isinstance(first, dict) else ""
    if "suspended" in detail.lower():
        return V11Error(63)
    if isinstance(first, dict) and str(first.get("type", "")).endswith(
        "/not-authorized-for-resource"
    ):
        return V11Error(hidden)  # a protected account the caller does not follow
    return V11Error(unknown_user)
