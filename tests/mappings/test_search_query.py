"""v1.1's search query in v2's language (`mappings/search_query.py`): a table of real v1.1
queries, and properties over any text."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mappings.search_query import MOST_V2, Query, QueryError, rewrite

# Real v1.1 queries: tweepy's recording (`q=tweepy`), X's standard-operator examples and the
# queries of the follow bots and client docs they come from (igorbrigadir/twitter-advanced-search).
TABLE = [
    ("tweepy", "tweepy", {}),
    ("watching now", "watching now", {}),
    ('"happy hour"', '"happy hour"', {}),
    ("love OR hate", "love OR hate", {}),
    ("beer -root", "beer -root", {}),
    ("#haiku", "#haiku", {}),
    ("from:interior", "from:interior", {}),
    ("to:NASA", "to:NASA", {}),
    ("@NASA", "@NASA", {}),
    ("$TWTR", "$TWTR", {}),
    ("puppy filter:media", "puppy has:media", {}),
    ("puppy -filter:retweets", "puppy -is:retweet", {}),
    ("cat filter:images", "cat has:images", {}),
    ("cat filter:native_video", "cat has:videos", {}),
    ("hilarious filter:links", "hilarious has:links", {}),
    ("news filter:verified", "news is:verified", {}),
    ("from:nasa filter:replies", "from:nasa is:reply", {}),
    ("news url:nytimes.com lang:en", "news url:nytimes.com lang:en", {}),
    ("superhero since:2015-12-21", "superhero", {"start_time": "2015-12-21T00:00:00Z"}),
    ("puppy until:2015-12-21", "puppy", {"end_time": "2015-12-21T00:00:00Z"}),
    ("#bot since_id:5 max_id:9", "#bot", {"since_id": "5", "until_id": "10"}),
    # v1.1's OR binds tighter than its implicit AND; v2's AND binds tighter.
    ("#follow #giveaway OR #contest", "#follow (#giveaway OR #contest)", {}),
    ("retweet OR rt to win -filter:retweets", "(retweet OR rt) to win -is:retweet", {}),
    ("(a OR b) c", "(a OR b) c", {}),
    ("a (b c) OR d", "a ((b c) OR d)", {}),
]


@pytest.mark.parametrize(("v11", "v2", "params"), TABLE)
def test_real_queries(v11: str, v2: str, params: dict[str, str]):
    assert rewrite(v11) == Query(v2, params)


@pytest.mark.parametrize(
    ("v11", "says"),
    [
        ("", "no search term"),
        ("   ", "no search term"),
        ("since:2020-01-01", "no search term"),
        ("movie -scary :)", ":)"),
        ("flight :(", ":("),
        ("traffic ?", "?"),
        ("near:NYC within:15mi", "near:NYC"),
        ("kitten filter:safe", "filter:safe"),
        ("(a OR b", "'('"),
        ("a OR b)", "')'"),
        ("OR a", "OR"),
        ("a OR", "OR"),
        ('"unclosed', "'\"'"),
        ("a since:2020-02-30", "YYYY-MM-DD"),
        ("a -since:2020-01-01", "negated"),
        ("a OR until:2020-01-01", "OR"),
        ("since:2020-01-01 OR a", "OR"),
        ("a max_id:x", "Tweet id"),
        ("a -(b c)", "'-'"),
        ("x" * 501, "at most 500"),
    ],
)
def test_what_v2_cannot_say_is_refused_with_why(v11: str, says: str):
    with pytest.raises(QueryError, match=re.escape(says)):
        rewrite(v11)


def test_v2s_query_limit_is_kept():
    """Operators grow (`filter:links` → `has:links` is shorter, `a b OR c` gains parentheses):
    the v2 text is measured too."""
    long = " ".join(["a b OR c"] * 40)  # 359 characters in v1.1, 439 parenthesised in v2
    assert len(rewrite(long).text) <= MOST_V2
    with pytest.raises(QueryError, match="at most 512"):
        rewrite(" ".join(["a b OR c"] * 55))  # 494 in v1.1, 604 in v2


def test_the_lang_parameter_is_anded_with_the_whole_query():
    assert rewrite("a OR b", also=("lang:en",)).text == "(a OR b) lang:en"


WORDS = st.sampled_from(
    [
        "a",
        "b",
        "OR",
        "(",
        ")",
        '"',
        "-",
        "-x",
        ":)",
        "?",
        "filter:links",
        "from:x",
        "since:2020-01-01",
        "max_id:7",
        "near:y",
        "#h",
        "@u",
        "$c",
        "url:x.com",
        '"p q"',
        "is:retweet",
        "has:media",
    ]
)


def balanced(text: str) -> bool:
    depth = 0
    for char in re.sub(r'"[^"]*"', "", text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


@given(st.one_of(st.text(max_size=200), st.lists(WORDS, max_size=30).map(" ".join)))
def test_any_text_is_rewritten_balanced_or_refused_and_rewriting_is_idempotent(q: str):
    try:
        query = rewrite(q)
    except QueryError:
        return
    assert balanced(query.text)
    assert 0 < len(query.text) <= MOST_V2
    assert rewrite(query.text).text == query.text


V2_QUERIES = st.lists(
    st.lists(
        st.sampled_from(["a", "-b", "#c", "@d", "from:e", "has:links", "-is:retweet"]),
        min_size=1,
        max_size=3,
    ),
    min_size=1,
    max_size=4,
)


@given(V2_QUERIES)
def test_a_query_already_in_v2s_shape_is_kept(items: list[list[str]]):
    """Every OR run in parentheses (or the whole query one run): v2's meaning is v1.1's."""
    if len(items) == 1:
        text = " OR ".join(items[0])
    else:
        text = " ".join(o[0] if len(o) == 1 else "(" + " OR ".join(o) + ")" for o in items)
    assert rewrite(text).text == text
