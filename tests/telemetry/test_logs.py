"""Log records worth reading: one DEBUG per attempt, one INFO per retry, cooldown,
token fetch and switch to paced sending, with ``extra=`` fields; ``AURA_ASYNC_LOG``."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest

from aura_async import AuraClient, RateLimit
from aura_async._logging import LOGGER_NAME, install_handler, install_handler_from_env
from aura_async.testing import AuraEmulator, Fault
from tests.conftest import make_client

FIELDS = ("operation", "status", "attempt", "waited")


def by_event(caplog: pytest.LogCaptureFixture, event: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "event", None) == event]


def fields(record: logging.LogRecord) -> tuple[object, ...]:
    return tuple(getattr(record, name) for name in FIELDS)


async def test_a_retried_get_logs_each_attempt_and_the_retry(
    emu: AuraEmulator, client: AuraClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    await client.tenants.list()  # the token first
    caplog.clear()
    emu.inject(Fault("GET", "/v1/tenants", status=503))
    await client.tenants.list()
    attempts = by_event(caplog, "attempt")
    assert [r.levelno for r in attempts] == [logging.DEBUG, logging.DEBUG]
    assert [fields(r) for r in attempts] == [
        ("tenants.list", 503, 1, 0.0),
        ("tenants.list", 200, 2, 0.0),
    ]
    assert "GET /v1/tenants -> 503 (attempt 1" in attempts[0].getMessage()
    (retry,) = by_event(caplog, "retry")
    assert retry.levelno == logging.INFO
    assert fields(retry) == ("tenants.list", 503, 1, 0.0)
    assert retry.getMessage().startswith("tenants.list: attempt 1 failed; retrying in ")
    assert len(caplog.records) == 3


async def test_info_shows_the_token_the_cooldown_and_the_switch_to_paced_sending(
    emu: AuraEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    emu.inject(Fault("GET", "/v1/tenants", status=429, retry_after=0.02))
    async with make_client(emu, rate_limit=RateLimit(100, per=1.0)) as client:
        await client.tenants.list()
    (token,) = by_event(caplog, "token")
    assert token.getMessage() == "fetched a new access token"
    assert fields(token) == ("oauth.token", 200, 1, None)
    (cooldown,) = by_event(caplog, "cooldown")
    assert fields(cooldown)[:3] == ("tenants.list", 429, 1)
    assert "every call of this credential waits 0.020s (cooldown)" in cooldown.getMessage()
    (paced,) = by_event(caplog, "paced")
    assert paced.status == 429  # type: ignore[attr-defined]
    assert "pacing sends with a burst of 4" in paced.getMessage()
    assert not by_event(caplog, "attempt")  # DEBUG only
    assert {r.levelno for r in caplog.records} == {logging.INFO}


async def test_a_wait_in_the_limiter_is_in_the_next_attempts_record(
    emu: AuraEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    async with make_client(emu, rate_limit=RateLimit(2, per=0.1)) as client:
        await client.tenants.list()  # the token and the call fill the window
        await client.tenants.list()
    last = by_event(caplog, "attempt")[-1]
    assert last.waited >= 0.05  # type: ignore[attr-defined]


@pytest.fixture
def clean_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger(LOGGER_NAME)
    handlers, level = list(logger.handlers), logger.level
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


@pytest.mark.parametrize(
    ("value", "level"),
    [("debug", logging.DEBUG), ("INFO", logging.INFO), ("", None), ("verbose", None)],
)
def test_the_environment_switch(
    clean_logger: logging.Logger, value: str, level: int | None
) -> None:
    handler = install_handler_from_env({"AURA_ASYNC_LOG": value})
    if level is None:
        assert handler is None
        assert clean_logger.level == logging.NOTSET
    else:
        assert handler in clean_logger.handlers
        assert clean_logger.level == level


def test_installing_twice_keeps_one_handler(clean_logger: logging.Logger) -> None:
    before = len(clean_logger.handlers)
    install_handler("debug")
    install_handler("info")
    assert len(clean_logger.handlers) == before + 1
    assert clean_logger.level == logging.INFO


SCRIPT = """
import logging, aura_async
log = logging.getLogger("aura_async")
log.info("an info record")
log.debug("a debug record")
"""


@pytest.mark.parametrize(
    ("value", "shown"),
    [("debug", ["an info record", "a debug record"]), ("info", ["an info record"]), ("", [])],
)
def test_importing_aura_async_with_the_variable_set_logs_to_stderr(
    value: str, shown: list[str]
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={"AURA_ASYNC_LOG": value, "PATH": ""},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert [line.split(": ", 1)[1] for line in result.stderr.splitlines()] == shown
