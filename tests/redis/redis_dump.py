"""Everything a Redis server holds, read back as text, to look for secrets in it."""

from __future__ import annotations

import redis.asyncio


async def _value(client: redis.asyncio.Redis, key: str) -> str:
    kind = await client.type(key)
    if kind == "string":
        return str(await client.get(key))
    if kind == "hash":
        return repr(await client.hgetall(key))
    if kind == "zset":
        return repr(await client.zrange(key, 0, -1, withscores=True))
    if kind == "set":
        return repr(await client.smembers(key))
    if kind == "list":
        return repr(await client.lrange(key, 0, -1))
    return f"<{kind}>"


async def dump_server(port: int, password: str | None = None) -> dict[str, str]:
    """Return every key of the server at 127.0.0.1:``port`` with its value as text.

    Strings are read with GET, hashes with HGETALL, sorted sets with ZRANGE.
    """
    client = redis.asyncio.Redis(port=port, password=password, decode_responses=True)
    try:
        return {key: await _value(client, key) async for key in client.scan_iter(count=1000)}
    finally:
        await client.aclose()


async def dump_servers(ports: list[int]) -> dict[str, str]:
    """:func:`dump_server` of every server (e.g. every Cluster node), merged."""
    dumped: dict[str, str] = {}
    for port in ports:
        dumped.update(await dump_server(port))
    return dumped
