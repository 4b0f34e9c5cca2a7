"""v1.1's media upload (`upload.twitter.com/1.1/media/upload.json`) and alt text
(`media/metadata/create.json`) over v2's media endpoints, as data.

v1.1 took one path and a `command`: none for the simple upload (`media` bytes or `media_data`
base64 in a multipart body), or INIT, APPEND, FINALIZE and STATUS for the chunked one. v2 gives
each its own call (docs.x.com, "Media Upload", 2025): `POST /2/media/upload` (the simple one,
multipart, `media_category` required), `POST /2/media/upload/initialize` (JSON),
`POST /2/media/upload/:id/append` (multipart `media` and `segment_index`),
`POST /2/media/upload/:id/finalize`, `GET /2/media/upload?command=STATUS&media_id=` and
`POST /2/media/metadata` (JSON). The calls without a body are flows here; the two that carry
the media are streamed by the shell (`shim/serving/media.py`), which asks `streamed` what to
send and `answered` what v2's answer means.

Sizes are v1.1's (its media best practices): an image 5 MB, an animated GIF 15 MB, a video
512 MB, each APPEND chunk 5 MB at most. A refusal of the media is v1.1's code 324 with a message
saying what is wrong, as v1.1 answered ("File size exceeds 5242880 bytes.").
"""

import binascii
from base64 import b64decode
from collections.abc import Mapping
from dataclasses import dataclass

from mappings.errors import V11Error, raise_for_v2, rate_limit_headers
from mappings.params import number
from mappings.types import Access, Flow, V2Call, V2Reply, V11Reply, V11Request

UPLOADING = Access("media upload", write=True)
"""Uploading media and setting its alt text (`POST /2/media/upload…`, `/2/media/metadata`)."""

UPLOAD = "/1.1/media/upload.json"
METADATA = "/1.1/media/metadata/create.json"
NAMES = ("media/upload", "media/metadata/create")
"""The two as the request log, the metrics and the migration report name them."""
CALLS = frozenset({"POST media/upload", "GET media/upload", "POST media/metadata/create"})
"""The v1.1 calls served here, as the migration report writes a call."""
MB = 1024 * 1024
IMAGE, GIF, VIDEO, CHUNK = 5 * MB, 15 * MB, 512 * MB, 5 * MB
MOST_FIELDS = 64 * 1024  # bytes of an upload's other fields, all together
MOST_BODY = GIF * 4 // 3 + MOST_FIELDS + 4096
"""The largest multipart body an upload can need: a GIF as base64 (`media_data`), its fields
and the form's own lines. The edge allows it on the upload path alone (SHIM_MAX_BODY elsewhere);
the route refuses less by the kind of media (`limit`)."""
MOST_SEGMENTS = 1000  # v1.1's segment_index: 0-999
MEDIA_PARTS = ("media", "media_data")
COMMANDS = ("INIT", "APPEND", "FINALIZE", "STATUS")
# What v1.1 implied without a `media_category` (a GIF or video then had no async processing);
# v2's chunked upload wants one to process a GIF or a video, so the shim names the one meant.
CATEGORY_OF = (("video/", "tweet_video"), ("image/gif", "tweet_gif"), ("image/", "tweet_image"))


@dataclass(frozen=True, slots=True)
class Simple:
    """A simple upload: v2's multipart fields, and whether the media comes as base64."""

    fields: tuple[tuple[str, str], ...]
    base64: bool


@dataclass(frozen=True, slots=True)
class Append:
    """An APPEND: the media id, and v2's multipart fields for the chunk."""

    media_id: str
    fields: tuple[tuple[str, str], ...]
    base64: bool


Streamed = Simple | Append


