"""Field-level differences between a v1.1 answer and the shim's v2 translation of the same call.

As Twitter's Diffy does, a difference is noise when the same field also differs between two v1.1
answers to the same call (counts move, `status` changes). Differences this project knows of are
named, each with the phrase of the README row that explains it.
"""

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mappings.users import COLOURS, THEME


@dataclass(frozen=True, slots=True)
class Outcome:
    """One version's answer: HTTP status and decoded body (None when it was not JSON)."""

    status: int
    body: object

    @property
    def code(self) -> int | None:
        """The v1.1 error code, for an error answer."""
        errors = self.body.get("errors") if isinstance(self.body, dict) else None
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            code = errors[0].get("code")
            return code if isinstance(code, int) else None
        return None


@dataclass(frozen=True, slots=True)
class Difference:
    """One field that differs: `kind` is status, code, value, type, only-v1 or only-v2."""

    field: str
    kind: str
    v1: object
    v2: object
    noise: bool = False
    known: str | None = None


# Fields v2 has no source for, answered with v1.1's defaults (README, "Fields of the user object").
NO_V2_SOURCE = frozenset(
    {"geo_enabled", *THEME, *COLOURS, "translator_type", "is_translation_enabled"}
)
# friendships/show's keys v2 has no source for (docs/differences.md).
NO_RELATION = frozenset(
    {
        "live_following",
        "notifications_enabled",
        "can_dm",
        "blocked_by",
        "want_retweets",
        "all_replies",
        "marked_spam",
    }
)
# A Tweet's fields v2 has no source for, and the link a cut compat Tweet ends with where v1.1
# linked through t.co (docs/differences.md, "Fields of a Tweet v2 does not give").
TWEET_NO_V2_SOURCE = frozenset(
    {
        "possibly_sensitive_appealable",
        "metadata",
        "source",
        "quoted_status_permalink",
        "source_status_id",
        "source_status_id_str",
        "source_user_id",
        "source_user_id_str",
        "additional_media_info",
    }
)
COMPAT_LINK = "twitter.com/i/web/status/"
CURSOR_FIELDS = frozenset(
    {"next_cursor", "next_cursor_str", "previous_cursor", "previous_cursor_str"}
)

Known = Callable[[Difference, Outcome, Outcome], bool]

KNOWN: Mapping[str, tuple[str, Known]] = {
    "unmute-compared-twice": (
        "the version called second finds the user already unmuted",
        lambda d, v1, v2: (200, 272) in ((v1.status, v2.code), (v2.status, v1.code)),
    ),
    "no-v2-source": (
        "Fields of the user object v2 no longer has",
        lambda d, v1, v2: _leaf(d.field) in NO_V2_SOURCE,
    ),
    "status-from-v2": (
        "the most recent tweet (`expansions=most_recent_tweet_id`)",
        lambda d, v1, v2: d.field.startswith(("status.", "users[].status", "[].status.")),
    ),
    "muting-state": (
        "`muting` in the answer",
        lambda d, v1, v2: d.field == "muting",
    ),
    "page-size": (
        "list page size",
        lambda d, v1, v2: d.field in ("ids", "users") and d.kind == "value",
    ),
    "cursors": (
        "integers derived from v2's tokens",
        lambda d, v1, v2: d.field in CURSOR_FIELDS,
    ),
    "withheld-always": (
        "older v1.1 answers (2016, 2019) left it out when empty",
        lambda d, v1, v2: d.field.endswith("withheld_in_countries"),
    ),
    "following-state": (
        "`following` in a follow's answer",
        lambda d, v1, v2: d.field == "following",
    ),
    "follow-request-compared-twice": (
        "the version called second answers 160",
        lambda d, v1, v2: (200, 160) in ((v1.status, v2.code), (v2.status, v1.code)),
    ),
    "relationship-no-v2-source": (
        "`friendships/show` fields v2 has no source for",
        lambda d, v1, v2: d.field.startswith("relationship.") and _leaf(d.field) in NO_RELATION,
    ),
    "no-email": (
        "without `email`",
        lambda d, v1, v2: d.field == "email",
    ),
    "total-count": (
        "`total_count`",
        lambda d, v1, v2: d.field == "total_count",
    ),
    "timeline-count": (
        "how many Tweets a timeline page holds",
        lambda d, v1, v2: d.field == "" and isinstance(v1.body, list) and isinstance(v2.body, list),
    ),
    "tweet-mention-name": (
        "a mentioned user's `name` as it is now",
        lambda d, v1, v2: "user_mentions[]" in d.field and _leaf(d.field) == "name",
    ),
    "tweet-viewer-flags": (
        "the caller's own `favorited` and `retweeted`",
        lambda d, v1, v2: _leaf(d.field) in ("favorited", "retweeted"),
    ),
    "search-completed-in": (
        "`completed_in`, v1.1's own search time",
        lambda d, v1, v2: d.field == "search_metadata.completed_in",
    ),
    "tweet-no-v2-source": (
        "Fields of a Tweet v2 does not give",
        lambda d, v1, v2: _leaf(d.field) in TWEET_NO_V2_SOURCE or COMPAT_LINK in str(d.v2),
    ),
}


def differences(
    known: Collection[str], v1: Outcome, v2: Outcome, v1_again: Outcome | None = None
) -> list[Difference]:
    """What differs between v1.1's answer and the translation's, noise marked, and known ones
    named among the `known` differences the endpoint can show (its `Endpoint.known`)."""
    noisy = {(d.field, d.kind) for d in _raw(v1, v1_again)} if v1_again else set()
    return [
        Difference(
            d.field, d.kind, d.v1, d.v2, (d.field, d.kind) in noisy, _known(known, d, v1, v2)
        )
        for d in _raw(v1, v2)
    ]


def _raw(v1: Outcome, v2: Outcome) -> list[Difference]:
    found = []
    if v1.status != v2.status:
        found.append(Difference("(status)", "status", v1.status, v2.status))
    if v1.code != v2.code:
        found.append(Difference("(code)", "code", v1.code, v2.code))
    if v1.status == v2.status:
        found += _walk("", v1.body, v2.body)
    return found


def _walk(path: str, a: object, b: object) -> Iterator[Difference]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            field = f"{path}.{key}" if path else key
            if key not in b:
                yield Difference(field, "only-v1", _short(a[key]), None)
            elif key not in a:
                yield Difference(field, "only-v2", None, _short(b[key]))
            else:
                yield from _walk(field, a[key], b[key])
    elif (
        isinstance(a, list)
        and isinstance(b, list)
        and _objects(a)
        and _objects(b)
        and (len(a) == len(b))
    ):
        for x, y in zip(a, b, strict=True):
            yield from _walk(f"{path}[]", x, y)
    elif type(a) is not type(b) and not (a is None or b is None):
        yield Difference(path, "type", _short(a), _short(b))
    elif a != b:
        yield Difference(path, "value", _short(a), _short(b))


def _objects(items: list[Any]) -> bool:
    return all(isinstance(item, dict) for item in items)


def _known(known: Collection[str], difference: Difference, v1: Outcome, v2: Outcome) -> str | None:
    return next(
        (
            name
            for name, (_, applies) in KNOWN.items()
            if name in known and applies(difference, v1, v2)
        ),
        None,
    )


def _leaf(field: str) -> str:
    return field.rsplit(".", 1)[-1]


def _short(value: Any) -> Any:
    # Examples go into records and reports; a whole user object would drown them.
    text = repr(value)
    return value if len(text) <= 120 else text[:117] + "..."
