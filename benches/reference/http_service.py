"""The Python comparison point of `http_serve`: an aiohttp service over the reference cache
doing what a first user would write, the cache's `get` (GET, zlib, msgpack to dicts), then
`json_response`.

`python http_service.py REDIS_URL BODY_FILE` stores the JSON array in BODY_FILE through the
reference cache, serves it at GET /v1/bybit/linear/instruments on a free loopback port, and
prints that port's URL once it accepts connections.
"""

import asyncio
import json
import sys

from aiohttp import web

from reference_cache import ReferenceCache

KEY = "reference:instruments:linear"
TTL_MS = 24 * 3600 * 1000


async def main(redis_url, body_file):
    cache = ReferenceCache(redis_url)
    with open(body_file, encoding="utf-8") as body:
        await cache.set(KEY, json.load(body), TTL_MS)

    async def instruments(_request):
        return web.json_response(await cache.get(KEY))

    app = web.Application()
    app.router.add_get("/v1/bybit/linear/instruments", instruments)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = runner.addresses[0][1]
    print(f"http://127.0.0.1:{port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
