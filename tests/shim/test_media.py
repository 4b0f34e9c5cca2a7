"""v1.1's media upload on v2 through the app: the simple upload and the chunked one, alt text,
their refusals before any v2 call, and the body streamed under the upload route's own limits."""

import base64
import json
from typing import Any

import httpx2
import pytest
from starlette.responses import Response

from mappings.uploads import CHUNK, IMAGE, MOST_BODY
from tests.conftest import MakeClient
from tests.fakes import ALICE, BOB, Answer, FakeV2, load, sign

UPLOAD = "http://testserver/1.1/media/upload.json"
METADATA = "http://testserver/1.1/media/metadata/create.json"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 15  # a picture's head, then its bytes
RECORDED = load("reference/testmediauploadpng.decoded.json")["interactions"][0]["response"]["body"]


def multipart(fields: list[tuple[str, str]], media: tuple[str, bytes] | None) -> tuple[bytes, str]:
    """A multipart body as requests writes one: the fields first, then the file."""
    boundary = "e2e6d66300cf58566f2795e110673770"  # the recording's
    body = b""
    for name, value in fields:
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        body += value.encode() + b"\r\n"
    if media is not None:
        name, data = media
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '.encode()
        body += b'filename="banner.png"\r\n\r\n' + data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload(client, fields=(), media=None, url=UPLOAD, token=ALICE):
    body, content_type = multipart(list(fields), media)
    headers = sign("POST", url, token) | {"Content-Type": content_type}
    return client.post(url, content=body, headers=headers)


def command(client, method: str, **params: str):
    if method == "GET":
        url = f"{UPLOAD}?{httpx2.QueryParams(params)}"
        return client.get(url, headers=sign("GET", url))
    headers = sign("POST", UPLOAD, form=params) | {
        "Content-Type": "application/x-www-form-urlencoded"
    }
    return client.post(UPLOAD, content=str(httpx2.QueryParams(params)), headers=headers)


def media_calls(fake: FakeV2) -> list[tuple[str, str]]:
    return [(c.method, c.url.path) for c in fake.calls if c.url.path.startswith("/2/media")]


def test_a_simple_upload_is_v2s_and_answered_as_the_recording(make_client: MakeClient, fake_v2):
    answer = upload(make_client(), [("media_category", "TWEET_IMAGE")], ("media", PNG))

    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == set(RECORDED) | {"media_key"}
    assert (type(body["media_id"]), body["media_id_string"]) == (int, str(body["media_id"]))
    assert body["size"] == len(PNG)
    assert body["image"]["image_type"] == "image/png"
    assert media_calls(fake_v2) == [("POST", "/2/media/upload")]
    kept = fake_v2.uploads.uploads[body["media_id_string"]]
    assert (kept.data, kept.category) == (PNG, "tweet_image")


def test_media_data_in_base64_arrives_as_the_bytes(make_client: MakeClient, fake_v2):
    encoded = base64.encodebytes(PNG).decode()  # wrapped at 76 characters, as some clients do

    answer = upload(make_client(), [], ("media_data", encoded.encode()))

    assert answer.status_code == 200
    assert fake_v2.uploads.uploads[answer.json()["media_id_string"]].data == PNG


