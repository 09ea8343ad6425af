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
    """One Redis master (and optionally a replica) watched by one Sentinel, on 127.0.0.1.

    Args:
        service: The name the Sentinel knows the master by.
        password: The servers' password (``requirepass`` and ``masterauth``), also
            given to the Sentinel.
        replica: Also start a replica of the master, which :meth:`fail_over` promotes.
        executable: The binary (default: :func:`~aura_async.redis._server.find_redis_server`).
    """

    def __init__(
        self,
        service: str = "aura",
        *,
        password: str | None = None,
        replica: bool = False,
        executable: str | None = None,
    ) -> None:
        self.service = service
        auth = ["--masterauth", password] if password else []
        self.master = RedisServer(password=password, executable=executable, options=auth)
        replica_of = ["--replicaof", "127.0.0.1", str(self.master.port), *auth]
        self.replicas = (
            [RedisServer(password=password, executable=executable, options=replica_of)]
            if replica
            else []
        )
        config = f"sentinel monitor {service} 127.0.0.1 {self.master.port} 1\n"
        config += f"sentinel down-after-milliseconds {service} 1000\n"
        if password:
            config += f"sentinel auth-pass {service} {password}\n"
        self.sentinel = RedisServer(executable=executable, config=config, options=["--sentinel"])
        self.servers = [self.master, *self.replicas, self.sentinel]
        self._password = password

    @property
    def url(self) -> str:
        """The ``redis+sentinel://`` URL of the master (with its password, if any)."""
        auth = f":{self._password}@" if self._password else ""
        return f"redis+sentinel://{auth}127.0.0.1:{self.sentinel.port}/{self.service}/0"

    def start(self) -> None:
        """Start the master, its replica, then the Sentinel; wait until it knows them.

        Raises:
            RuntimeError: A server did not start, or the Sentinel did not find them in 10 s.
        """
        self.master.start()
        for replica in self.replicas:
            replica.start()
            with self._client(replica.port) as client:
                _wait_for(lambda: _replicating(client), "no replication")
        self.sentinel.start()
        with self._client(self.sentinel.port) as client:
            _wait_for(lambda: self._master_port(client) is not None, "no master")
            _wait_for(lambda: self._replicas_known(client), "no replica known to the Sentinel")

    def fail_over(self) -> int:
        """Have the Sentinel promote the replica; wait until it names it; return its port.

        Raises:
            RuntimeError: The Sentinel did not name a new master within 10 s.
        """
        old = self.master.port
        with self._client(self.sentinel.port) as client:
            _wait_for(lambda: self._failover_started(client), "no failover started")
            _wait_for(lambda: self._master_port(client) not in (None, old), "no failover")
            port = self._master_port(client)
        assert port is not None
        return port

    def _client(self, port: int) -> redis.Redis:
        password = None if port == self.sentinel.port else self._password
        return redis.Redis(port=port, password=password, decode_responses=True)

    def _master_port(self, client: redis.Redis) -> int | None:
        address = _command(client, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.service)
        return int(address[1]) if address else None

    def _failover_started(self, client: redis.Redis) -> bool:
        """Ask for a failover; False while the Sentinel finds no replica good enough yet."""
        try:
            _command(client, "SENTINEL", "FAILOVER", self.service)
        except redis.ResponseError as exc:
            if "NOGOODSLAVE" not in str(exc):
                raise
            return False
        return True

    def _replicas_known(self, client: redis.Redis) -> bool:
        known = _command(client, "SENTINEL", "REPLICAS", self.service)
        return len(known) >= len(self.replicas)


def _replicating(client: redis.Redis) -> bool:
    info = client.info("replication")
    return bool(info.get("master_link_status") == "up")
