"""v1.1's standard search query (`search/tweets?q=`) rewritten in v2's query language.

A small parser, linear in the query's length: tokens (words, quoted phrases, parentheses, `OR`),
then one pass that groups them. Two things differ besides the operators' names:

- Precedence. v1.1 bound `OR` tighter than the implicit AND: `foo OR bar joe` was `(foo OR bar)
  joe` (ckoepp/TwitterSearch issue 24, 2015, tried on twitter.com/search; loklak, whose search
  followed Twitter's syntax: "OR binds stronger than AND", fossasia/loklak_webclient issue 347).
  v2 applies AND first: "apple OR iphone ipad would be evaluated as apple OR (iphone ipad)"
  (docs.x.com/x-api/posts/search/integrate/build-a-query, "Order of operations"). So every
  v1.1 OR run among other terms is written in parentheses: `a b OR c` → `a (b OR c)`.
- Dates and ids. v1.1's `since:`/`until:` (YYYY-MM-DD, until exclusive) and `since_id:`/`max_id:`
  (max_id inclusive) were query operators; v2 has them only as the parameters `start_time`,
  `end_time`, `since_id`, `until_id` (exclusive: max_id + 1), so they must stand alone, ANDed
  with the rest, not negated and not inside an OR.

What v2 cannot say (emoticons and `?`, which v1.1 read as attitude and question; `near:`,
`within:`, `filter:safe` and the other operators without a v2 twin) is refused, never dropped:
the search would silently mean something else.
"""

import re
from dataclasses import dataclass, field
from datetime import date

MOST_V11 = 500  # v1.1: "500 characters maximum, including operators"
MOST_V2 = 512  # v2 recent search's query limit on self-serve access (build-a-query page)

# v1.1 `filter:` operators and their v2 twins (igorbrigadir/twitter-advanced-search; the v2
# operator table on the build-a-query page).
FILTERS = {
    "links": "has:links",
    "retweets": "is:retweet",
    "nativeretweets": "is:retweet",
    "replies": "is:reply",
    "quote": "is:quote",
    "media": "has:media",
    "images": "has:images",
    "twimg": "has:images",
    "videos": "has:videos",
    "native_video": "has:videos",
    "verified": "is:verified",
    "hashtags": "has:hashtags",
    "mentions": "has:mentions",
}
# Operators both versions spell alike (v2's table), kept as written.
SAME = frozenset(
    {"from", "to", "url", "lang", "place", "list", "conversation_id", "is", "has", "place_country"}
)
PARAMETERS = {
    "since": "start_time",
    "until": "end_time",
    "since_id": "since_id",
    "max_id": "until_id",
}
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
ID = re.compile(r"[0-9]{1,19}")
OPERATOR = re.compile(r"-?([A-Za-z_]+):(.*)", re.S)
EMOTICONS = frozenset({":)", ":-)", ":(", ":-(", ":P", ":D", ":p", "?"})
# An emoticon first (its parenthesis is no group), a quoted phrase, a parenthesis, a word.
TOKENS = re.compile(r':-?[()]|-?"[^"]*"|[()]|[^\s()"]+|"')


class QueryError(ValueError):
    """The query cannot be said in v2's language; the message says why, for the client."""


@dataclass
class Query:
    """The v2 query and the v2 parameters v1.1's operators became."""

    text: str
    params: dict[str, str] = field(default_factory=dict)


