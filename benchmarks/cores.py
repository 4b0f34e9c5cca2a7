"""What a second worker buys: `shim serve` at 1 and 2 workers under a load it cannot keep up with,
made by wrk (C) against a fake v2 in nginx (C) that answers at once, so the CPU the shim runs out
of is not taken by the load generator or the upstream. A script that prints figures.

    .venv/bin/python benchmarks/cores.py [--seconds 10] [--connections 64]

Needs wrk and nginx (apt-get install wrk nginx); with redis-server, the same again with the
shared state in Redis (CPU and cores count the shim's processes only). Each request is a mute
by `user_id`, signed in advance with its own nonce (the shim refuses replays); each wrk thread
sends its own share.
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.processes import (  # noqa: E402
    KEY,
    SECRET,
    TOKEN,
    TOKEN_SECRET,
    free_port,
    nginx_v2,
    redis_server,
    shim_env,
    stop,
    tree_cpu_seconds,
)
from benchmarks.processes import shim as shim_serve  # noqa: E402
from shim.credentials.upstream_auth import Credentials, OAuth1  # noqa: E402

PATH = "/1.1/mutes/users/create.json?user_id=783214"
# Each wrk thread takes every n-th signed header, so no two send the same nonce.
SCRIPT = """
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function init(args)
  headers, sent, path = {}, 0, args[3]
  local line_number = 0
  for line in io.lines(args[1]) do
    if line_number % tonumber(args[2]) == id then headers[#headers + 1] = line end
    line_number = line_number + 1
  end
end
function request()
  sent = sent + 1
  return wrk.format("POST", path, {Authorization = headers[sent]})
end
"""
MOST_PER_SECOND = 2500  # signed headers made per second of the run: more than two cores serve


def signed(port: int, count: int, into: Path) -> None:
    auth = OAuth1(Credentials(KEY, SECRET, TOKEN, TOKEN_SECRET))
    request = httpx2.Request("POST", f"http://127.0.0.1:{port}{PATH}")
    into.write_text("\n".join(auth.header(request) for _ in range(count)) + "\n")


def run(
    args: argparse.Namespace, folder: Path, upstream_port: int, workers: int, redis: str
) -> str:
    port = free_port()
    env = shim_env(
        str(folder),
        upstream_port,
        SHIM_ACCESS_TOKEN=TOKEN,
        SHIM_ACCESS_TOKEN_SECRET=TOKEN_SECRET,
        SHIM_CALLER_CONCURRENCY="1000",  # one token makes all the load
    )
    if redis:
        env["SHIM_REDIS_URL"] = redis
    headers, script = folder / f"headers-{port}", folder / "load.lua"
    signed(port, MOST_PER_SECOND * (args.seconds + 2), headers)
    script.write_text(SCRIPT)
    server = shim_serve(port, env, "--workers", str(workers))
    try:
        before = tree_cpu_seconds(server.pid)
        threads = "2"
        wrk = [shutil.which("wrk") or "wrk", "-t", threads, "-c", str(args.connections)]
        load = ["-d", f"{args.seconds}s", "-s", str(script), f"http://127.0.0.1:{port}"]
        done = subprocess.run(
            [*wrk, *load, "--", str(headers), threads, PATH],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        cpu = tree_cpu_seconds(server.pid) - before
    finally:
        stop(server)
    total = int(re.search(r"(\d+) requests in", done)[1])  # type: ignore[index]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", done)[1])  # type: ignore[index]
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", done)
    refused = int(failed[1]) if failed else 0
    store = "Redis" if redis else "SQLite"
    return (
        f"{workers:>8}{store:>8}{rate:>10.0f}{1000 * cpu / total:>10.2f}"
        f"{cpu / args.seconds:>8.2f}{refused:>9}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (apt-get install {tool})")
    folder = Path(tempfile.mkdtemp())
    upstream_port = free_port()
    upstream = nginx_v2(str(folder), upstream_port)
    print(f"wrk, {args.connections} connections, {args.seconds} s a row; v2 answers at once")
    print(f"{'workers':>8}{'store':>8}{'req/s':>10}{'CPU ms':>10}{'cores':>8}{'non-2xx':>9}")
    started = [upstream]
    try:
        for workers in (1, 2):
            print(run(args, folder, upstream_port, workers, ""), flush=True)
        if shutil.which("redis-server") is None:
            print("no Redis rows: redis-server is not installed (apt-get install redis-server)")
            return
        redis_port = free_port()
        started.append(redis_server(str(folder), redis_port))
        for workers in (1, 2):
            redis = f"redis://127.0.0.1:{redis_port}/0"
            print(run(args, folder, upstream_port, workers, redis), flush=True)
    finally:
        stop(*started)


if __name__ == "__main__":
    main()
