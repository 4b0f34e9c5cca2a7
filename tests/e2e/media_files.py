"""Media files as a bot keeps them: a PNG, an animated GIF and an MP4 whose heads say what they
are (clients sniff them to choose the simple or the chunked upload), with bytes enough to need
several chunks."""

from pathlib import Path

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 16
GIF = b"GIF89a" + bytes(range(256)) * 12_000  # 3 MB: three of tweepy's 1 MiB chunks
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(reversed(range(256))) * 9_000  # 2.2 MB


def written(folder: Path) -> dict[str, Path]:
    """The three files in `folder`, by kind."""
    files = {"png": folder / "banner.png", "gif": folder / "loop.gif", "mp4": folder / "clip.mp4"}
    for kind, data in (("png", PNG), ("gif", GIF), ("mp4", MP4)):
        files[kind].write_bytes(data)
    return files
