"""The retry policy as pure functions: what to do after an attempt, and how long to wait.

:func:`decide` is the retry matrix (README, "Retries") in one place; the pipeline feeds
it each attempt's outcome and acts on the decision. Nothing here reads a clock,
draws a random number or does I/O: the caller passes ``now`` and ``jitter``.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

import attrs

from aura_async._config import RetryPolicy

IDEMPOTENT_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

# 5xx answers that a repeatable request may retry; others (501, 505, ...) will not change.
_TRANSIENT_SERVER_STATUSES = frozenset({500, 502, 503, 504})
# Beyond 2**1000 the float power would overflow; any cap is reached long before.
_MAX_BACKOFF_EXPONENT = 1000
_DELAY_SECONDS = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)


@attrs.frozen
class AttemptOutcome:
    """What one attempt produced, as far as retrying is concerned.

    Attributes:
        kind: ``"not_sent"``: a connect or DNS error, nothing was written.
            ``"lost"``: the request was written, then a timeout, reset or
            disconnect came before a full answer. ``"response"``: an answer came.
        status: The HTTP status, for ``"response"``.
        retry_after: The parsed ``Retry-After`` seconds, for ``"response"``.
    """

    kind: Literal["not_sent", "lost", "response"]
    status: int | None = None
    retry_after: float | None = None


@attrs.frozen
class RetryDecision:
    """What to do after an attempt.

    Attributes:
        action: ``"return"`` the response; ``"retry"`` after ``delay``;
            ``"cooldown"``: a 429, pause every request of the credential for
            ``delay``, then retry; ``"outcome_unknown"``: raise
            ``OutcomeUnknownError``; ``"raise"`` the error for the outcome;
            ``"already_gone"``: a retried DELETE got 404, treat it as done;
            ``"converged"``: a convergent operation's re-send got an answer that
            means an earlier attempt may already have taken effect (the
            operation confirms it by reading the resource).
        delay: Seconds to wait before the next attempt (``"retry"``/``"cooldown"``).
        reason: A short text for logs, e.g. ``"503 with Retry-After 2.0s"``.
    """

    action: Literal[
        "return", "retry", "cooldown", "outcome_unknown", "raise", "already_gone", "converged"
    ]
    delay: float = 0.0
    reason: str = ""


def backoff_delay(retries_done: int, policy: RetryPolicy, jitter: float) -> float:
    """Return the full-jitter backoff: ``jitter * min(cap, base * 2**retries_done)``.

    Args:
        retries_done: Retries already made (0 before the first retry).
        policy: Supplies ``backoff_base`` and ``backoff_cap``.
        jitter: A random draw in [0, 1], made by the caller.

    Returns:
        The delay in seconds, in ``[0, backoff_cap]``.

    Raises:
        ValueError: ``retries_done`` is negative or ``jitter`` is outside [0, 1].
    """
    if retries_done < 0:
        raise ValueError(f"retries_done must be >= 0, got {retries_done!r}")
    if not 0.0 <= jitter <= 1.0:
        raise ValueError(f"jitter must be in [0, 1], got {jitter!r}")
    exponent = min(retries_done, _MAX_BACKOFF_EXPONENT)
    return jitter * min(policy.backoff_cap, policy.backoff_base * 2.0**exponent)


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Parse a ``Retry-After`` header into seconds from ``now``.

    Args:
        value: The header: delay-seconds (``"5"``, ``"1.5"``, surrounding blanks
            allowed) or an HTTP-date (IMF-fixdate, or the obsolete RFC 850 and
            asctime forms); None when the header is absent.
        now: The current time, to measure a date against; a naive value is UTC.

    Returns:
        Seconds >= 0 (0.0 for a date in the past), or None for an absent, empty,
        negative, non-finite or unparseable value.
    """
    text = (value or "").strip()
    if not text:
        return None
    if _DELAY_SECONDS.fullmatch(text):
        seconds = float(text)
        return seconds if math.isfinite(seconds) else None
    return _seconds_until_date(text, now)


def _seconds_until_date(text: str, now: datetime) -> float | None:
    try:
        when = parsedate_to_datetime(text)
    except (ValueError, TypeError, IndexError, OverflowError):
        return None
    return max(0.0, (_as_utc(when) - _as_utc(now)).total_seconds())


