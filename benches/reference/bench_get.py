"""Times the Python reference cache's `get` of the 214-instrument linear lists.

    python3 bench_get.py --url redis://127.0.0.1:PORT/0 [--seconds S]
    python3 bench_get.py --url redis://127.0.0.1:PORT/0 --slices [--list NAME]

The lists are the recorded 2023 one (`linear_214`) and the same instruments in the shape of
Bybit's answers today (`linear_today_214`); the table covers both, `--slices` the one named
by `--list` (default `linear_214`).

Three figures: the decode alone (zlib.decompress + msgpack.unpackb, no Redis), and `get`
with 1 and with 64 calls in flight (asyncio tasks on one event loop, redis-py's connection
pool). Each runs for S seconds (default 2), bounded in calls too; the table gives the median
time of one call and the calls per second over the whole run.

With `--slices`, the script stores the list, prints one JSON line describing it, then times
one slice of `get`s per line it reads on stdin (`IN_FLIGHT SECONDS`), answering each with a
JSON line (`median_us`, `per_second`), until stdin closes: a Rust report interleaves
these slices with its own, so that load elsewhere on the machine falls on both alike.

The Redis URL has no default: `cargo xtask bench` starts a redis-server of its own and passes
its URL, so the script never touches a server it was not given.
"""

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

import msgpack
import redis

from reference_cache import ReferenceCache, decode, encode

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "fixtures/bybit"
# The names the Rust reports give the lists, and their files.
LISTS = {
    "linear_214": FIXTURES_DIR / "instruments-linear-hirokisan-testnet-2023-gostruct.json",
    "linear_today_214": FIXTURES_DIR / "instruments-linear-today-shaped-214.json",
}
KEY = "bench:reference:instruments"
TTL_MS = 3_600_000
MAX_CALLS = 1_000_000


def instruments(path):
    """The instrument objects of `result.list`, as bybit-client's fixtures read them: the
    response's `result`, or the one non-null member of the Go-struct envelope."""
    doc = json.loads(path.read_text())
    result = doc.get("result")
    if result is None:
        result = next(
            (doc[k] for k in ("LinearInverse", "Option", "Spot") if doc.get(k)), {}
        )
    return result.get("list", [])


def summary(latencies_ns, calls, elapsed_s):
    """(median µs, calls per second)."""
    return statistics.median(latencies_ns) / 1000, calls / elapsed_s


def time_decode(stored, seconds):
    latencies = []
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline and len(latencies) < MAX_CALLS:
        t0 = time.perf_counter_ns()
        decode(stored)
        latencies.append(time.perf_counter_ns() - t0)
    return summary(latencies, len(latencies), time.perf_counter() - start)


async def time_gets(cache, in_flight, seconds, expected_len):
    latencies = []
    start = time.perf_counter()
    deadline = start + seconds

    async def worker():
        while time.perf_counter() < deadline and len(latencies) < MAX_CALLS:
            t0 = time.perf_counter_ns()
            value = await cache.get(KEY)
            latencies.append(time.perf_counter_ns() - t0)
            # A figure for failed or wrong reads would mean nothing.
            assert value is not None and len(value) == expected_len

    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return summary(latencies, len(latencies), time.perf_counter() - start)


async def run(url, seconds, fixture):
    value = instruments(fixture)
    stored = encode(value)
    assert decode(stored) == value, "the reference round-trips the list"
    cache = ReferenceCache(url)
    try:
        await cache.set(KEY, value, TTL_MS)
        # Warm the pool's connections and the server before timing.
        await asyncio.gather(*(cache.get(KEY) for _ in range(64)))
        rows = [("decode alone (no Redis)", time_decode(stored, seconds))]
        for in_flight in (1, 64):
            figures = await time_gets(cache, in_flight, seconds, len(value))
            rows.append((f"get, {in_flight} in flight", figures))
    finally:
        await cache.close()
    return len(value), len(stored), rows


async def serve_slices(url, fixture):
    """The `--slices` mode: one slice of gets per request line on stdin."""
    value = instruments(fixture)
    stored = encode(value)
    cache = ReferenceCache(url)
    try:
        await cache.set(KEY, value, TTL_MS)
        await asyncio.gather(*(cache.get(KEY) for _ in range(64)))
        answer(
            instruments=len(value),
            stored_bytes=len(stored),
            msgpack=".".join(map(str, msgpack.version)),
            redis=redis.__version__,
            python=sys.version.split()[0],
        )
        # Nothing else runs on the loop while it waits for the next request.
        for line in sys.stdin:
            in_flight, seconds = line.split()
            median_us, per_second = await time_gets(
                cache, int(in_flight), float(seconds), len(value)
            )
            answer(median_us=median_us, per_second=per_second)
    finally:
        await cache.close()


def answer(**fields):
    print(json.dumps(fields), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the Redis to use, redis://host:port/db")
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each run")
    parser.add_argument(
        "--slices", action="store_true", help="time slices requested on stdin (see above)"
    )
    parser.add_argument(
        "--list", choices=sorted(LISTS), default="linear_214", help="the list `--slices` reads"
    )
    args = parser.parse_args()
    if args.seconds <= 0:
        parser.error("--seconds must be positive")
    if args.slices:
        asyncio.run(serve_slices(args.url, LISTS[args.list]))
        return

    print(
        f"\nPython reference: msgpack {'.'.join(map(str, msgpack.version))} + zlib-6, "
        f"redis-py {redis.__version__}, Python {sys.version.split()[0]}\n"
    )
    print("| list | Python reference | median | per second |")
    print("|---|---|---:|---:|")
    for list_name, fixture in LISTS.items():
        count, size, rows = asyncio.run(run(args.url, args.seconds, fixture))
        label = f"{list_name} ({count} instruments, {size} bytes stored)"
        for name, (median_us, per_second) in rows:
            print(f"| {label} | {name} | {median_us:.0f} µs | {per_second:.0f} |")


if __name__ == "__main__":
    main()
