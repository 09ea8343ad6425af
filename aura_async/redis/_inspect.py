"""What a redis-py client talks to: a server, a Cluster or a Sentinel-managed master.

Pure functions over the client's configuration (no Redis call): how to name the
servers in an error, which secrets to keep out of messages, and whether the
server a connect check found can serve the backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias, TypeGuard

import redis.asyncio
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.sentinel import SentinelConnectionPool

__all__ = [
    "MIN_VERSION",
    "AnyRedis",
    "describe_server",
    "is_cluster",
    "secrets_of",
    "server_problem",
]

AnyRedis: TypeAlias = redis.asyncio.Redis | RedisCluster

# HELLO 3 (sent by redis-py 6 and later) and ACLs came with Redis 6.0; so did the
# script effects replication that lets a script write after reading TIME.
MIN_VERSION = (6, 0, 0)


def is_cluster(client: AnyRedis) -> TypeGuard[RedisCluster]:
    """Return True for a Redis Cluster client."""
    return isinstance(client, RedisCluster)


def _address(kwargs: Mapping[str, Any]) -> str:
    if "path" in kwargs:
        return str(kwargs["path"])
    return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"


def describe_server(client: AnyRedis) -> str:
    """Return the servers ``client`` talks to, without credentials.

    ``host:port`` (or the socket path) of a plain client; ``host:port,...
    (Cluster)`` (its startup nodes) of a Cluster client; ``host:port,...
    (Sentinel service 'name')`` of a Sentinel-managed client.
    """
    if isinstance(client, RedisCluster):
        return ",".join(client.nodes_manager.startup_nodes) + " (Cluster)"
    pool = client.connection_pool
    if isinstance(pool, SentinelConnectionPool):
        sentinels = pool.sentinel_manager.sentinels
        where = ",".join(_address(s.connection_pool.connection_kwargs) for s in sentinels)
        return f"{where} (Sentinel service {pool.service_name!r})"
    return _address(pool.connection_kwargs)


def secrets_of(client: AnyRedis) -> list[str]:
    """Return the passwords ``client`` may send (of its servers and Sentinels)."""
    if isinstance(client, RedisCluster):
        sources: list[Mapping[str, Any]] = [client.connection_kwargs]
    else:
        pool = client.connection_pool
        sources = [pool.connection_kwargs]
        if isinstance(pool, SentinelConnectionPool):
            manager = pool.sentinel_manager
            sources += [manager.sentinel_kwargs, manager.connection_kwargs]
    found = (source.get("password") for source in sources)
    return sorted({str(value) for value in found if value}, key=len, reverse=True)


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for part in text.split(".")[:3]:
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def server_problem(info: Mapping[str, Any], *, cluster_client: bool) -> str | None:
    """Return why a server (its ``INFO server``) cannot serve the backend, or None.

    Args:
        info: The parsed ``INFO server`` reply (``redis_version``, ``redis_mode``);
            empty if INFO is not allowed, and then nothing is known to be wrong.
        cluster_client: The client is a Redis Cluster client.
    """
    version = info.get("redis_version")
    if version is not None and _version(str(version)) < MIN_VERSION:
        needed = ".".join(map(str, MIN_VERSION[:2]))
        return f"runs Redis {version}; the Redis backend needs Redis {needed} or later"
    mode = info.get("redis_mode")
    if mode == "cluster" and not cluster_client:
        return (
            "is a Redis Cluster node: pass a redis.asyncio.RedisCluster, "
            "or use a redis+cluster:// URL"
        )
    if mode == "sentinel":
        return (
            "is a Sentinel, not a data server: use a redis+sentinel:// URL, "
            "or pass Sentinel(...).master_for(service)"
        )
    return None
