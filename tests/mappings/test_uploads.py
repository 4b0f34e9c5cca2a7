"""v1.1's media upload commands as v2 calls, and v2's answers as v1.1's media object, driven
by hand."""

import base64

import pytest

from mappings import uploads
from mappings.errors import V11Error
from mappings.types import V2Call, V2Reply, V11Reply, V11Request
from tests.mappings.play import play

DATA = {"id": "1880028106020515840", "media_key": "7_1880028106020515840"}


def request(**params: str) -> V11Request:
    return V11Request("POST", uploads.UPLOAD, tuple(params.items()))


@pytest.mark.parametrize(
    ("media_type", "category"),
    [("video/mp4", "tweet_video"), ("image/gif", "tweet_gif"), ("image/png", "tweet_image")],
)
def test_init_names_the_category_v11_implied(media_type, category):
    flow = uploads.parse(request(command="INIT", total_bytes="10", media_type=media_type), None)
    body = {"media_type": media_type, "total_bytes": 10, "media_category": category}
    call = V2Call("POST", "/2/media/upload/initialize", json=body, access=uploads.UPLOADING)
    reply = V2Reply(200, {}, {"data": DATA | {"expires_after_secs": 86399}})

    answer = play(flow, ((call,), (reply,)))  # type: ignore[arg-type]

    assert answer == V11Reply(
        200,
        {
            "media_id": 1880028106020515840,
            "media_id_string": "1880028106020515840",
            "media_key": "7_1880028106020515840",
            "expires_after_secs": 86399,
        },
    )


def test_status_is_v2s_get_with_the_command_and_keeps_processing_info():
    flow = uploads.parse(request(command="STATUS", media_id="12"), None)
    params = (("command", "STATUS"), ("media_id", "12"))
    call = V2Call("GET", "/2/media/upload", params, access=uploads.UPLOADING)
    info = {"state": "failed", "error": {"code": 1, "name": "InvalidMedia", "message": "bad"}}
    reply = V2Reply(200, {}, {"data": DATA | {"processing_info": info}})

    answer = play(flow, ((call,), (reply,)))  # type: ignore[arg-type]

    assert answer.body["processing_info"] == info  # type: ignore[index]


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (V2Reply(400, {}, {"errors": [{"message": "Unsupported media type"}]}), 324),
        (V2Reply(429, {}, {"title": "Too Many Requests"}), 88),
        (V2Reply(503), 130),
        (V2Reply(200, {}, {"data": {"id": "not a number"}}), 131),
    ],
)
def test_v2s_failures_are_v11s(reply, code):
    flow = uploads.parse(request(command="FINALIZE", media_id="12"), None)
    call = V2Call("POST", "/2/media/upload/12/finalize", access=uploads.UPLOADING)

    with pytest.raises(V11Error) as refused:
        play(flow, ((call,), (reply,)))  # type: ignore[arg-type]

    assert refused.value.code == code


def test_an_append_is_answered_empty_as_v11_did():
    append = uploads.parse(request(command="APPEND", media_id="12", segment_index="3"), "media")

    answer = uploads.answered(append, V2Reply(200, {}, {"data": {"expires_at": 1}}))  # type: ignore[arg-type]

    assert append == uploads.Append("12", (("segment_index", "3"),), base64=False)
    assert uploads.streamed_path(append) == "/2/media/upload/12/append"
    assert (answer.status, answer.body) == (204, None)


def test_base64_is_decoded_across_pieces_whatever_their_cut():
    media = b"\x89PNG" + bytes(range(200))
    text = base64.encodebytes(media)
    taken = uploads.Bytes(uploads.Simple((), base64=True))

    decoded = b"".join(taken.take(text[i : i + 7]) for i in range(0, len(text), 7))
    taken.end()

    assert decoded == media


def test_a_picture_past_5_mb_is_refused_where_a_gif_is_not():
    picture = uploads.Bytes(uploads.Simple((), base64=False))
    gif = uploads.Bytes(uploads.Simple((), base64=False))
    gif.take(b"GIF89a")

    with pytest.raises(V11Error) as refused:
        picture.take(b"\x89PNG" + b"\x00" * uploads.IMAGE)
    gif.take(b"\x00" * uploads.IMAGE)

    assert refused.value.body() == {
        "errors": [{"code": 324, "message": f"File size exceeds {uploads.IMAGE} bytes."}]
    }