def parse(request: V11Request, media_part: str | None) -> Streamed | Flow:
    """What one v1.1 media/upload request is: a streamed upload when its body holds the media
    (`media_part` names that part), else the flow of a command without one."""
    command = request.param("command")
    if command is not None and command not in COMMANDS:
        raise V11Error(38, "command parameter is invalid.", status=400)
    if command == "APPEND":
        media_id = _media_id(request)
        segment = number(request.param("segment_index") or "")
        if segment is None or not 0 <= segment < MOST_SEGMENTS:
            raise V11Error(38, "segment_index parameter is missing or invalid.", status=400)
        if media_part is None:
            raise V11Error(38, "media parameter is missing.", status=400)
        return Append(media_id, (("segment_index", str(segment)),), media_part == "media_data")
    if command is None:
        if media_part is None:
            raise V11Error(38, "media parameter is missing.", status=400)
        fields = [("media_category", (request.param("media_category") or "tweet_image").lower())]
        fields += _owners(request)
        return Simple(tuple(fields), media_part == "media_data")
    if command == "INIT":
        return init(request)
    if command == "FINALIZE":
        return finalize(_media_id(request))
    return status(_media_id(request))


def limit(upload: Streamed, first: bytes) -> int:
    """The most bytes of media the upload may carry, judged by its first bytes (a GIF's
    signature) where v1.1 judged by the file."""
    if isinstance(upload, Append):
        return CHUNK
    return GIF if first.startswith(b"GIF8") else IMAGE


def too_large(most: int) -> V11Error:
    return V11Error(324, f"File size exceeds {most} bytes.", status=400)


class Bytes:
    """The media part's bytes as they come, decoded from base64 where they came so, counted
    against the upload's limit (`limit`, judged on the first of them)."""

    def __init__(self, upload: Streamed) -> None:
        self.upload = upload
        self.sent, self.most, self.left = 0, 0, b""

    def take(self, piece: bytes) -> bytes:
        """The bytes to send on for the next piece of the part."""
        if self.upload.base64:
            text = self.left + b"".join(piece.split())  # line breaks some encoders add
            whole = len(text) - len(text) % 4
            piece, self.left = _b64(text[:whole]), text[whole:]
        if piece:
            self.most = self.most or limit(self.upload, piece)
            self.sent += len(piece)
            if self.sent > self.most:
                raise too_large(self.most)
        return piece

    def end(self) -> None:
        """The part is over: base64 left without its quantum is no media."""
        if self.left:
            raise NOT_BASE64


NOT_BASE64 = V11Error(324, "media_data is not valid base64.", status=400)


def _b64(text: bytes) -> bytes:
    try:
        return b64decode(text, validate=True)
    except binascii.Error:
        raise NOT_BASE64 from None


def streamed_path(upload: Streamed) -> str:
    """v2's path for the upload the shell streams."""
    if isinstance(upload, Append):
        return f"/2/media/upload/{upload.media_id}/append"
    return "/2/media/upload"


def answered(upload: Streamed, reply: V2Reply) -> V11Reply:
    """v1.1's answer to a streamed upload: a simple one's media object, an APPEND's empty 204
    (v1.1: "HTTP 2XX … with an empty response body")."""
    raise_for_media(reply)
    if isinstance(upload, Append):
        return V11Reply(204, None, rate_limit_headers(reply))
    return V11Reply(200, v11_media(reply), rate_limit_headers(reply))


def init(request: V11Request) -> Flow:
    """INIT → POST /2/media/upload/initialize, its size checked against v1.1's for the type."""
    media_type = request.param("media_type") or ""
    total = number(request.param("total_bytes") or "")
    if not media_type:
        raise V11Error(38, "media_type parameter is missing.", status=400)
    if total is None:
        raise V11Error(38, "total_bytes parameter is missing or invalid.", status=400)
    most = VIDEO if media_type.startswith("video/") else GIF if media_type == "image/gif" else IMAGE
    if total > most:
        raise too_large(most)
    category = request.param("media_category")
    if category is None:
        category = next((c for prefix, c in CATEGORY_OF if media_type.startswith(prefix)), None)
    body: dict[str, object] = {"media_type": media_type, "total_bytes": total}
    if category:
        body["media_category"] = category.lower()
    owners = _owners(request)
    if owners:
        body["additional_owners"] = owners[0][1].split(",")
    (reply,) = yield (V2Call("POST", "/2/media/upload/initialize", json=body, access=UPLOADING),)
    raise_for_media(reply)
    return V11Reply(200, v11_media(reply), rate_limit_headers(reply))