def test_a_chunked_upload_goes_through_initialize_append_finalize_and_status(
    make_client: MakeClient, fake_v2
):
    client = make_client()
    video = bytes(range(256)) * 45_000  # 11 MB: two chunks of 5 MB and a rest
    chunks = [video[i : i + CHUNK] for i in range(0, len(video), CHUNK)]

    init = command(
        client, "POST", command="INIT", total_bytes=str(len(video)), media_type="video/mp4"
    )
    media_id = init.json()["media_id_string"]
    appended = [
        upload(
            client,
            [("command", "APPEND"), ("media_id", media_id), ("segment_index", str(i))],
            ("media", chunk),
        )
        for i, chunk in enumerate(chunks)
    ]
    final = command(client, "POST", command="FINALIZE", media_id=media_id)
    first = command(client, "GET", command="STATUS", media_id=media_id)
    second = command(client, "GET", command="STATUS", media_id=media_id)

    assert init.status_code == 200
    assert set(init.json()) == {"media_id", "media_id_string", "media_key", "expires_after_secs"}
    assert [a.status_code for a in appended] == [204] * 3
    assert [a.content for a in appended] == [b""] * 3
    assert final.json()["processing_info"] == {"state": "pending", "check_after_secs": 1}
    assert first.json()["processing_info"]["state"] == "in_progress"
    assert second.json()["processing_info"] == {"state": "succeeded", "progress_percent": 100}
    kept = fake_v2.uploads.uploads[media_id]
    assert (kept.data, kept.category) == (video, "tweet_video")
    assert media_calls(fake_v2) == [
        ("POST", "/2/media/upload/initialize"),
        *[("POST", f"/2/media/upload/{media_id}/append")] * 3,
        ("POST", f"/2/media/upload/{media_id}/finalize"),
        ("GET", "/2/media/upload"),
        ("GET", "/2/media/upload"),
    ]


@pytest.mark.parametrize(
    ("fields", "media", "code"),
    [
        ([("command", "APPEND"), ("segment_index", "0")], ("media", b"x"), 38),
        (
            [("command", "APPEND"), ("media_id", "1"), ("segment_index", "1000")],
            ("media", b"x"),
            38,
        ),
        ([("command", "APPEND"), ("media_id", "1"), ("segment_index", "0")], None, 38),
        ([("media_category", "tweet_image")], None, 38),
        ([("command", "DELETE")], ("media", b"x"), 38),
        ([("additional_owners", "12,bob")], ("media", PNG), 38),
        ([], ("media_data", b"not base64!"), 324),
        ([], ("media", PNG + b"x" * IMAGE), 324),
        (
            [("command", "APPEND"), ("media_id", "1"), ("segment_index", "0")],
            ("media", b"x" * (CHUNK + 1)),
            324,
        ),
    ],
)
def test_bad_uploads_are_refused_and_v2_acts_on_none(
    make_client: MakeClient, fake_v2, fields, media, code
):
    """A body goes on to v2 as it arrives, so one found bad halfway may have begun to: it is cut
    off before its end, and v2 (the fake on its socket, as a real server) acts on no request
    whose body never ended."""
    answer = upload(make_client(), fields, media)

    assert answer.status_code in (400, 403)
    assert answer.json()["errors"][0]["code"] == code
    assert media_calls(fake_v2) == []


@pytest.mark.parametrize(
    "params",
    [
        {"command": "INIT", "total_bytes": str(512 * 1024 * 1024 + 1), "media_type": "video/mp4"},
        {"command": "INIT", "total_bytes": str(IMAGE + 1), "media_type": "image/png"},
        {"command": "INIT", "total_bytes": "12"},
        {"command": "FINALIZE"},
    ],
)
def test_bad_commands_are_refused_before_any_v2_call(make_client: MakeClient, fake_v2, params):
    answer = command(make_client(), "POST", **params)

    assert answer.status_code in (400, 403)
    assert answer.json()["errors"][0]["code"] in (38, 324)
    assert media_calls(fake_v2) == []


def test_a_gif_may_be_twice_an_images_size_and_more(make_client: MakeClient, fake_v2):
    gif = b"GIF89a" + b"\x00" * (2 * IMAGE)

    answer = upload(make_client(), [], ("media", gif))

    # Past the edge's SHIM_MAX_BODY (1 MiB): the upload route has its own limit.
    assert answer.status_code == 200
    assert fake_v2.uploads.uploads[answer.json()["media_id_string"]].data == gif


