"""The Python reference cache: MessagePack + zlib on Redis, with redis-py's asyncio client.

What a Python service caching the instrument list would typically do, and what the Rust
figures in the README are compared with:

- set: msgpack.packb, zlib.compress (level 6), SET key value PX ttl_ms;
- get: GET key, zlib.decompress, msgpack.unpackb (to dicts and lists).
"""

import zlib

import msgpack
import redis.asyncio as aioredis

ZLIB_LEVEL = 6


def encode(value):
    """The stored bytes of `value`."""
    return zlib.compress(msgpack.packb(value), ZLIB_LEVEL)


def decode(stored):
    """The value of stored bytes: the decode every cache hit pays."""
    return msgpack.unpackb(zlib.decompress(stored))


class ReferenceCache:
    """A cache of MessagePack + zlib values on one Redis, given by its URL."""

    def __init__(self, url, max_connections=64):
        self._redis = aioredis.Redis.from_url(url, max_connections=max_connections)

    async def set(self, key, value, ttl_ms):
        await self._redis.set(key, encode(value), px=ttl_ms)

    async def get(self, key):
        stored = await self._redis.get(key)
        return None if stored is None else decode(stored)

    async def close(self):
        await self._redis.aclose()
