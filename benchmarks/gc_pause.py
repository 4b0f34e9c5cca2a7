"""What a full collection of the cyclic garbage collector costs the shim, with what start-up
made frozen (`gc.freeze()` in the lifespan, as every `shim serve` worker runs it) and thawed:
the pause every request waiting on that worker shares, which made the shim's p99 (issue 27).
CPU time, so it holds on a busy machine where a p99 from paired runs does not. A script that
prints figures.

    .venv/bin/python benchmarks/gc_pause.py
"""

import asyncio
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.inprocess import fake_upstream, load, quiet_app, scopes, started


def collection_ms() -> float:
    began = time.process_time()
    gc.collect()
    return (time.process_time() - began) * 1000


async def measure(upstream_port: int) -> None:
    app = quiet_app(upstream_port)
    async with started(app):
        await load(app, scopes(500), 20)  # warm: caches, pools and lazy imports made
        frozen = gc.get_freeze_count()
        with_freeze = collection_ms()
        gc.unfreeze()
        without = collection_ms()
    print(f"objects frozen once started: {frozen}")
    print(f"a full collection: {without:.1f} ms of CPU unfrozen, {with_freeze:.1f} ms frozen")


if __name__ == "__main__":
    with fake_upstream() as port:
        asyncio.run(measure(port))
