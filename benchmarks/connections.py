"""What connections cost: `shim serve` over TLS with SHIM_MAX_CONNECTIONS=N, N idle TLS clients
connected, then more past the cap. A script that prints figures, not a test:

    .venv/bin/python benchmarks/connections.py [--connections 1000] [--past-cap 200]

It prints the shim's RSS before, while the connections are held, and after they close (memory
per TLS connection, and how much comes back), and how the connections past the cap were answered.
"""

import argparse
import asyncio
import collections
import ssl
import sys
import tempfile
import time
from pathlib import Path

import trustme

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.processes import fake_v2, free_port, rss_mib, shim, shim_env, stop  # noqa: E402


async def connect(
    port: int, context: ssl.SSLContext
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port, ssl=context)


async def measure(args: argparse.Namespace, port: int, pid: int, context: ssl.SSLContext) -> None:
    before = rss_mib(pid)
    held = []
    for _ in range(0, args.connections, 100):  # in batches, as a crowd of clients arrives
        held += await asyncio.gather(*(connect(port, context) for _ in range(100)))
    await asyncio.sleep(1)
    holding = rss_mib(pid)
    past = await asyncio.gather(*(connect(port, context) for _ in range(args.past_cap)))
    answers: collections.Counter[bytes] = collections.Counter()
    for reader, _ in past:
        try:
            answers[await asyncio.wait_for(reader.read(12), 2)] += 1
        except (TimeoutError, ConnectionError, ssl.SSLError):
            answers[b"no answer"] += 1
    for _, writer in held + past:
        writer.close()
    await asyncio.sleep(2)
    after = rss_mib(pid)
    per = (holding - before) * 1024 / args.connections
    print(f"shim over TLS, SHIM_MAX_CONNECTIONS={args.connections}")
    print(
        f"RSS {before:.1f} MiB idle, {holding:.1f} MiB holding {args.connections} TLS connections "
        f"({per:.1f} KiB each), {after:.1f} MiB after they closed"
    )
    print(
        f"{args.past_cap} connections past the cap: "
        + ", ".join(f"{answer.decode()!r} x{count}" for answer, count in answers.items())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000, help="the cap, all held")
    parser.add_argument("--past-cap", type=int, default=200, help="connections beyond it")
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.cert_chain_pems[0].write_to_path(f"{folder}/cert.pem")
    cert.private_key_pem.write_to_path(f"{folder}/key.pem")
    context = ssl.create_default_context()
    ca.configure_trust(context)
    upstream_port, port = free_port(), free_port()
    upstream = fake_v2(upstream_port, 0.05)
    env = shim_env(
        folder,
        upstream_port,
        SHIM_MAX_CONNECTIONS=str(args.connections),
        SHIM_CLIENT_CONNECTIONS=str(args.connections),  # all of them from one address
        SHIM_READ_TIMEOUT="120",  # hold them idle for the measurement
    )
    tls = ("--ssl-certfile", f"{folder}/cert.pem", "--ssl-keyfile", f"{folder}/key.pem")
    process = shim(port, env, *tls)
    try:
        time.sleep(0.5)
        asyncio.run(measure(args, port, process.pid, context))
    finally:
        stop(process, upstream)


if __name__ == "__main__":
    main()