def rewrite(q: str, also: tuple[str, ...] = ()) -> Query:
    """v1.1's `q` as a v2 query and parameters, or QueryError; `also`: v2 terms ANDed with
    it (the `lang` parameter's `lang:xx`)."""
    if len(q) > MOST_V11:
        raise QueryError(f"The query is {len(q)} characters; search takes at most {MOST_V11}.")
    tokens = TOKENS.findall(q)
    params: dict[str, str] = {}
    position = 0

    def group(depth: int) -> tuple[list[list[str]], bool]:
        """A run of ANDed items, each a list of ORed operands (already v2 text), and whether
        a `)` closed it."""
        nonlocal position
        items: list[list[str]] = []
        pending_or, closed = False, False
        while position < len(tokens):
            token = tokens[position]
            position += 1
            if token == ")":
                if depth == 0:
                    raise QueryError("The query has a ')' without its '('.")
                closed = True
                break
            if token == "OR":
                if not items or pending_or:
                    raise QueryError("OR needs a term on each side.")
                pending_or = True
                continue
            if token == "(":
                inner, inner_closed = group(depth + 1)
                if not inner_closed:
                    raise QueryError("The query has a '(' without its ')'.")
                operand = _parenthesised(inner)
                if operand is None:
                    raise QueryError("The query has an empty '()'.")
            else:
                operand = _term(token, params, alone=depth == 0 and not pending_or)
                if operand is None:
                    if _next(tokens, position) == "OR":
                        raise QueryError(f"{token} cannot be inside an OR: v2 takes it only alone.")
                    continue
            if pending_or:
                items[-1].append(operand)
                pending_or = False
            else:
                items.append([operand])
        if pending_or:
            raise QueryError("OR needs a term on each side.")
        return items, closed

    items = group(0)[0]
    text = _and([*items, *([term] for term in also)]) if items else ""
    if not text:
        raise QueryError("The query has no search term v2 can search for.")
    if len(text) > MOST_V2:
        raise QueryError(f"The query is {len(text)} characters in v2; it takes at most {MOST_V2}.")
    return Query(text, params)


def _next(tokens: list[str], position: int) -> str:
    return tokens[position] if position < len(tokens) else ""


def _and(items: list[list[str]]) -> str:
    """ANDed items; an OR run among others in parentheses, as v1.1 meant it."""
    if len(items) == 1:
        return " OR ".join(items[0])
    return " ".join(o[0] if len(o) == 1 else "(" + " OR ".join(o) + ")" for o in items)


def _parenthesised(items: list[list[str]]) -> str | None:
    if not items:
        return None
    if len(items) == 1 and len(items[0]) == 1:
        return items[0][0]  # `(a)` is `a`
    return "(" + _and(items) + ")"


def _term(token: str, params: dict[str, str], alone: bool) -> str | None:
    """One v1.1 term as v2 text, or None where it became a parameter."""
    if token == '"':
        raise QueryError("The query has a '\"' without its pair.")
    if token in EMOTICONS or token.lstrip("-") in EMOTICONS:
        raise QueryError(f"v2 cannot search by {token} (attitude or question).")
    if token == "-":
        raise QueryError("A '-' must stand before the term it excludes.")
    found = OPERATOR.fullmatch(token)
    if found is None or token.startswith(("http:", "https:", "-http:", "-https:")):
        return token
    name, value = found.group(1).lower(), found.group(2)
    negated = token.startswith("-")
    if name in PARAMETERS:
        if negated or not alone:
            raise QueryError(f"{token} cannot be negated or inside an OR: v2 takes it only alone.")
        params[PARAMETERS[name]] = _parameter(name, value)
        return None
    if name == "filter" and value.lower() in FILTERS:
        return ("-" if negated else "") + FILTERS[value.lower()]
    if name in SAME and value:
        return token
    raise QueryError(f"v2 has no operator for {token}.")


def _parameter(name: str, value: str) -> str:
    """A v1.1 date or id operator's value as the v2 parameter's."""
    if name in ("since", "until"):
        return day(value, name)
    if ID.fullmatch(value) is None:
        raise QueryError(f"{name}: takes a Tweet id.")
    return str(int(value) + 1) if name == "max_id" else str(int(value))


def day(value: str, name: str) -> str:
    """A v1.1 date (YYYY-MM-DD, a real day) as v2's time at its start."""
    try:
        found = date.fromisoformat(value) if DATE.fullmatch(value) else None
    except ValueError:
        found = None
    if found is None:
        raise QueryError(f"{name}: takes a date written YYYY-MM-DD.")
    return f"{found.isoformat()}T00:00:00Z"
