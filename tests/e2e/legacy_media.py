"""A legacy client's media session, run in a child process as tests/e2e/legacy.py runs the
others: `python -m tests.e2e.legacy_media CLIENT FOLDER [BASE]`. Each uploads what a bot posts
and posts it, as it always has; the session prints what the client saw as one JSON object."""

import json
import sys
from pathlib import Path
from typing import Any

from tests.fakes import ALICE, CONSUMER_KEY, CONSUMER_SECRET


def twython(folder: Path) -> dict[str, Any]:
    """twython's upload_media (simple) and upload_video (chunked) on its hard-coded
    upload.twitter.com, then update_status with both."""
    from twython import Twython

    client = Twython(CONSUMER_KEY, CONSUMER_SECRET, ALICE.token, ALICE.secret)
    with (folder / "banner.png").open("rb") as png:
        picture = client.upload_media(media=png)
    with (folder / "clip.mp4").open("rb") as mp4:
        video = client.upload_video(mp4, "video/mp4", media_category="tweet_video")
    ids = [picture["media_id_string"], video["media_id_string"]]
    posted = client.update_status(status="a picture and a clip", media_ids=ids)
    return {"picture": picture, "video": video, "posted": posted["id_str"], "ids": ids}


def python_twitter(folder: Path, base_url: str) -> dict[str, Any]:
    """python-twitter's PostUpdate(media=…): a PNG (simple) and a GIF (chunked), then alt text."""
    import twitter  # python-twitter, from the folder scripts/install puts it in

    api = twitter.Api(
        CONSUMER_KEY,
        CONSUMER_SECRET,
        ALICE.token,
        ALICE.secret,
        base_url=base_url,
        upload_url=base_url,
    )
    with (folder / "banner.png").open("rb") as png:
        picture = api.PostUpdate("a picture", media=png)
    with (folder / "loop.gif").open("rb") as gif:
        loop = api.PostUpdate("a loop", media=gif)
    return {"posted": [picture.id_str, loop.id_str], "texts": [picture.text, loop.text]}


if __name__ == "__main__":
    name, folder, *rest = sys.argv[1:]
    if name == "twython":
        print(json.dumps(twython(Path(folder))))
    else:
        print(json.dumps(python_twitter(Path(folder), *rest)))
