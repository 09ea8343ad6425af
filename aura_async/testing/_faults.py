"""Fault injection: scripted errors, latency and dropped connections.

A :class:`Fault` names the requests it applies to (method and path pattern) and
what happens to them. Kinds (``Fault.kind``, also recorded in the journal):

- ``"status"``: answer that status at once (JSON error body, or an HTML proxy page
  with ``html=True``), with ``Retry-After`` if given; the handler does not run.
- ``"drop"``: close the connection without an answer; the handler does not run.
- ``"status-after-apply"`` / ``"drop-after-apply"``: run the real handler first, so
  the operation takes effect, then answer the status / drop the connection instead
  of the real answer: the ambiguous outcome a client must not blindly retry.
- ``"latency"``: only wait ``latency`` seconds, then handle normally. Latency also
  combines with every other kind (the wait comes first).

When several injected faults match a request, the earliest injected one that fires
wins; the others are left untouched for later requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import math
import random
import re
from dataclasses import dataclass, field
from http import HTTPStatus

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from aura_async.testing._http import ApiError
from aura_async.testing._keys import DROPPED_KEY, FAULT_KEY

_METHODS = frozenset({"*", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Fault:
    """A scripted misbehaviour of the emulated API.

    Args:
        method: The HTTP method it applies to, or ``"*"`` for any.
        path: The request paths it applies to: ``*`` matches any run of characters,
            ``/`` included (``"/v1/instances/*"`` matches every instance sub-path).
        status: Answer this HTTP status (400-599) instead of the real answer.
        retry_after: With ``status``: the ``Retry-After`` header, seconds (number) or
            a verbatim string (e.g. an HTTP date).
        html: With ``status``: answer an HTML proxy error page (``text/html``)
            instead of a JSON error body.
        latency: Seconds to wait before handling the request.
        drop: Close the connection without answering. aiohttp's client re-sends an
            idempotent request (GET, PUT, DELETE) once after a disconnect on a
            reused connection, so dropping such a request every time needs
            ``times=2`` or more.
        after_apply: With ``status`` or ``drop``: run the real handler first.
        times: How many matching requests it hits (``None``: every one).
        probability: Hit each matching request with this probability (0 < p <= 1);
            misses do not count against ``times``.
        seed: Seed of the random draws, for reproducible runs.

    Raises:
        ValueError: On contradictory or out-of-range settings.
    """

    method: str = "*"
    path: str = "*"
    status: int | None = field(default=None, kw_only=True)
    retry_after: float | str | None = field(default=None, kw_only=True)
    html: bool = field(default=False, kw_only=True)
    latency: float = field(default=0.0, kw_only=True)
    drop: bool = field(default=False, kw_only=True)
    after_apply: bool = field(default=False, kw_only=True)
    times: int | None = field(default=1, kw_only=True)
    probability: float | None = field(default=None, kw_only=True)
    seed: int | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", self.method.upper())
        if self.method not in _METHODS:
            raise ValueError(f"method must be '*' or an HTTP method, not {self.method!r}")
        if not self.path.startswith(("/", "*")):
            raise ValueError(f"path must start with '/' or '*', not {self.path!r}")
        _validate_effect(self)
        _validate_schedule(self)

    @property
    def kind(self) -> str:
        """The fault's kind: ``status``, ``drop``, ``latency`` or ``*-after-apply``."""
        base = "drop" if self.drop else "status" if self.status is not None else "latency"
        return f"{base}-after-apply" if self.after_apply else base


def _validate_effect(fault: Fault) -> None:
    if fault.status is not None and not (
        isinstance(fault.status, int) and 400 <= fault.status <= 599
    ):
        raise ValueError(f"status must be an HTTP error status (400-599), not {fault.status!r}")
    if fault.drop and fault.status is not None:
        raise ValueError("a fault either drops the connection or answers a status, not both")
    if not (math.isfinite(fault.latency) and fault.latency >= 0):
        raise ValueError(f"latency must be a non-negative number, not {fault.latency!r}")
    if fault.status is None and not fault.drop and fault.latency == 0:
        raise ValueError("a fault needs a status, drop=True or a latency")
    if fault.status is None and (fault.html or fault.retry_after is not None):
        raise ValueError("html and retry_after need a status")
    if fault.after_apply and fault.status is None and not fault.drop:
        raise ValueError("after_apply needs a status or drop=True")
    if isinstance(fault.retry_after, int | float) and not fault.retry_after >= 0:
        raise ValueError(f"retry_after must be non-negative, not {fault.retry_after!r}")


