"""A legacy app written for tweepy 3.10, as the migration report meets one: `python -m
tests.e2e.legacy_app HOST`, run in a child process (tweepy 3 shares its import name with
tweepy 4). It reads its user and its mutes and mutes @Twitter (which the shim translates), asks
the API's configuration (passed through), reads a Tweet's retweets twice and searches users
(passed through, and refused by v1.1 for the app's tier), and lists its saved searches (which v2
cannot serve). It prints what it saw of each call as one JSON object."""

import json
import sys
from collections.abc import Callable
from typing import Any

from tests.fakes import ALICE, CONSUMER_KEY, CONSUMER_SECRET


def run(host: str) -> dict[str, Any]:
    import tweepy  # tweepy 3.x, from the folder scripts/install puts it in

    auth = tweepy.OAuthHandler(CONSUMER_KEY, CONSUMER_SECRET)
    auth.set_access_token(ALICE.token, ALICE.secret)
    api = tweepy.API(auth, host=host)

    def outcome(call: Callable[[], Any]) -> object:
        try:
            return call()
        except tweepy.TweepError as error:
            return {"status": error.response.status_code, "code": error.api_code}

    return {
        "me": api.verify_credentials().screen_name,
        "muted": api.create_mute("Twitter").screen_name,
        "mutes": [str(i) for i in api.mutes_ids()],
        "configuration": api.configuration()["path"],
        "retweets": [outcome(lambda: api.retweets(1234)) for _ in range(2)],
        "search": outcome(lambda: api.search_users("shim")),
        "saved": outcome(api.saved_searches),
    }


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1])))
