"""v2's media endpoints for the fake upstream (`FakeV2` hands it every `/2/media/…` call):
the simple upload, initialize / append / finalize / status, and metadata, answered in the
shapes of X's documentation (docs.x.com, "Media Upload" quickstarts, 2025). It keeps what it
was sent, so a test can check the bytes arrived whole and in order."""

import email.parser
import email.policy
import json
from dataclasses import dataclass, field
from typing import Any

import httpx2

MEDIA_KEY_PREFIX = {"image": "3", "gif": "16", "video": "7"}
FIRST_ID = 1880028106020515840  # the docs' example id


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


class FakeMedia:
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
        return str(self.next_id)

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
