"""The URLs :meth:`RedisBackend.from_url` takes, and the redis-py client each builds.

Besides redis-py's own ``redis://``, ``rediss://`` and ``unix://``:

- ``redis+cluster://[user:password@]host:port[,host:port...]``: a Redis
  Cluster, found through any of the nodes named (``rediss+cluster://`` for TLS).
- ``redis+sentinel://[user:password@]host:port[,host:port...]/service[/db]``:
  the master that the Sentinels at ``host:port`` know as ``service``
  (``rediss+sentinel://`` for TLS to the master and the Sentinels). The user and
  password are the master's; Sentinels that require their own take
  ``?sentinel_username=...&sentinel_password=...``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import parse_qs, unquote

import attrs
import redis.asyncio
import redis.exceptions
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import NoBackoff

from aura_async._errors import AuraConfigurationError
from aura_async.redis._inspect import AnyRedis

__all__ = ["NodesURL", "connect", "parse_nodes_url"]

_KINDS: dict[str, tuple[Literal["cluster", "sentinel"], bool]] = {
    "redis+cluster": ("cluster", False),
    "rediss+cluster": ("cluster", True),
    "redis+sentinel": ("sentinel", False),
    "rediss+sentinel": ("sentinel", True),
}
_DEFAULT_PORT = {"cluster": 6379, "sentinel": 26379}
_SENTINEL_QUERY = {"sentinel_username", "sentinel_password"}


@attrs.frozen
class NodesURL:
    """A parsed ``redis+cluster://`` or ``redis+sentinel://`` URL (secrets out of repr)."""

    kind: Literal["cluster", "sentinel"]
    tls: bool
    nodes: tuple[tuple[str, int], ...]
    username: str | None = attrs.field(default=None, repr=False)
    password: str | None = attrs.field(default=None, repr=False)
    service: str | None = None
    db: int = 0
    sentinel_username: str | None = attrs.field(default=None, repr=False)
    sentinel_password: str | None = attrs.field(default=None, repr=False)


def _bad(url_kind: str, problem: str) -> AuraConfigurationError:
    return AuraConfigurationError(f"not a usable {url_kind} URL: {problem}")


def _node(text: str, default_port: int, kind: str) -> tuple[str, int]:
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":")
    else:
        host, _, port_text = text.partition(":")
    if not host:
        raise _bad(kind, "a node without a host")
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise _bad(kind, f"{port_text!r} is not a port")
    return host, int(port_text)


def _auth(text: str) -> tuple[str | None, str | None]:
    if not text:
        return None, None
    user, colon, password = text.partition(":")
    return unquote(user) or None, unquote(password) if colon else None


def parse_nodes_url(url: str) -> NodesURL | None:
    """Parse a Cluster or Sentinel URL; return None for any other scheme.

    Raises:
        AuraConfigurationError: The URL is malformed (the message never shows a password).
    """
    scheme, found, rest = url.partition("://")
    if not found or scheme.lower() not in _KINDS:
        return None
    kind, tls = _KINDS[scheme.lower()]
    rest, _, query = rest.partition("?")
    location, _, path = rest.partition("/")
    auth, _, hosts = location.rpartition("@")
    nodes = tuple(_node(h, _DEFAULT_PORT[kind], kind) for h in hosts.split(",") if h)
    if not nodes:
        raise _bad(kind, "no host")
    username, password = _auth(auth)
    options = _sentinel_query(query, kind)
    segments = [unquote(s) for s in path.split("/") if s]
    if kind == "cluster":
        if segments not in ([], ["0"]) or options:
            raise _bad(kind, "a Cluster has database 0 only, and takes no query options")
        return NodesURL(kind, tls, nodes, username, password)
    if not segments or len(segments) > 2 or (len(segments) == 2 and not segments[1].isdigit()):
        raise _bad(kind, "the path must be /service or /service/db")
    db = int(segments[1]) if len(segments) == 2 else 0
    return NodesURL(kind, tls, nodes, username, password, segments[0], db, **options)


def _sentinel_query(query: str, kind: str) -> dict[str, str]:
    try:
        parsed = parse_qs(query, strict_parsing=bool(query))
    except ValueError:
        raise _bad(kind, "the query string does not parse") from None
    unknown = sorted(set(parsed) - _SENTINEL_QUERY)
    if unknown:
        raise _bad(kind, f"unknown query option(s) {', '.join(unknown)}")
    return {name: values[-1] for name, values in parsed.items()}


def connect(url: str, *, timeout: float, options: Mapping[str, Any]) -> AnyRedis:
    """Build the redis-py client for ``url``; each command gives up after ``timeout``.

    redis-py re-sends a command once on a broken connection only (a pooled
    connection left over from before a restart or a failover).

    Args:
        url: Any URL of this module's docstring, or redis-py's own.
        timeout: The socket and connect timeout, in seconds.
        options: More keyword arguments of the redis-py client (e.g. ``ssl_ca_certs``).

    Raises:
        AuraConfigurationError: The URL or an option is unusable.
    """
    common = {"socket_timeout": timeout, "socket_connect_timeout": timeout, **options}
    retry = Retry(NoBackoff(), 1, supported_errors=(redis.exceptions.ConnectionError,))
    try:
        nodes = parse_nodes_url(url)
        if nodes is None:
            return redis.asyncio.Redis.from_url(url, retry=retry, **common)
        if nodes.kind == "cluster":
            return _cluster(nodes, retry, common)
        return _sentinel_master(nodes, retry, common)
    except (ValueError, TypeError, redis.exceptions.RedisClusterException) as exc:
        if isinstance(exc, AuraConfigurationError):
            raise
        raise AuraConfigurationError(f"not a usable Redis URL: {exc}") from None


def _cluster(url: NodesURL, retry: Retry, common: Mapping[str, Any]) -> RedisCluster:
    return RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in url.nodes],
        username=url.username,
        password=url.password,
        ssl=url.tls,
        retry=retry,
        **common,
    )


def _sentinel_master(url: NodesURL, retry: Retry, common: Mapping[str, Any]) -> redis.asyncio.Redis:
    sentinel_kwargs: dict[str, Any] = {
        "socket_timeout": common["socket_timeout"],
        "socket_connect_timeout": common["socket_connect_timeout"],
        "username": url.sentinel_username,
        "password": url.sentinel_password,
    }
    if url.tls:
        sentinel_kwargs["ssl"] = True
    sentinel = Sentinel(url.nodes, sentinel_kwargs=sentinel_kwargs)
    assert url.service is not None
    master: redis.asyncio.Redis = sentinel.master_for(
        url.service,
        username=url.username,
        password=url.password,
        db=url.db,
        ssl=url.tls,
        retry=retry,
        **common,
    )
    return master