def test_v2s_refusal_of_the_media_is_v11s_324_with_its_words(make_client: MakeClient, fake_v2):
    client = make_client()
    init = command(client, "POST", command="INIT", total_bytes="10", media_type="image/gif")
    media_id = init.json()["media_id_string"]

    final = command(client, "POST", command="FINALIZE", media_id=media_id)

    assert final.status_code == 400
    assert final.json() == {
        "errors": [{"code": 324, "message": "Segments do not add up to provided total file size."}]
    }


def test_a_multipart_body_is_not_signed_but_the_query_is(make_client: MakeClient, fake_v2):
    """RFC 5849 §3.4.1.3: only a form-encoded body is in the signature base string."""
    client = make_client()
    url = f"{UPLOAD}?media_category=tweet_image"
    body, content_type = multipart([("anything", "else")], ("media", PNG))
    headers = sign("POST", url) | {"Content-Type": content_type}

    passed = client.post(url, content=body, headers=headers)
    tampered = client.post(f"{UPLOAD}?media_category=tweet_gif", content=body, headers=headers)

    assert passed.status_code == 200
    assert tampered.json()["errors"][0]["code"] == 32


def test_the_upload_limit_is_the_upload_routes_alone(make_client: MakeClient, fake_v2):
    client = make_client()
    big, content_type = multipart([], ("media", b"x" * (MOST_BODY + 1)))
    elsewhere = "http://testserver/1.1/statuses/update.json"
    over_a_mib, _ = multipart([("status", "hi")], ("media", b"x" * (2 * 1024 * 1024)))

    refused = client.post(
        UPLOAD, content=big, headers=sign("POST", UPLOAD) | {"Content-Type": content_type}
    )
    other = client.post(
        elsewhere,
        content=over_a_mib,
        headers=sign("POST", elsewhere) | {"Content-Type": content_type},
    )

    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (413, 195)
    assert other.status_code == 413
    assert fake_v2.calls == []


def test_alt_text_is_v2s_media_metadata(make_client: MakeClient, fake_v2):
    client = make_client()
    media_id = upload(client, [], ("media", PNG)).json()["media_id_string"]
    payload = json.dumps({"media_id": media_id, "alt_text": {"text": "a banner"}})
    headers = sign("POST", METADATA) | {"Content-Type": "application/json"}

    answer = client.post(METADATA, content=payload, headers=headers)
    missing = client.post(
        METADATA,
        content=json.dumps({"media_id": media_id}),
        headers=sign("POST", METADATA) | {"Content-Type": "application/json"},
    )

    assert (answer.status_code, answer.content) == (200, b"")
    assert fake_v2.uploads.uploads[media_id].alt_text == "a banner"
    assert missing.json()["errors"][0]["code"] == 38
    assert media_calls(fake_v2)[-1] == ("POST", "/2/media/metadata")


def test_an_upload_holds_its_callers_slot_and_no_other(make_client: MakeClient, fake_v2: FakeV2):
    seen: list[dict[str, Any]] = []
    client: Any = None

    def watching(request: httpx2.Request) -> Answer:
        resources = client.app.state.resources
        seen.append({"held": dict(resources.slots._held), "unverified": len(resources.unverified)})
        return fake_v2(request)

    client = make_client(watching, caller_concurrency=1)
    answer = upload(client, [], ("media", PNG), token=BOB)

    assert answer.status_code == 200
    upload_seen = seen[-1]  # BOB's token names no user: /2/users/me may come first
    assert list(upload_seen["held"].values()) == [1]
    assert upload_seen["unverified"] == 0


def test_the_media_streams_to_v2_over_a_real_socket(settings, tmp_path):
    """Through the shim's own transport (aiohttp): the body goes out chunked as it comes."""
    from dataclasses import replace

    from starlette.testclient import TestClient

    from shim.serving.app import create_app
    from tests.fakes import FakeV2App, twitter_user
    from tests.servers import serving

    fake = FakeV2(twitter_user())
    gif = b"GIF89a" + bytes(range(256)) * 8_000
    with serving(FakeV2App(fake)) as port:
        changed = replace(settings, upstream_url=f"http://127.0.0.1:{port}")
        with TestClient(create_app(changed)) as client:
            answer = upload(client, [("media_category", "tweet_image")], ("media", gif))

    assert answer.status_code == 200
    (sent,) = fake.calls
    assert "content-length" not in sent.headers
    assert fake.uploads.uploads[answer.json()["media_id_string"]].data == gif