def _validate_schedule(fault: Fault) -> None:
    if fault.times is not None and (isinstance(fault.times, bool) or fault.times < 1):
        raise ValueError(f"times must be a positive integer or None, not {fault.times!r}")
    if fault.probability is not None and not 0 < fault.probability <= 1:
        raise ValueError(f"probability must be in (0, 1], not {fault.probability!r}")
    if fault.seed is not None and fault.probability is None:
        raise ValueError("seed needs a probability")


class _ActiveFault:
    """An injected fault with its remaining uses and its random stream."""

    __slots__ = ("fault", "path_pattern", "random", "remaining")

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.remaining = fault.times
        self.random = random.Random(fault.seed) if fault.probability is not None else None
        self.path_pattern = None if fault.path == "*" else re.compile(fnmatch.translate(fault.path))

    def matches(self, method: str, path: str) -> bool:
        if self.fault.method != "*" and self.fault.method != method:
            return False
        return self.path_pattern is None or self.path_pattern.match(path) is not None

    def fires(self) -> bool:
        """Draw whether this matching request is hit, and count the use if so."""
        if self.random is not None and self.random.random() >= (self.fault.probability or 0):
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True


class FaultScript:
    """The injected faults, in injection order."""

    def __init__(self) -> None:
        self._active: list[_ActiveFault] = []

    def inject(self, fault: Fault) -> Fault:
        """Add ``fault`` after the ones already injected; return it."""
        self._active.append(_ActiveFault(fault))
        return fault

    def clear(self) -> None:
        """Remove every injected fault."""
        self._active.clear()

    def __len__(self) -> int:
        return len(self._active)

    @property
    def pending(self) -> list[Fault]:
        """The faults that may still hit a request."""
        return [active.fault for active in self._active]

    def pick(self, method: str, path: str) -> Fault | None:
        """Return the fault that hits this request, if any, consuming one use of it."""
        for active in self._active:
            if active.matches(method, path) and active.fires():
                if active.remaining == 0:
                    self._active.remove(active)
                return active.fault
        return None


def fault_middleware(script: FaultScript) -> Middleware:
    """Return the middleware that applies ``script``'s faults before the handler."""

    @web.middleware
    async def apply_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
        fault = script.pick(request.method, request.path) if script else None
        if fault is None:
            return await handler(request)
        request[FAULT_KEY] = fault.kind
        return await apply_fault(fault, request, handler)

    return apply_faults


async def apply_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer ``request`` as ``fault`` says (see the module docstring)."""
    if fault.latency:
        await asyncio.sleep(fault.latency)
    if fault.after_apply:
        # The real answer is discarded either way: only its side effects matter.
        with contextlib.suppress(ApiError, web.HTTPException):
            await handler(request)
    elif fault.status is None and not fault.drop:
        return await handler(request)
    if fault.drop:
        return drop_connection(request)
    return fault_response(fault)


def drop_connection(request: web.Request) -> web.StreamResponse:
    """Close the request's connection; the returned response is never sent."""
    request[DROPPED_KEY] = True
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=HTTPStatus.SERVICE_UNAVAILABLE)


def fault_response(fault: Fault) -> web.Response:
    """Return the error answer of a ``status`` fault."""
    status = fault.status or HTTPStatus.INTERNAL_SERVER_ERROR
    headers = {} if fault.retry_after is None else {"Retry-After": _header(fault.retry_after)}
    phrase = _phrase(status)
    if fault.html:
        return web.Response(
            text=_HTML_PAGE.format(status=status, phrase=phrase),
            status=status,
            content_type="text/html",
            headers=headers,
        )
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        return ApiError(status, "API rate limit exceeded", gateway=True, headers=headers).response()
    message = f"{phrase} (injected fault)"
    return ApiError(status, message, reason="injected-fault", headers=headers).response()


def _header(retry_after: float | str) -> str:
    if isinstance(retry_after, str):
        return retry_after
    return f"{retry_after:.3f}".rstrip("0").rstrip(".")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


_HTML_PAGE = (
    "<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