def _as_utc(moment: datetime) -> datetime:
    """Read a naive datetime as UTC (HTTP dates are GMT; ``-0000`` parses naive)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def may_have_applied(outcome: AttemptOutcome) -> bool:
    """Say whether the server may have acted on an attempt that did not succeed.

    A lost answer or a 5xx may have been applied; nothing sent, a 429 or another
    4xx was rejected before acting.
    """
    if outcome.kind == "lost":
        return True
    return outcome.kind == "response" and outcome.status is not None and outcome.status >= 500


def decide(
    outcome: AttemptOutcome,
    *,
    method: str,
    idempotent: bool,
    retries_done: int,
    policy: RetryPolicy,
    jitter: float,
    converges_on: frozenset[int] = frozenset(),
    maybe_applied: bool = False,
) -> RetryDecision:
    """Apply the retry matrix to one attempt's outcome.

    Args:
        outcome: What the attempt produced.
        method: The HTTP method (for the DELETE-then-404 rule and the reasons).
        idempotent: Whether re-sending cannot act twice: a method in
            :data:`IDEMPOTENT_METHODS`, or an operation declared safe to repeat
            (a convergent one, such as pause, is declared idempotent too).
        retries_done: Retries already made for this call.
        policy: The retry policy in force.
        jitter: A random draw in [0, 1] for the backoff, made by the caller.
        converges_on: The statuses that, answering a re-send after an attempt
            that may have been applied, mean the operation may already be done
            (a convergent operation declares them, e.g. 400 and 409 for pause).
        maybe_applied: An earlier attempt of this call may have been applied
            (see :func:`may_have_applied`).

    Returns:
        The decision; ``delay`` is set for ``"retry"`` and ``"cooldown"``.

    Raises:
        ValueError: ``jitter`` is outside [0, 1] or ``retries_done`` is negative.
    """
    attempt = _Attempt(outcome, method.upper(), idempotent, retries_done, policy, jitter)
    if maybe_applied and outcome.status in converges_on:
        reason = f"{outcome.status} on a re-sent {attempt.method}: maybe already done"
        return RetryDecision("converged", reason=reason)
    if outcome.kind == "not_sent":
        return attempt.retry_or_raise("retry", "connection failed before sending")
    if outcome.kind == "lost":
        if not idempotent:
            return RetryDecision("outcome_unknown", reason=f"{attempt.method} sent, answer lost")
        return attempt.retry_or_raise("retry", f"{attempt.method} sent, answer lost")
    return _decide_on_status(attempt)


@attrs.frozen
class _Attempt:
    """The inputs of one decision, with the derived rules shared by its branches."""

    outcome: AttemptOutcome
    method: str
    idempotent: bool
    retries_done: int
    policy: RetryPolicy
    jitter: float

    def refusal(self, *, rejected_before_acting: bool = False) -> str | None:
        """Return why a retry is not allowed, or None if it is."""
        if self.retries_done >= self.policy.max_retries:
            return f"no retries left ({self.retries_done} of {self.policy.max_retries} done)"
        if rejected_before_acting and not (self.idempotent or self.policy.retry_rejected_posts):
            return f"retry_rejected_posts is off for {self.method}"
        return None

    def retry_or_raise(
        self, action: Literal["retry", "cooldown"], reason: str, *, rejected: bool = False
    ) -> RetryDecision:
        """Retry after Retry-After or the backoff, unless refused or too long to wait."""
        refusal = self.refusal(rejected_before_acting=rejected)
        if refusal is not None:
            return RetryDecision("raise", reason=f"{reason}; {refusal}")
        delay = _wait(self.outcome, self.retries_done, self.policy, self.jitter)
        if _has_retry_after(self.outcome):
            return RetryDecision(action, delay=delay, reason=reason)
        return RetryDecision(action, delay=delay, reason=f"{reason}, backoff")


def _has_retry_after(outcome: AttemptOutcome) -> bool:
    return outcome.retry_after is not None and not math.isnan(outcome.retry_after)


def _wait(outcome: AttemptOutcome, retries_done: int, policy: RetryPolicy, jitter: float) -> float:
    """Retry-After when the server sent one, else the backoff."""
    if _has_retry_after(outcome):
        return max(0.0, outcome.retry_after or 0.0)
    return backoff_delay(retries_done, policy, jitter)


def rejection_cooldown(
    outcome: AttemptOutcome, *, retries_done: int, policy: RetryPolicy, jitter: float
) -> float | None:
    """Return how long every request of the credential pauses after this attempt.

    Any 429 starts the credential's cooldown, whether or not this call retries
    (no retries left, ``retry_rejected_posts`` off, a Retry-After too long to wait):
    the other coroutines' sends would only be rejected, and some gateways count
    rejected calls too. The pause is Retry-After, or the backoff without one;
    capped at ``policy.retry_after_max``, so that one long Retry-After does not
    stall every other call beyond what their policy would wait: they send again
    then, and a 429 still under way raises with ``.retry_after`` set.

    Args:
        outcome: What the attempt produced.
        retries_done: Retries already made for this call (for the backoff).
        policy: The retry policy in force.
        jitter: The same draw in [0, 1] that :func:`decide` was given.

    Returns:
        Seconds of cooldown, or None when the outcome is not a 429.
    """
    if outcome.kind != "response" or outcome.status != 429:
        return None
    return min(_wait(outcome, retries_done, policy, jitter), policy.retry_after_max)


def _decide_on_status(attempt: _Attempt) -> RetryDecision:
    status, method = attempt.outcome.status, attempt.method
    if status is None:
        return RetryDecision("raise", reason="response without a status")
    if 200 <= status <= 399:
        return RetryDecision("return", reason=str(status))
    if status == 404 and method == "DELETE" and attempt.retries_done > 0:
        return RetryDecision("already_gone", reason="404 on a retried DELETE")
    if status in _TRANSIENT_SERVER_STATUSES and not attempt.idempotent:
        return RetryDecision("outcome_unknown", reason=f"{status} on {method}")
    if status != 429 and status not in _TRANSIENT_SERVER_STATUSES:
        return RetryDecision("raise", reason=f"{status} is not retried")
    too_long = _retry_after_too_long(attempt.outcome, attempt.policy)
    if too_long is not None:
        return RetryDecision("raise", reason=too_long)
    if status == 429:
        return attempt.retry_or_raise("cooldown", _with_retry_after(attempt.outcome), rejected=True)
    return attempt.retry_or_raise("retry", _with_retry_after(attempt.outcome))


def _retry_after_too_long(outcome: AttemptOutcome, policy: RetryPolicy) -> str | None:
    """Return why the server's Retry-After is not waited out, or None if it may be."""
    retry_after = outcome.retry_after
    if retry_after is None or not retry_after > policy.retry_after_max:
        return None
    limit = policy.retry_after_max
    return f"{outcome.status} with Retry-After {retry_after}s > retry_after_max {limit}s"


def _with_retry_after(outcome: AttemptOutcome) -> str:
    if outcome.retry_after is None:
        return str(outcome.status)
    return f"{outcome.status} with Retry-After {outcome.retry_after}s"
