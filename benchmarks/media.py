"""Memory a media upload takes in the shim: `shim serve` in its own process (plain HTTP, one
worker) in front of the fake v2 (benchmarks/fake_v2.py, which reads each body and drops it),
and legacy clients uploading as tweepy does (INIT, APPEND multipart chunks, FINALIZE), signed
with requests-oauthlib. It prints the shim's RSS before, at its highest while the uploads run
(sampled every 20 ms), and after:

- one 50 MB video in 5 MiB chunks, alone (`--video 50`);
- then 20 clients at once, each a 15 MB GIF in tweepy's 1 MiB chunks (`--clients 20 --size 15`).

`python -m benchmarks.media` (the figures are in docs/performance.md, "Media uploads")."""

import argparse
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from requests_oauthlib import OAuth1

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.processes import (
    KEY,
    SECRET,
    TOKEN,
    TOKEN_SECRET,
    fake_v2,
    free_port,
    rss_mib,
    shim,
    shim_env,
    stop,
)

MIB = 1024 * 1024


def upload(base: str, media: bytes, media_type: str, chunk: int) -> None:
    """One chunked upload as tweepy 4's `API.chunked_upload` sends it."""
    url = f"{base}/1.1/media/upload.json"
    with requests.Session() as session:
        session.auth = OAuth1(KEY, SECRET, TOKEN, TOKEN_SECRET)
        init = {"command": "INIT", "total_bytes": len(media), "media_type": media_type}
        media_id = session.post(url, data=init).json()["media_id_string"]
        for index, start in enumerate(range(0, len(media), chunk)):
            fields = {"command": "APPEND", "media_id": media_id, "segment_index": index}
            files = {"media": ("blob", media[start : start + chunk])}
            answer = session.post(url, data=fields, files=files)
            if answer.status_code != 204:
                raise SystemExit(f"APPEND answered {answer.status_code}: {answer.text}")
        final = session.post(url, data={"command": "FINALIZE", "media_id": media_id})
        if final.status_code != 200:
            raise SystemExit(f"FINALIZE answered {final.status_code}: {final.text}")


def peak_rss(pid: int, work: threading.Event) -> list[float]:
    """The process's RSS, sampled until `work` is set."""
    samples: list[float] = []
    while not work.is_set():
        samples.append(rss_mib(pid))
        time.sleep(0.02)
    return samples


def measured(pid: int, label: str, run: Callable[[], None]) -> None:
    before = rss_mib(pid)
    done = threading.Event()
    sampler = ThreadPoolExecutor(1).submit(peak_rss, pid, done)
    started = time.monotonic()
    try:
        run()
    finally:
        done.set()
    seconds = time.monotonic() - started
    samples = sampler.result()
    after = rss_mib(pid)
    top = max(samples, default=before)
    print(
        f"{label}: RSS {before:.1f} MiB before, {top:.1f} MiB at most (+{top - before:.1f}), "
        f"{after:.1f} MiB after; {seconds:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--size", type=int, default=15, help="MB of each client's GIF")
    parser.add_argument("--video", type=int, default=50, help="MB of the lone video")
    args = parser.parse_args()
    upstream_port, port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as folder:
        upstream = fake_v2(upstream_port, 0.0)
        env = shim_env(
            folder,
            upstream_port,
            SHIM_ACCESS_TOKEN=TOKEN,
            SHIM_ACCESS_TOKEN_SECRET=TOKEN_SECRET,
            SHIM_CALLER_CONCURRENCY=str(args.clients),
            SHIM_UPSTREAM_TIMEOUT="60",
        )
        server = shim(port, env)
        try:
            base = f"http://127.0.0.1:{port}"
            gif = b"GIF89a" + bytes(range(256)) * (args.size * MIB // 256 - 1)
            upload(base, gif[: 2 * MIB], "image/gif", MIB)  # warm: first imports, pools

            # The lone video first, on a fresh process: what one upload adds.
            video = bytes(reversed(range(256))) * (args.video * MIB // 256)
            measured(
                server.pid,
                f"one video of {len(video) / MIB:.0f} MiB in 5 MiB chunks",
                lambda: upload(base, video, "video/mp4", 5 * MIB),
            )

            def many() -> None:
                with ThreadPoolExecutor(args.clients) as pool:
                    for future in [
                        pool.submit(upload, base, gif, "image/gif", MIB)
                        for _ in range(args.clients)
                    ]:
                        future.result()

            total = args.clients * len(gif) / MIB
            label = f"{args.clients} GIFs of {len(gif) / MIB:.0f} MiB at once ({total:.0f} MiB)"
            measured(server.pid, label, many)
        finally:
            stop(server, upstream)


if __name__ == "__main__":
    main()
