"""The client's log records, and the ``AURA_ASYNC_LOG`` switch.

One DEBUG record per attempt; one INFO record per retry, 429 cooldown, token
fetch and switch to paced sending. Each carries ``extra=`` fields (``event``,
``operation``, ``status``, ``attempt``, ``waited``) that JSON formatters pick up.
Records name paths, statuses and error classes, never headers, bodies or secrets.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aura_async._retry import RetryDecision

__all__ = [
    "ENV_VAR",
    "LOGGER_NAME",
    "attempt",
    "fields",
    "install_handler",
    "install_handler_from_env",
    "level_from_env",
    "paced",
    "retry",
    "token_fetched",
]

ENV_VAR = "AURA_ASYNC_LOG"
LOGGER_NAME = "aura_async"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def fields(
    operation: str | None, status: int | None, attempt: int | None, waited: float | None
) -> dict[str, Any]:
    """Return the ``extra=`` fields of a record about one attempt of an operation."""
    return {"operation": operation, "status": status, "attempt": attempt, "waited": waited}


def attempt(
    logger: logging.Logger,
    extra: dict[str, Any],
    method: str,
    path: str,
    error: BaseException | None,
    decision: RetryDecision,
    elapsed: float,
    request_id: str | None,
) -> None:
    """Log one attempt at DEBUG: its answer or failure, and what happens next."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    status = extra["status"]
    logger.debug(
        "%s %s -> %s (attempt %d, %.3fs, request id %s): %s%s",
        method,
        path,
        status if status is not None else type(error).__name__,
        extra["attempt"],
        elapsed,
        request_id,
        decision.action,
        f" ({decision.reason})" if decision.reason else "",
        extra={"event": "attempt", **extra},
    )


def retry(logger: logging.Logger, extra: dict[str, Any], decision: RetryDecision) -> None:
    """Log at INFO that an attempt is retried, or that a 429 starts a cooldown."""
    if not logger.isEnabledFor(logging.INFO):
        return
    if decision.action == "cooldown":
        message = "%s: 429 on attempt %d; every call of this credential waits %.3fs (cooldown)"
    else:
        message = "%s: attempt %d failed; retrying in %.3fs"
    event = "cooldown" if decision.action == "cooldown" else "retry"
    logger.info(
        message + "%s",
        extra["operation"],
        extra["attempt"],
        decision.delay,
        f" ({decision.reason})" if decision.reason else "",
        extra={"event": event, **extra},
    )


def token_fetched(logger: logging.Logger, attempts: int) -> None:
    """Log at INFO that a new access token was fetched."""
    logger.info(
        "fetched a new access token",
        extra={"event": "token", **fields("oauth.token", 200, attempts, None)},
    )


def paced(logger: logging.Logger, requests: int, per: float, burst: int) -> None:
    """Log at INFO that the limiter switched to paced sending."""
    logger.info(
        "the server limits more strictly than %d per %gs in a sliding window; "
        "pacing sends with a burst of %d from now on",
        requests,
        per,
        burst,
        extra={"event": "paced", "burst": burst, **fields(None, 429, None, None)},
    )


_installed: list[logging.Handler] = []


def install_handler(level: int | str, *, handler: logging.Handler | None = None) -> logging.Handler:
    """Show the ``aura_async`` logger's records at ``level`` and above, once each.

    The handler replaces the one installed before by this function (if any).
    Records still propagate to the root logger's handlers too.

    Args:
        level: A logging level, or ``"debug"``/``"info"``.
        handler: Where the records go (default: a stream handler on stderr).

    Returns:
        The handler installed.
    """
    if isinstance(level, str):
        level = _LEVELS[level.lower()]
    if handler is None:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
    logger = logging.getLogger(LOGGER_NAME)
    while _installed:
        logger.removeHandler(_installed.pop())
    logger.addHandler(handler)
    _installed.append(handler)
    logger.setLevel(level)
    return handler


def level_from_env(environ: Mapping[str, str] | None = None) -> int | None:
    """Return the level ``AURA_ASYNC_LOG`` asks for (``debug`` or ``info``), or None."""
    value = (os.environ if environ is None else environ).get(ENV_VAR, "").strip().lower()
    return _LEVELS.get(value)


def install_handler_from_env(environ: Mapping[str, str] | None = None) -> logging.Handler | None:
    """Install the stderr handler if ``AURA_ASYNC_LOG`` is ``debug`` or ``info``.

    Args:
        environ: The environment to read (default ``os.environ``).

    Returns:
        The handler, or None when the variable is unset or not a known level.
    """
    level = level_from_env(environ)
    return None if level is None else install_handler(level)
