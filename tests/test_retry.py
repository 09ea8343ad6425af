"""The retry matrix, the backoff and Retry-After parsing, as tables."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from aura_async._config import RetryPolicy
from aura_async._retry import (
    IDEMPOTENT_METHODS,
    AttemptOutcome,
    RetryDecision,
    backoff_delay,
    decide,
    parse_retry_after,
    rejection_cooldown,
)

DEFAULT = RetryPolicy()
NO_REJECTED_POSTS = RetryPolicy(retry_rejected_posts=False)
NO_RETRIES = RetryPolicy(max_retries=0)
# With jitter 0.5 and the default policy the backoff is 0.25 * 2**retries_done.
JITTER = 0.5

NOT_SENT = AttemptOutcome("not_sent")
LOST = AttemptOutcome("lost")


def response(status: int, retry_after: float | None = None) -> AttemptOutcome:
    return AttemptOutcome("response", status, retry_after)


def test_idempotent_methods() -> None:
    assert frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}) == IDEMPOTENT_METHODS


# --- the matrix ---------------------------------------------------------------------

# (method, idempotent, outcome, retries_done, policy, expected action, expected delay)
MATRIX = [
    # nothing was sent: retry whatever the method, while retries remain
    ("GET", True, NOT_SENT, 0, DEFAULT, "retry", 0.25),
    ("POST", False, NOT_SENT, 0, DEFAULT, "retry", 0.25),
    ("PATCH", False, NOT_SENT, 2, DEFAULT, "retry", 1.0),
    ("GET", True, NOT_SENT, 3, DEFAULT, "raise", 0.0),
    ("POST", False, NOT_SENT, 3, DEFAULT, "raise", 0.0),
    ("GET", True, NOT_SENT, 0, NO_RETRIES, "raise", 0.0),
    # sent, answer lost: retry if idempotent, else the outcome is unknown
    ("GET", True, LOST, 0, DEFAULT, "retry", 0.25),
    ("PUT", True, LOST, 1, DEFAULT, "retry", 0.5),
    ("DELETE", True, LOST, 3, DEFAULT, "raise", 0.0),
    ("POST", True, LOST, 0, DEFAULT, "retry", 0.25),
    ("POST", False, LOST, 0, DEFAULT, "outcome_unknown", 0.0),
    ("PATCH", False, LOST, 3, DEFAULT, "outcome_unknown", 0.0),
    ("POST", False, LOST, 0, NO_RETRIES, "outcome_unknown", 0.0),
    # success and redirects are returned
    ("GET", True, response(200), 0, DEFAULT, "return", 0.0),
    ("POST", False, response(201), 3, DEFAULT, "return", 0.0),
    ("POST", False, response(202), 0, DEFAULT, "return", 0.0),
    ("DELETE", True, response(204), 2, DEFAULT, "return", 0.0),
    ("GET", True, response(308), 0, DEFAULT, "return", 0.0),
    # DELETE retried, then 404: the earlier attempt deleted it
    ("DELETE", True, response(404), 1, DEFAULT, "already_gone", 0.0),
    ("delete", True, response(404), 3, DEFAULT, "already_gone", 0.0),
    ("DELETE", True, response(404), 0, DEFAULT, "raise", 0.0),
    ("GET", True, response(404), 1, DEFAULT, "raise", 0.0),
    ("DELETE", True, response(410), 1, DEFAULT, "raise", 0.0),
    # 429: global cooldown, then retry; POST/PATCH too unless turned off
    ("GET", True, response(429), 0, DEFAULT, "cooldown", 0.25),
    ("GET", True, response(429, 2.0), 0, DEFAULT, "cooldown", 2.0),
    ("GET", True, response(429, 0.0), 0, DEFAULT, "cooldown", 0.0),
    ("GET", True, response(429, 60.0), 2, DEFAULT, "cooldown", 60.0),
    ("POST", False, response(429), 1, DEFAULT, "cooldown", 0.5),
    ("PATCH", False, response(429, 2.0), 0, DEFAULT, "cooldown", 2.0),
    ("POST", False, response(429, 2.0), 0, NO_REJECTED_POSTS, "raise", 0.0),
    ("POST", True, response(429, 2.0), 0, NO_REJECTED_POSTS, "cooldown", 2.0),
    ("GET", True, response(429), 0, NO_REJECTED_POSTS, "cooldown", 0.25),
    ("GET", True, response(429, 60.5), 0, DEFAULT, "raise", 0.0),
    ("POST", False, response(429, 120.0), 0, DEFAULT, "raise", 0.0),
    ("GET", True, response(429), 3, DEFAULT, "raise", 0.0),
    ("POST", False, response(429, 1.0), 3, DEFAULT, "raise", 0.0),
    ("GET", True, response(429), 0, NO_RETRIES, "raise", 0.0),
    # 500/502/503/504: retry if idempotent (honouring Retry-After); never a POST/PATCH
    ("GET", True, response(500), 0, DEFAULT, "retry", 0.25),
    ("GET", True, response(502), 1, DEFAULT, "retry", 0.5),
    ("PUT", True, response(503), 2, DEFAULT, "retry", 1.0),
    ("DELETE", True, response(504), 0, DEFAULT, "retry", 0.25),
    ("GET", True, response(503, 2.0), 0, DEFAULT, "retry", 2.0),
    ("GET", True, response(503, 61.0), 0, DEFAULT, "raise", 0.0),
    ("GET", True, response(503), 3, DEFAULT, "raise", 0.0),
    ("GET", True, response(500), 0, NO_RETRIES, "raise", 0.0),
    ("POST", True, response(503), 0, DEFAULT, "retry", 0.25),
    ("POST", False, response(500), 0, DEFAULT, "outcome_unknown", 0.0),
    ("POST", False, response(502), 0, DEFAULT, "outcome_unknown", 0.0),
    ("POST", False, response(503, 1.0), 0, DEFAULT, "outcome_unknown", 0.0),
    ("POST", False, response(504), 3, DEFAULT, "outcome_unknown", 0.0),
    ("PATCH", False, response(503, 120.0), 0, DEFAULT, "outcome_unknown", 0.0),
    # other 5xx: raise
    ("GET", True, response(501), 0, DEFAULT, "raise", 0.0),
    ("GET", True, response(505), 0, DEFAULT, "raise", 0.0),
    ("GET", True, response(599, 1.0), 0, DEFAULT, "raise", 0.0),
    ("POST", False, response(501), 0, DEFAULT, "raise", 0.0),
    # every other status raises at once (a 401's token refresh is another layer's job)
    ("GET", True, response(400), 0, DEFAULT, "raise", 0.0),
    ("POST", False, response(400), 0, DEFAULT, "raise", 0.0),
    ("GET", True, response(401), 0, DEFAULT, "raise", 0.0),
    ("POST", False, response(401), 0, DEFAULT, "raise", 0.0),
    ("GET", True, response(403), 0, DEFAULT, "raise", 0.0),
    ("POST", False, response(404), 1, DEFAULT, "raise", 0.0),
    ("POST", False, response(405), 0, DEFAULT, "raise", 0.0),
    ("PATCH", False, response(409), 0, DEFAULT, "raise", 0.0),
    ("POST", False, response(415), 0, DEFAULT, "raise", 0.0),
    ("GET", True, response(420, 1.0), 0, DEFAULT, "raise", 0.0),
    ("GET", True, response(499), 0, DEFAULT, "raise", 0.0),
    ("GET", True, response(100), 0, DEFAULT, "raise", 0.0),
    ("GET", True, AttemptOutcome("response"), 0, DEFAULT, "raise", 0.0),
]


@pytest.mark.parametrize(
    ("method", "idempotent", "outcome", "retries_done", "policy", "action", "delay"), MATRIX
)
def test_retry_matrix(
    method: str,
    idempotent: bool,
    outcome: AttemptOutcome,
    retries_done: int,
    policy: RetryPolicy,
    action: str,
    delay: float,
) -> None:
    decision = decide(
        outcome,
        method=method,
        idempotent=idempotent,
        retries_done=retries_done,
        policy=policy,
        jitter=JITTER,
    )
    assert decision.action == action
    assert decision.delay == pytest.approx(delay)
    assert decision.reason


@pytest.mark.parametrize(
    ("method", "idempotent", "outcome", "retries_done", "policy", "reason"),
    [
        ("GET", True, response(503, 2.0), 0, DEFAULT, "503 with Retry-After 2.0s"),
        ("GET", True, response(503), 0, DEFAULT, "503, backoff"),
        ("GET", True, response(429, 90.0), 0, DEFAULT, "Retry-After 90.0s > retry_after_max"),
        ("GET", True, response(503), 3, DEFAULT, "no retries left (3 of 3 done)"),
        ("POST", False, response(429), 0, NO_REJECTED_POSTS, "retry_rejected_posts is off"),
        ("POST", False, response(502), 0, DEFAULT, "502 on POST"),
        ("patch", False, LOST, 0, DEFAULT, "PATCH sent, answer lost"),
        ("GET", True, NOT_SENT, 0, DEFAULT, "connection failed before sending"),
        ("GET", True, response(400), 0, DEFAULT, "400 is not retried"),
    ],
)
def test_reason_explains_the_decision(
    method: str,
    idempotent: bool,
    outcome: AttemptOutcome,
    retries_done: int,
    policy: RetryPolicy,
    reason: str,
) -> None:
    decision = decide(
        outcome,
        method=method,
        idempotent=idempotent,
        retries_done=retries_done,
        policy=policy,
        jitter=JITTER,
    )
    assert reason in decision.reason


@pytest.mark.parametrize(("jitter", "delay"), [(0.0, 0.0), (0.5, 1.0), (1.0, 2.0)])
def test_decide_uses_the_callers_jitter(jitter: float, delay: float) -> None:
    decision = decide(
        response(503), method="GET", idempotent=True, retries_done=2, policy=DEFAULT, jitter=jitter
    )
    assert decision == RetryDecision("retry", delay=delay, reason=decision.reason)


# --- backoff ------------------------------------------------------------------------

SMALL = RetryPolicy(backoff_base=0.1, backoff_cap=0.3)


@pytest.mark.parametrize(
    ("retries_done", "policy", "jitter", "delay"),
    [
        (0, DEFAULT, 0.0, 0.0),
        (0, DEFAULT, 0.5, 0.25),
        (0, DEFAULT, 1.0, 0.5),
        (1, DEFAULT, 1.0, 1.0),
        (2, DEFAULT, 1.0, 2.0),
        (3, DEFAULT, 1.0, 4.0),
        (4, DEFAULT, 1.0, 8.0),
        (5, DEFAULT, 1.0, 8.0),
        (5, DEFAULT, 0.0, 0.0),
        (10, DEFAULT, 0.5, 4.0),
        (10_000, DEFAULT, 1.0, 8.0),
        (0, SMALL, 1.0, 0.1),
        (1, SMALL, 1.0, 0.2),
        (2, SMALL, 1.0, 0.3),
        (2, SMALL, 0.5, 0.15),
        (3, RetryPolicy(backoff_base=1.0, backoff_cap=1.0), 0.25, 0.25),
    ],
)
def test_backoff_delay(retries_done: int, policy: RetryPolicy, jitter: float, delay: float) -> None:
    assert backoff_delay(retries_done, policy, jitter) == pytest.approx(delay)


@pytest.mark.parametrize(
    ("retries_done", "jitter"), [(0, -0.1), (0, 1.1), (0, math.nan), (0, math.inf), (-1, 0.5)]
)
def test_backoff_delay_rejects_bad_input(retries_done: int, jitter: float) -> None:
    with pytest.raises(ValueError):
        backoff_delay(retries_done, DEFAULT, jitter)


# --- Retry-After --------------------------------------------------------------------

NOW = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("5", 5.0),
        ("0", 0.0),
        ("120", 120.0),
        ("007", 7.0),
        ("1.5", 1.5),
        ("1.", 1.0),
        (".5", 0.5),
        (" 2 ", 2.0),
        ("\t3\r\n", 3.0),
        ("99999999999999999999", 1e20),
        # HTTP-dates, against NOW
        ("Mon, 01 Jan 2024 12:00:30 GMT", 30.0),
        ("Mon, 01 Jan 2024 12:00:00 GMT", 0.0),
        ("Mon, 01 Jan 2024 11:59:00 GMT", 0.0),
        ("Sun, 06 Nov 1994 08:49:37 GMT", 0.0),
        ("  Mon, 01 Jan 2024 12:02:00 GMT  ", 120.0),
        ("Monday, 01-Jan-24 12:01:00 GMT", 60.0),
        ("Mon Jan  1 12:00:10 2024", 10.0),
        ("Mon, 01 Jan 2024 13:00:05 +0100", 5.0),
        ("Mon, 01 Jan 2024 12:00:05 -0000", 5.0),
        # garbage
        (None, None),
        ("", None),
        ("   ", None),
        ("soon", None),
        ("5 s", None),
        ("1,5", None),
        ("1e3", None),
        ("0x10", None),
        ("-5", None),
        ("-0.5", None),
        ("+5", None),
        ("nan", None),
        ("NaN", None),
        ("inf", None),
        ("-inf", None),
        ("9" * 400, None),
        ("\u0663", None),
        ("Mon, 01 Jan 2024 25:00:00 GMT", None),
        ("Mon, 32 Jan 2024 12:00:00 GMT", None),
        ("Mon, 01 Foo 2024 12:00:00 GMT", None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


@pytest.mark.parametrize(
    "now",
    [
        NOW,
        NOW.replace(tzinfo=None),
        NOW.astimezone(timezone(timedelta(hours=-5))),
    ],
    ids=["utc", "naive-is-utc", "other-zone"],
)
def test_parse_retry_after_measures_dates_from_any_now(now: datetime) -> None:
    assert parse_retry_after("Mon, 01 Jan 2024 12:00:30 GMT", now=now) == 30.0


def test_parse_retry_after_far_future_date_is_large_and_finite() -> None:
    seconds = parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now=NOW)
    assert seconds is not None
    assert 2.5e11 < seconds < math.inf


# --- the cooldown every 429 starts -------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "retries_done", "policy", "cooldown"),
    [
        (response(429, retry_after=2.0), 0, DEFAULT, 2.0),
        (response(429), 0, DEFAULT, 0.25),  # the backoff, with jitter 0.5
        (response(429), 2, DEFAULT, 1.0),
        (response(429, retry_after=2.0), 0, NO_RETRIES, 2.0),  # not retried: still a cooldown
        (response(429, retry_after=2.0), 3, DEFAULT, 2.0),  # the last retry is used up
        (response(429, retry_after=2.0), 0, NO_REJECTED_POSTS, 2.0),
        (response(429, retry_after=600.0), 0, DEFAULT, 60.0),  # capped at retry_after_max
        (response(429, retry_after=0.0), 0, DEFAULT, 0.0),
        (response(503, retry_after=2.0), 0, DEFAULT, None),
        (response(200), 0, DEFAULT, None),
        (LOST, 0, DEFAULT, None),
        (NOT_SENT, 0, DEFAULT, None),
    ],
)
def test_every_429_has_a_cooldown(
    outcome: AttemptOutcome, retries_done: int, policy: RetryPolicy, cooldown: float | None
) -> None:
    got = rejection_cooldown(outcome, retries_done=retries_done, policy=policy, jitter=JITTER)
    assert got == cooldown


@pytest.mark.parametrize("retry_after", [None, 0.5, 2.0])
def test_a_retried_429_waits_its_cooldown(retry_after: float | None) -> None:
    outcome = response(429, retry_after=retry_after)
    decision = decide(
        outcome, method="GET", idempotent=True, retries_done=1, policy=DEFAULT, jitter=JITTER
    )
    cooldown = rejection_cooldown(outcome, retries_done=1, policy=DEFAULT, jitter=JITTER)
    assert decision.action == "cooldown"
    assert decision.delay == cooldown
