"""A local Redis Cluster and a Sentinel-managed Redis, for tests and benchmarks.

Built from the same ``redis-server`` binary as :class:`RedisServer` (a Cluster
node is a server with ``--cluster-enabled yes``, a Sentinel one with
``--sentinel``), on free loopback ports, without persistence.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import redis

from aura_async.redis._server import RedisServer, Started, free_port

__all__ = ["CLUSTER_SLOTS", "RedisClusterServers", "RedisSentinelServers", "cluster_node_port"]

CLUSTER_SLOTS = 16384
# A Cluster node also listens on its port + 10000 (the cluster bus).
_BUS_OFFSET = 10000
_PORT_TRIES = 200
# How often, and how many times, the cluster's or the Sentinel's state is polled (10 s).
_POLL = 0.02
_POLLS = 500


def _command(client: redis.Redis, *args: object) -> Any:
    return client.execute_command(*args)  # type: ignore[no-untyped-call]


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def cluster_node_port() -> int:
    """Return a free port whose cluster bus port (10000 higher) is free too.

    Raises:
        RuntimeError: None found in a bounded number of tries.
    """
    for _ in range(_PORT_TRIES):
        port = free_port()
        if port + _BUS_OFFSET < 65536 and _bindable(port + _BUS_OFFSET):
            return port
    raise RuntimeError("found no free port pair for a Cluster node")


def _wait_for(condition: object, what: str) -> None:
    """Poll ``condition()`` until true (bounded); raise RuntimeError naming ``what``."""
    assert callable(condition)
    for _ in range(_POLLS):
        if condition():
            return
        time.sleep(_POLL)
    raise RuntimeError(f"{what} within {_POLL * _POLLS:g}s")


class _Servers(Started):
    """Servers started together and stopped together."""

    servers: list[RedisServer]

    def close(self) -> None:
        """Stop every server and remove their directories."""
        for server in self.servers:
            server.close()


class RedisClusterServers(_Servers):
    """A Redis Cluster of ``nodes`` primaries on 127.0.0.1, the slots split evenly.

    Args:
        nodes: How many primaries.
        executable: The binary (default: :func:`~aura_async.redis._server.find_redis_server`).
    """

    def __init__(self, nodes: int = 3, *, executable: str | None = None) -> None:
        options = ["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"]
        self.servers = [
            RedisServer(cluster_node_port(), executable=executable, options=options)
            for _ in range(nodes)
        ]

    @property
    def url(self) -> str:
        """The ``redis+cluster://`` URL naming every node."""
        return "redis+cluster://" + ",".join(f"127.0.0.1:{s.port}" for s in self.servers)

    def owner(self, slot: int) -> RedisServer:
        """Return the node that serves ``slot``."""
        share = -(-CLUSTER_SLOTS // len(self.servers))
        return self.servers[slot // share]

    def start(self) -> None:
        """Start the nodes, give each its slots, introduce them, wait until the cluster is up.

        Raises:
            RuntimeError: A node did not start, or the cluster did not converge in 10 s.
        """
        for server in self.servers:
            server.start()
        share = -(-CLUSTER_SLOTS // len(self.servers))
        clients = [redis.Redis(port=s.port, decode_responses=True) for s in self.servers]
        try:
            for index, client in enumerate(clients):
                slots = range(index * share, min(CLUSTER_SLOTS, (index + 1) * share))
                _command(client, "CLUSTER", "ADDSLOTS", *slots)
            for server in self.servers[1:]:
                _command(clients[0], "CLUSTER", "MEET", "127.0.0.1", server.port)
            _wait_for(lambda: all(_converged(c, len(clients)) for c in clients), "no cluster")
        finally:
            for client in clients:
                client.close()


def _converged(client: redis.Redis, nodes: int) -> bool:
    info = _command(client, "CLUSTER", "INFO")
    text = info if isinstance(info, str) else info.decode()
    fields = dict(line.split(":", 1) for line in text.split() if ":" in line)
    ranges = _command(client, "CLUSTER", "SLOTS")
    return (
        fields.get("cluster_state") == "ok"
        and fields.get("cluster_known_nodes") == str(nodes)
        and len(ranges) == nodes
    )


class RedisSentinelServers(_Servers):
    """One Redis master watched by one Sentinel, on 127.0.0.1.

    Args:
        service: The name the Sentinel knows the master by.
        password: The master's password (``requirepass``), also given to the Sentinel.
        executable: The binary (default: :func:`~aura_async.redis._server.find_redis_server`).
    """

    def __init__(
        self, service: str = "aura", *, password: str | None = None, executable: str | None = None
    ) -> None:
        self.service = service
        self.master = RedisServer(password=password, executable=executable)
        config = f"sentinel monitor {service} 127.0.0.1 {self.master.port} 1\n"
        config += f"sentinel down-after-milliseconds {service} 1000\n"
        if password:
            config += f"sentinel auth-pass {service} {password}\n"
        self.sentinel = RedisServer(executable=executable, config=config, options=["--sentinel"])
        self.servers = [self.master, self.sentinel]
        self._password = password

    @property
    def url(self) -> str:
        """The ``redis+sentinel://`` URL of the master (with its password, if any)."""
        auth = f":{self._password}@" if self._password else ""
        return f"redis+sentinel://{auth}127.0.0.1:{self.sentinel.port}/{self.service}/0"

    def start(self) -> None:
        """Start the master, then the Sentinel, and wait until it knows the master.

        Raises:
            RuntimeError: A server did not start, or the Sentinel did not find the master.
        """
        self.master.start()
        self.sentinel.start()
        client = redis.Redis(port=self.sentinel.port, decode_responses=True)
        try:
            _wait_for(lambda: bool(self._master_known(client)), "no master")
        finally:
            client.close()

    def _master_known(self, client: redis.Redis) -> bool:
        return bool(_command(client, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.service))