def finalize(media_id: str) -> Flow:
    """FINALIZE → POST /2/media/upload/:id/finalize."""
    path = f"/2/media/upload/{media_id}/finalize"
    (reply,) = yield (V2Call("POST", path, access=UPLOADING),)
    raise_for_media(reply)
    return V11Reply(200, v11_media(reply), rate_limit_headers(reply))


def status(media_id: str) -> Flow:
    """STATUS → GET /2/media/upload?command=STATUS&media_id=."""
    params = (("command", "STATUS"), ("media_id", media_id))
    (reply,) = yield (V2Call("GET", "/2/media/upload", params, access=UPLOADING),)
    raise_for_media(reply)
    return V11Reply(200, v11_media(reply), rate_limit_headers(reply))


def metadata(body: object) -> Flow:
    """media/metadata/create's JSON body (`media_id`, `alt_text.text`) → POST /2/media/metadata;
    v1.1 answered an empty 200."""
    given = body if isinstance(body, Mapping) else {}
    media_id = number(str(given.get("media_id", "")))
    alt = given.get("alt_text")
    text = alt.get("text") if isinstance(alt, Mapping) else None
    if media_id is None:
        raise V11Error(38, "media_id parameter is missing.", status=400)
    if not isinstance(text, str):
        raise V11Error(38, "alt_text parameter is missing.", status=400)
    json = {"id": str(media_id), "metadata": {"alt_text": {"text": text}}}
    (reply,) = yield (V2Call("POST", "/2/media/metadata", json=json, access=UPLOADING),)
    raise_for_media(reply)
    return V11Reply(200, None, rate_limit_headers(reply))


def v11_media(reply: V2Reply) -> dict[str, object]:
    """v1.1's media object for v2's `data`: the id as a number and a string, and the keys v2
    gives under the same names (`media_key`, `size`, `expires_after_secs`, `image`, `video`,
    `processing_info`)."""
    assert isinstance(reply.body, dict)  # raise_for_media let only a JSON object by
    data = reply.body.get("data")
    if not isinstance(data, dict) or number(str(data.get("id", ""))) is None:
        raise V11Error(131)
    media_id = str(data["id"])
    found: dict[str, object] = {"media_id": int(media_id), "media_id_string": media_id}
    keys = ("media_key", "size", "expires_after_secs", "image", "video", "processing_info")
    return found | {key: data[key] for key in keys if key in data}


def raise_for_media(reply: V2Reply) -> None:
    """v2's refusal of the media itself (a 400) as v1.1's 324 with v2's words; any other
    failure as every v2 call's."""
    body = reply.body
    if reply.status == 400 and isinstance(body, dict) and not _legacy(body):
        raise V11Error(324, _said(body) or None, status=400)
    raise_for_v2(reply)


def _legacy(body: Mapping[str, object]) -> bool:
    """Whether v2 answered in v1.1's own shape (a `code` in its errors): passed on as it is."""
    errors = body.get("errors")
    return (
        isinstance(errors, list)
        and bool(errors)
        and isinstance(errors[0], dict)
        and isinstance(errors[0].get("code"), int)
    )


def _said(body: Mapping[str, object]) -> str:
    errors = body.get("errors")
    first = errors[0] if isinstance(errors, list) and errors else {}
    for text in (first.get("message") if isinstance(first, dict) else None, body.get("detail")):
        if isinstance(text, str) and text:
            return text
    return ""


def _media_id(request: V11Request) -> str:
    media_id = number(request.param("media_id") or "")
    if media_id is None:
        raise V11Error(38, "media_id parameter is missing.", status=400)
    return str(media_id)


def _owners(request: V11Request) -> list[tuple[str, str]]:
    """`additional_owners`: user ids, comma-separated, as both versions take them."""
    given = [t.strip() for t in (request.param("additional_owners") or "").split(",") if t.strip()]
    if any(number(term) is None for term in given):
        raise V11Error(38, "additional_owners parameter is invalid.", status=400)
    return [("additional_owners", ",".join(given))] if given else []
