"""v2's media endpoints of the simulated X (it hands them every `/2/media/…` call): the simple
upload, initialize / append / finalize / status, and metadata, answered in the shapes of X's
documentation (docs.x.com, "Media Upload" quickstarts, 2025). It keeps what it was sent, so a
test can check the bytes arrived whole and in order, up to `HELD` bytes: past that the oldest
uploads are forgotten, as X lets media expire."""

import email.parser
import email.policy
import json
from dataclasses import dataclass, field
from typing import Any

import httpx2

MEDIA_KEY_PREFIX = {"image": "3", "gif": "16", "video": "7"}
FIRST_ID = 1880028106020515840  # the docs' example id
HELD = 64 << 20  # bytes of media kept at most, the latest uploads' first
TYPES = {"image": "photo", "gif": "animated_gif", "video": "video"}  # v2's media `type`


@dataclass
class Upload:
    media_type: str
    category: str
    total: int | None
    chunks: dict[int, bytes] = field(default_factory=dict)
    finalized: bool = False
    alt_text: str | None = None
    polled: int = 0  # STATUS calls so far: processing succeeds at the second

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks[i] for i in sorted(self.chunks))

    @property
    def kind(self) -> str:
        if self.media_type.startswith("video/"):
            return "video"
        return "gif" if self.media_type == "image/gif" else "image"


def form(request: httpx2.Request) -> dict[str, bytes]:
    """A multipart body's parts by name, as bytes."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.content)
    parts: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        parts[str(name)] = payload if isinstance(payload, bytes) else b""
    return parts


def sniffed(data: bytes) -> str:
    for magic, kind in (
        (b"\x89PNG", "image/png"),
        (b"GIF8", "image/gif"),
        (b"\xff\xd8", "image/jpeg"),
    ):
        if data.startswith(magic):
            return kind
    return "application/octet-stream"


class Media:
    def __init__(self) -> None:
        self.uploads: dict[str, Upload] = {}
        self.next_id = FIRST_ID

    def forget(self) -> None:
        self.uploads.clear()

    def __call__(self, request: httpx2.Request, rest: list[str]) -> httpx2.Response:
        match request.method, rest:
            case "POST", ["upload"]:
                return self.simple(form(request))
            case "POST", ["upload", "initialize"]:
                return self.initialize(json.loads(request.content))
            case "POST", ["upload", media_id, "append"] if media_id in self.uploads:
                return self.append(self.uploads[media_id], form(request))
            case "POST", ["upload", media_id, "finalize"] if media_id in self.uploads:
                return self.finalize(media_id)
            case "GET", ["upload"] if request.url.params.get("command") == "STATUS":
                return self.status(request.url.params.get("media_id", ""))
            case "POST", ["metadata"]:
                return self.metadata(json.loads(request.content))
        return _invalid("The media id is not valid or has expired.")

    def new(self, upload: Upload) -> str:
        self.next_id += 1
        self.uploads[str(self.next_id)] = upload
        self.expire()
        return str(self.next_id)

    def expire(self) -> None:
        """Forget the oldest uploads (not the latest) while more than `HELD` bytes are kept."""
        held = sum(len(chunk) for u in self.uploads.values() for chunk in u.chunks.values())
        for media_id in list(self.uploads)[:-1]:
            if held <= HELD:
                break
            held -= sum(map(len, self.uploads.pop(media_id).chunks.values()))

    def attached(self, media_ids: list[str]) -> list[dict[str, Any]] | None:
        """v2's media objects (`includes.media`) of the uploads a new Tweet names; None when one
        is unknown, or not finalized, which v2 refuses."""
        found = [(str(i), self.uploads.get(str(i))) for i in media_ids]
        if any(upload is None or not upload.finalized for _, upload in found):
            return None
        return [_v2_media(media_id, upload) for media_id, upload in found if upload]

    def described(self, media_id: str, **extra: Any) -> httpx2.Response:
        upload = self.uploads[media_id]
        data = {
            "id": media_id,
            "media_key": f"{MEDIA_KEY_PREFIX[upload.kind]}_{media_id}",
            "size": len(upload.data),
            "expires_after_secs": 86400,
        }
        if upload.kind == "image":
            data["image"] = {"image_type": upload.media_type, "w": 1252, "h": 626}
        return _ok(data | extra)

    def simple(self, parts: dict[str, bytes]) -> httpx2.Response:
        if "media" not in parts or parts.get("media_category") != b"tweet_image":
            return _invalid("One or more parameters to your request was invalid.")
        upload = Upload(sniffed(parts["media"]), "tweet_image", None, {0: parts["media"]}, True)
        return self.described(self.new(upload))

    def initialize(self, body: dict[str, Any]) -> httpx2.Response:
        upload = Upload(body["media_type"], body.get("media_category", ""), body["total_bytes"])
        media_id = self.new(upload)
        key = f"{MEDIA_KEY_PREFIX[upload.kind]}_{media_id}"
        return _ok({"id": media_id, "media_key": key, "expires_after_secs": 86399})

    def append(self, upload: Upload, parts: dict[str, bytes]) -> httpx2.Response:
        upload.chunks[int(parts["segment_index"])] = parts["media"]
        self.expire()
        return _ok({"expires_at": 1735689600})

    def finalize(self, media_id: str) -> httpx2.Response:
        upload = self.uploads[media_id]
        if upload.total != len(upload.data):
            return _invalid("Segments do not add up to provided total file size.")
        upload.finalized = True
        if upload.kind == "image":
            return self.described(media_id)
        pending = {"state": "pending", "check_after_secs": 1}
        return self.described(media_id, processing_info=pending)

    def status(self, media_id: str) -> httpx2.Response:
        upload = self.uploads.get(media_id)
        if upload is None or not upload.finalized:
            return _invalid("The media id is not valid or has expired.")
        upload.polled += 1
        done = upload.polled > 1
        info = {"state": "succeeded", "progress_percent": 100}
        if not done:
            info = {"state": "in_progress", "check_after_secs": 0, "progress_percent": 50}
        return self.described(media_id, processing_info=info)

    def metadata(self, body: dict[str, Any]) -> httpx2.Response:
        upload = self.uploads.get(str(body.get("id")))
        if upload is None:
            return _invalid("The media id is not valid or has expired.")
        upload.alt_text = body["metadata"]["alt_text"]["text"]
        return _ok({"id": body["id"], "associated_metadata": body["metadata"]})


def _v2_media(media_id: str, upload: Upload) -> dict[str, Any]:
    media = {
        "media_key": f"{MEDIA_KEY_PREFIX[upload.kind]}_{media_id}",
        "type": TYPES[upload.kind],
        "width": 1252,
        "height": 626,
    }
    # Where X would serve the picture; simulated, so a name that can never resolve.
    picture = f"https://media.sandbox.invalid/{media_id}.png"
    media["url" if upload.kind == "image" else "preview_image_url"] = picture
    if upload.alt_text:
        media["alt_text"] = upload.alt_text
    return media


def invalid_media() -> httpx2.Response:
    """v2's refusal of a Tweet naming media it does not know."""
    return _invalid("Your media IDs are invalid.")


def _ok(data: dict[str, Any]) -> httpx2.Response:
    return httpx2.Response(200, json={"data": data}, headers={"x-rate-limit-limit": "500"})


def _invalid(message: str) -> httpx2.Response:
    body = {
        "errors": [{"parameters": {}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
    return httpx2.Response(400, json=body)
