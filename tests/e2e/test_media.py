"""A bot that uploads media and posts it, unchanged, with v1.1 refusing everything upstream:
tweepy 4's `API.media_upload` (a PNG simple, a GIF and an MP4 chunked) and `update_status
(media_ids=…)`, python-twitter's `PostUpdate(media=…)` through its base URL, and twython's
`upload_media` and `upload_video` on their hard-coded upload.twitter.com, led to the shim by a
hosts file, `shim certs` for both hosts and SHIM_PUBLIC_URL naming both."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tweepy
from twitter import OAuth, Twitter

from tests.e2e import processes, redirect
from tests.e2e.conftest import Server
from tests.e2e.media_files import GIF, MP4, PNG, written
from tests.e2e.test_follows import no_v11
from tests.e2e.test_unchanged_clients import PYTHON_TWITTER, ROOT, session
from tests.fakes import (
    ALICE,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    ERRORS,
    FakeV2,
    FakeV2App,
    twitter_user,
    v2_response,
)
from tests.servers import serving

pytestmark = pytest.mark.e2e

V11_MEDIA = ("/1.1/media/upload.json", "/1.1/media/metadata/create.json")


def refuse_v11(fake: FakeV2) -> None:
    """The upstream answering v1.1's media and Tweet calls as a tier without v1.1 access."""
    for path in (*V11_MEDIA, "/1.1/statuses/update.json"):
        fake.canned[("POST", path)] = v2_response(403, ERRORS["tier_without_access"])


def posted_media(fake: FakeV2) -> list[list[str]]:
    """The media ids each POST /2/tweets attached."""
    bodies = [
        json.loads(c.content) for c in fake.calls if (c.method, c.url.path) == ("POST", "/2/tweets")
    ]
    return [body.get("media", {}).get("media_ids", []) for body in bodies]


def test_tweepy_uploads_a_picture_a_gif_and_a_clip_and_posts_them(
    server: Server, tweepy_api, tmp_path: Path
):
    refuse_v11(server.fake)
    files = written(tmp_path)
    api = tweepy_api()
    api.upload_host = server.host  # tweepy's own option: where a bot's uploads go

    picture = api.media_upload(str(files["png"]))
    loop = api.media_upload(str(files["gif"]), chunked=True, media_category="tweet_gif")
    clip = api.media_upload(str(files["mp4"]), media_category="tweet_video")
    api.create_media_metadata(picture.media_id, "a banner")
    status = api.update_status(
        "three at once", media_ids=[picture.media_id, loop.media_id_string, clip.media_id]
    )

    assert isinstance(picture, tweepy.models.Media)
    assert (picture.size, picture.image["image_type"]) == (len(PNG), "image/png")
    assert loop.processing_info["state"] == clip.processing_info["state"] == "succeeded"
    kept = server.fake.uploads.uploads
    assert [kept[m.media_id_string].data for m in (picture, loop, clip)] == [PNG, GIF, MP4]
    assert kept[picture.media_id_string].alt_text == "a banner"
    assert [kept[m.media_id_string].category for m in (loop, clip)] == ["tweet_gif", "tweet_video"]
    assert posted_media(server.fake) == [[m.media_id_string for m in (picture, loop, clip)]]
    assert status.text == "three at once"
    no_v11(server)


def test_python_twitter_tools_writes_its_fields_after_the_media(
    server: Server, monkeypatch: pytest.MonkeyPatch
):
    """Python Twitter Tools' upload, as its README shows it: its own multipart body, boundary
    `###Python-Twitter###`, the media first and every field after it, OAuth in the query."""
    refuse_v11(server.fake)
    monkeypatch.setenv("SSL_CERT_FILE", server.ca_file)
    auth = OAuth(ALICE.token, ALICE.secret, CONSUMER_KEY, CONSUMER_SECRET)
    upload = Twitter(auth=auth, domain=server.host)  # its upload.twitter.com, the shim here
    tools = Twitter(auth=auth, domain=server.host)

    picture = upload.media.upload(media=PNG)["media_id_string"]
    init = upload.media.upload(command="INIT", total_bytes=len(GIF), media_type="image/gif")
    loop = init["media_id_string"]
    half = len(GIF) // 2
    for index, chunk in enumerate((GIF[:half], GIF[half:])):
        upload.media.upload(command="APPEND", media_id=loop, segment_index=index, media=chunk)
    upload.media.upload(command="FINALIZE", media_id=loop)
    tools.statuses.update(status="PTT", media_ids=f"{picture},{loop}")

    kept = server.fake.uploads.uploads
    assert (kept[picture].data, kept[loop].data) == (PNG, GIF)
    assert posted_media(server.fake) == [[picture, loop]]
    no_v11(server)


def test_python_twitter_posts_a_picture_and_a_gif(server: Server, tmp_path: Path):
    if not (PYTHON_TWITTER / "twitter").is_dir():
        pytest.fail(f"python-twitter is not in {PYTHON_TWITTER}: run scripts/install")
    refuse_v11(server.fake)
    written(tmp_path)
    env = {
        "PYTHONPATH": os.pathsep.join([str(PYTHON_TWITTER), str(ROOT)]),
        "REQUESTS_CA_BUNDLE": server.ca_file,
    }

    seen = session(
        "python-twitter",
        str(tmp_path),
        f"https://{server.host}/1.1",
        env=env,
        module="tests.e2e.legacy_media",
    )

    assert seen["texts"] == ["a picture", "a loop"]
    kept = server.fake.uploads.uploads
    assert sorted(upload.data for upload in kept.values()) == sorted([PNG, GIF])
    assert [len(ids) for ids in posted_media(server.fake)] == [1, 1]
    no_v11(server)


def test_twython_uploads_to_its_upload_host_unchanged(tmp_path: Path):
    redirect.require_redirection()
    fake = FakeV2(twitter_user())
    refuse_v11(fake)
    written(tmp_path)
    certs = tmp_path / "certs"
    names = ("api.twitter.com", "upload.twitter.com")
    subprocess.run(
        [sys.executable, "-m", "shim", "certs", "--names", ",".join(names), "--out", str(certs)],
        check=True,
        capture_output=True,
    )
    ca = str(certs / "ca.pem")
    tls = (ca, str(certs / "server.pem"), str(certs / "server-key.pem"))
    address = redirect.loopback_address()
    public = {"SHIM_PUBLIC_URL": ",".join(f"https://{name}" for name in names)}
    with serving(FakeV2App(fake)) as port:
        upstream = f"http://127.0.0.1:{port}"
        shim, _ = processes.start(tmp_path, tls, upstream, port=443, host=address, env=public)
        try:
            seen = session(
                "twython",
                str(tmp_path),
                env={"REQUESTS_CA_BUNDLE": ca, "PYTHONPATH": str(ROOT)},
                prefix=redirect.redirected(tmp_path / "hosts", address, *names),
                module="tests.e2e.legacy_media",
            )
        finally:
            output = processes.stop(shim)

    kept = fake.uploads.uploads
    assert [kept[i].data for i in seen["ids"]] == [PNG, MP4]
    assert posted_media(fake) == [seen["ids"]]
    assert "Traceback" not in output
    assert ALICE.secret not in output
    assert not any(path.startswith("/1.1/") for _, path in fake.paths())
