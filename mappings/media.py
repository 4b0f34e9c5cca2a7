"""A v2 media object (`includes.media`) as v1.1's media entity.

v1.1 gave four sizes of each picture; v2 gives the original's `width` and `height` only, so the
others are worked out as v1.1's own resizing made them (the real recordings, e.g. 1920x1080 →
medium 1200x675, small 680x383, thumb 150x150 cropped): each "fit" size scales the original down
to fit its bound, rounding halves up, and never scales it up. A video's and a GIF's `video_info`
comes from v2's `duration_ms` and `variants` (media.fields).
"""

from collections.abc import Mapping
from math import gcd
from typing import Any

# v1.1's sizes: the bound of each and how it was resized (real recordings, 2019-2021).
SIZES = (
    ("thumb", 150, "crop"),
    ("small", 680, "fit"),
    ("medium", 1200, "fit"),
    ("large", 2048, "fit"),
)
MEDIA_FIELDS = "duration_ms,height,media_key,preview_image_url,type,url,variants,width,alt_text"
"""The `media.fields` that `v11_media` reads."""


def media_id(media: Mapping[str, Any]) -> str:
    """The media's v1.1 id: its v2 key without the type prefix (`3_1341793718672760840`)."""
    return str(media.get("media_key", "")).partition("_")[2]


def v11_media(
    media: Mapping[str, Any], link: Mapping[str, Any] | None, *, in_entities: bool
) -> dict[str, Any]:
    """v1.1's media entity for a v2 media object and the tweet's URL entity that links it
    (`in_entities`: the `entities.media` copy, where v1.1 called every kind a photo)."""
    key = media_id(media)
    image = media.get("url") or media.get("preview_image_url") or ""
    entity: dict[str, Any] = {"id": int(key), "id_str": key}
    if link is not None:
        entity["indices"] = [link["start"], link["end"]]
    entity |= {
        "media_url": image.replace("https://", "http://", 1),
        "media_url_https": image,
        "url": link["url"] if link else "",
        "display_url": link.get("display_url", "") if link else "",
        "expanded_url": link.get("expanded_url", "") if link else "",
        "type": "photo" if in_entities else media.get("type", "photo"),
        "sizes": sizes(media.get("width"), media.get("height")),
    }
    if not in_entities and media.get("type") in ("video", "animated_gif"):
        entity["video_info"] = _video_info(media)
    if media.get("alt_text"):
        entity["ext_alt_text"] = media["alt_text"]
    return entity


def sizes(width: object, height: object) -> dict[str, dict[str, Any]]:
    """v1.1's `sizes` for an original of `width` x `height` (none known: all zero)."""
    w = width if isinstance(width, int) else 0
    h = height if isinstance(height, int) else 0
    found: dict[str, dict[str, Any]] = {}
    for name, bound, resize in SIZES:
        if resize == "crop":
            found[name] = {"w": bound, "h": bound, "resize": resize}
            continue
        scale = min(1.0, bound / max(w, h)) if max(w, h) > 0 else 1.0
        found[name] = {"w": int(w * scale + 0.5), "h": int(h * scale + 0.5), "resize": resize}
    return found


def _video_info(media: Mapping[str, Any]) -> dict[str, Any]:
    w, h = media.get("width"), media.get("height")
    info: dict[str, Any] = {}
    if isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0:
        info["aspect_ratio"] = [w // gcd(w, h), h // gcd(w, h)]
    if isinstance(media.get("duration_ms"), int):
        info["duration_millis"] = media["duration_ms"]
    info["variants"] = [
        {
            **({"bitrate": v["bit_rate"]} if "bit_rate" in v else {}),
            "content_type": v.get("content_type", ""),
            "url": v.get("url", ""),
        }
        for v in media.get("variants", [])
        if isinstance(v, dict)
    ]
    return info