@pytest.mark.parametrize(
    ("host", "signed_for", "code"),
    [
        ("upload.twitter.com", "https://upload.twitter.com", None),
        ("api.twitter.com", "https://api.twitter.com", None),
        # A request signed for the API host, replayed to the upload host: not what was signed.
        ("upload.twitter.com", "https://api.twitter.com", 32),
    ],
)
def test_each_host_is_verified_against_the_origin_it_was_signed_for(
    make_client: MakeClient, fake_v2, host, signed_for, code
):
    public = ("https://api.twitter.com", "https://upload.twitter.com")
    client = make_client(public_urls=public)
    body, content_type = multipart([], ("media", PNG))
    headers = sign("POST", f"{signed_for}/1.1/media/upload.json") | {
        "Content-Type": content_type,
        "Host": host,
    }

    answer = client.post(UPLOAD, content=body, headers=headers)

    if code is None:
        assert answer.status_code == 200
    else:
        assert answer.json()["errors"][0]["code"] == code


@pytest.mark.parametrize(
    ("path", "gaps", "status"),
    [
        ("/1.1/media/upload.json", [0.1] * 6, 200),  # each chunk in time, the whole past it
        ("/1.1/statuses/update.json", [0.1] * 6, 408),  # elsewhere the whole body is bounded
        ("/1.1/media/upload.json", [0.1, 1.5], 408),  # one chunk late
    ],
)
def test_an_upload_has_the_read_deadline_per_chunk(path, gaps, status):
    import asyncio

    from shim.edge.limits import BodyLimit
    from shim.errors import ShellError, rendered

    async def app(scope, receive, send) -> None:
        try:
            while (await receive()).get("more_body"):
                pass
            response = Response(b"", 200)
        except ShellError as error:
            response = rendered(error)
        await response(scope, receive, send)

    limited = BodyLimit(app, limit=1024, timeout=0.5, uploads={"/1.1/media/upload.json": 4096})
    scope = {
        "type": "http",
        "path": path,
        "headers": [(b"content-type", b"multipart/form-data; boundary=B")],
    }
    pending = list(gaps)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(pending.pop(0))
        return {"type": "http.request", "body": b"x" * 100, "more_body": bool(pending)}

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(limited(scope, receive, send))

    assert sent[0]["status"] == status


@pytest.mark.parametrize(
    ("url", "content_type", "body", "code"),
    [
        (UPLOAD, "multipart/form-data", b"--B\r\n", 195),  # no boundary
        (UPLOAD, "multipart/form-data; boundary=B", b"garbage", 195),
        (
            UPLOAD,
            "multipart/form-data; boundary=B",
            b'--B\r\nContent-Disposition: form-data; name="media"\r\n\r\nnever closed',
            195,
        ),
        (
            UPLOAD,
            "multipart/form-data; boundary=B",
            b"--B\r\n" + b"X" * 9000 + b"\r\n\r\n--B--\r\n",
            195,
        ),
        (
            UPLOAD,
            "multipart/form-data; boundary=B",
            b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n'
            + b"v" * 70_000
            + b"\r\n--B--\r\n",
            195,
        ),
        (
            UPLOAD,
            "application/x-www-form-urlencoded",
            b"command=INIT&total_bytes=-1&media_type=image/png",
            38,
        ),
        (UPLOAD, "application/x-www-form-urlencoded", b"", 38),
        (METADATA, "application/json", b'{"media_id": "1", "alt_text"', 38),
        (METADATA, "application/json", b'["media_id", "1"]', 38),
        (METADATA, "application/json", b'{"media_id": "1", "alt_text": {"text": 5}}', 38),
    ],
)
def test_hostile_media_requests_are_refused_without_v2(
    make_client: MakeClient, fake_v2, url, content_type, body, code
):
    form = dict(httpx2.QueryParams(body.decode())) if "urlencoded" in content_type else None
    headers = sign("POST", url, form=form) | {"Content-Type": content_type}

    answer = make_client().post(url, content=body, headers=headers)

    assert 400 <= answer.status_code < 500
    assert answer.json()["errors"][0]["code"] == code
    assert fake_v2.calls == []


def test_a_slow_upload_outlasts_both_deadlines_while_each_chunk_is_in_time(settings):
    """Over real sockets: the client's body trickles in for longer than SHIM_READ_TIMEOUT and
    SHIM_UPSTREAM_TIMEOUT together, each piece within the first; it is streamed on all the
    while, and v2's answer is awaited from the body's end."""
    import http.client
    import time
    from dataclasses import replace

    from shim.serving.app import create_app
    from tests.fakes import FakeV2App, twitter_user
    from tests.servers import serving

    fake = FakeV2(twitter_user())
    body, content_type = multipart([], ("media", PNG * 50))

    def trickle():
        size = len(body) // 6 + 1
        for start in range(0, len(body), size):
            time.sleep(0.3)
            yield body[start : start + size]

    with serving(FakeV2App(fake)) as upstream:
        changed = replace(
            settings,
            upstream_url=f"http://127.0.0.1:{upstream}",
            upstream_timeout=1.0,
            read_timeout=1.0,
        )
        with serving(create_app(changed)) as port:
            connection = http.client.HTTPConnection("127.0.0.1", port)
            url = f"http://127.0.0.1:{port}/1.1/media/upload.json"
            headers = sign("POST", url) | {"Content-Type": content_type}
            connection.request(
                "POST", "/1.1/media/upload.json", trickle(), headers, encode_chunked=True
            )
            answer = connection.getresponse()
            status, media = answer.status, json.loads(answer.read())
            connection.close()

    assert status == 200
    assert fake.uploads.uploads[media["media_id_string"]].data == PNG * 50


def test_fields_after_the_media_still_say_what_it_is(make_client: MakeClient, fake_v2):
    """The media part first, the command after it (Python Twitter Tools' order): held until
    the body ends, then sent where the command says."""
    client = make_client()
    init = command(
        client, "POST", command="INIT", total_bytes=str(len(PNG)), media_type="image/png"
    )
    media_id = init.json()["media_id_string"]
    boundary = "###Python-Twitter###"
    body = f'--{boundary}\r\nContent-Disposition: form-data; name="media"\r\n\r\n'.encode()
    body += PNG + b"\r\n"
    for name, value in (("command", "APPEND"), ("media_id", media_id), ("segment_index", "0")):
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        body += value.encode() + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    headers = sign("POST", UPLOAD) | {"Content-Type": f"multipart/form-data; boundary={boundary}"}

    appended = client.post(UPLOAD, content=body, headers=headers)

    assert appended.status_code == 204
    assert fake_v2.uploads.uploads[media_id].data == PNG
    assert media_calls(fake_v2)[-1] == ("POST", f"/2/media/upload/{media_id}/append")


def test_the_migration_report_counts_uploads_as_served_by_v2(
    make_client: MakeClient, fake_v2, settings
):
    from tests.shim.test_traffic import stored

    client = make_client()
    upload(client, [], ("media", PNG))
    command(client, "GET", command="STATUS", media_id="12")  # v2 does not know it: 324
    client.__exit__(None, None, None)  # the shutdown adds the last counts

    rows = stored(settings)

    uploaded = rows["POST media/upload"]
    assert (uploaded["served"], uploaded["answers"]) == ({"v2": 1}, {"200": 1})
    assert uploaded["translated"] is True
    assert rows["GET media/upload"]["served"] == {"v2": 1}
