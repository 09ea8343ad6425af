"""OpenTelemetry traces and metrics of API calls, and the log records of each step.

Every call has a :class:`CallObserver`: the pipeline tells it about each attempt
and each limiter wait, and it turns them into one span (a child of the current
span, named after the operation), metrics and log records (see
:mod:`aura_async._logging`). The OpenTelemetry API is optional (the ``otel``
extra); without it, or while no SDK provider is configured, an observer only
counts and logs, so unused telemetry costs next to nothing. Attributes never hold
a URL with ids, a header, a body or an error message, so never a secret.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from aura_async import _logging
from aura_async._errors import OutcomeUnknownError
from aura_async._operations import Operation

if TYPE_CHECKING:
    from aura_async._retry import RetryDecision

try:
    from opentelemetry import context as otel_context
    from opentelemetry import metrics as otel_metrics
    from opentelemetry import trace as otel_trace
    from opentelemetry.metrics import _internal as otel_metrics_internal
except ImportError:  # pragma: no cover - the otel extra is not installed
    HAVE_OTEL = False
else:
    HAVE_OTEL = True

# Asking the API for its provider costs microseconds (it reads the environment each
# time), a tenth of a call's CPU: while the API's own global is unset (no SDK set,
# none named in the environment), the answer is "none" without asking. Should a
# future API rename the global, the public calls are used.
_UNSET = object()
_FROM_ENV = any(
    v in os.environ for v in ("OTEL_PYTHON_TRACER_PROVIDER", "OTEL_PYTHON_METER_PROVIDER")
)

__all__ = ["CallObserver", "credential_label", "outcome_of", "watch_limiter"]

_SCOPE = "aura_async"


def outcome_of(error: BaseException | None, attempts: int) -> str:
    """Return a call's outcome: ``ok``, ``retried``, ``outcome_unknown`` or the error's class.

    Args:
        error: What the call raised, or None.
        attempts: How many requests the call sent.
    """
    if error is None:
        return "retried" if attempts > 1 else "ok"
    if isinstance(error, OutcomeUnknownError):
        return "outcome_unknown"
    return type(error).__name__


def credential_label(client_id: str) -> str:
    """Return the label of a credential in metrics: a digest, never the client id itself."""
    return hashlib.sha256(client_id.encode()).hexdigest()[:16]


@runtime_checkable
class _Observable(Protocol):
    """A limiter whose queue and window the gauges can read (the in-process one)."""

    @property
    def waiting(self) -> int: ...

    def sends_in_window(self) -> int: ...


# Limiters in use, by credential label, for the observable gauges.
_limiters: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def watch_limiter(limiter: object, client_id: str) -> None:
    """Report ``limiter``'s queue length and window in the gauges, labelled by credential."""
    if isinstance(limiter, _Observable) and limiter not in _limiters:
        _limiters[limiter] = credential_label(client_id)


class _Instruments:
    """The metric instruments of one meter provider."""

    def __init__(self, provider: Any) -> None:
        meter = provider.get_meter(_SCOPE)
        self.calls = meter.create_counter("aura.client.calls", "{call}", "API calls, by outcome")
        self.rejections = meter.create_counter(
            "aura.client.rate_limited", "{response}", "429 answers"
        )
        self.resends = meter.create_counter("aura.client.resends", "{request}", "Re-sent requests")
        self.token_fetches = meter.create_counter(
            "aura.client.token_fetches", "{fetch}", "Access token fetches"
        )
        self.duration = meter.create_histogram(
            "aura.client.call.duration", "s", "Duration of API calls, retries included"
        )
        self.limiter_wait = meter.create_histogram(
            "aura.client.limiter.wait", "s", "Time a request waited for a send slot"
        )
        meter.create_observable_gauge(
            "aura.client.limiter.queue_length", [_queue_lengths], "{call}", "Calls waiting"
        )
        meter.create_observable_gauge(
            "aura.client.limiter.window_sends",
            [_window_sends],
            "{request}",
            "Sends in the current window",
        )


def _gauge(read: str) -> Iterable[Any]:
    for limiter, label in list(_limiters.items()):
        value = limiter.waiting if read == "waiting" else limiter.sends_in_window()
        yield otel_metrics.Observation(value, {"aura.credential": label})


def _queue_lengths(_options: Any) -> Iterable[Any]:
    return _gauge("waiting")


def _window_sends(_options: Any) -> Iterable[Any]:
    return _gauge("window")


_tracers: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_instruments: weakref.WeakKeyDictionary[Any, _Instruments] = weakref.WeakKeyDictionary()


def _tracer() -> Any:
    """The tracer of the configured SDK provider, or None (no SDK: no spans at all)."""
    if getattr(otel_trace, "_TRACER_PROVIDER", _UNSET) is None and not _FROM_ENV:
        return None
    provider = otel_trace.get_tracer_provider()
    if isinstance(provider, otel_trace.ProxyTracerProvider | otel_trace.NoOpTracerProvider):
        return None
    tracer = _tracers.get(provider)
    if tracer is None:
        tracer = _tracers[provider] = provider.get_tracer(_SCOPE)
    return tracer


def _meters() -> _Instruments | None:
    """The instruments of the configured SDK meter provider, or None."""
    if getattr(otel_metrics_internal, "_METER_PROVIDER", _UNSET) is None and not _FROM_ENV:
        return None
    provider = otel_metrics.get_meter_provider()
    if type(provider).__module__.startswith("opentelemetry.metrics"):
        return None  # the API's proxy or no-op provider: no SDK configured
    instruments = _instruments.get(provider)
    if instruments is None:
        instruments = _instruments[provider] = _Instruments(provider)
    return instruments


class CallObserver:
    """Observes one API call: use it as a context manager around the whole call.

    Args:
        operation: The operation called.
        method: The HTTP method.
        origin: The API origin (for ``server.address``/``server.port``).
        logger: Where the call's records go.
    """

    __slots__ = (
        "_cooldown_until",
        "_meters",
        "_scope",
        "_span",
        "_started",
        "_wait_cooldown",
        "_wait_started",
        "attempts",
        "cooldown_wait",
        "limiter_wait",
        "logger",
        "method",
        "operation",
        "origin",
        "status",
        "waited",
    )

    def __init__(
        self, operation: Operation, *, method: str, origin: str, logger: logging.Logger
    ) -> None:
        self.operation = operation
        self.method = method
        self.origin = origin
        self.logger = logger
        self.attempts = 0
        self.status: int | None = None
        self.limiter_wait = 0.0
        self.cooldown_wait = 0.0
        self.waited = 0.0  # before the next attempt
        self._cooldown_until = 0.0
        self._started = 0.0
        self._wait_started = 0.0
        self._wait_cooldown = 0.0
        self._span: Any = None
        self._scope: Any = None
        self._meters: _Instruments | None = None

    def __enter__(self) -> CallObserver:
        self._started = time.monotonic()
        if HAVE_OTEL:
            self._meters = _meters()
            tracer = _tracer()
            if tracer is not None:
                self._start_span(tracer)
        return self

    def _start_span(self, tracer: Any) -> None:
        attributes = _span_attributes(self.operation, self.method, self.origin)
        self._span = tracer.start_span(
            f"aura {self.operation.name}", kind=otel_trace.SpanKind.CLIENT, attributes=attributes
        )
        self._scope = otel_context.attach(otel_trace.set_span_in_context(self._span))

    def __exit__(self, exc_type: object, error: BaseException | None, tb: object) -> None:
        outcome = outcome_of(error, self.attempts)
        duration = time.monotonic() - self._started
        if self._span is not None:
            self._end_span(outcome, error)
        if self._meters is not None:
            labels = {"aura.operation": self.operation.name, "aura.outcome": outcome}
            self._meters.calls.add(1, labels)
            self._meters.duration.record(duration, labels)
            if self.operation.name == "oauth.token":
                self._meters.token_fetches.add(1, {"aura.outcome": outcome})
        if error is None and self.operation.name == "oauth.token":
            _logging.token_fetched(self.logger, self.attempts)

    def _end_span(self, outcome: str, error: BaseException | None) -> None:
        span = self._span
        span.set_attributes(
            {
                "aura.attempts": self.attempts,
                "aura.limiter_wait": self.limiter_wait,
                "aura.cooldown_wait": self.cooldown_wait,
                "aura.outcome": outcome,
            }
        )
        if self.status is not None:
            span.set_attribute("http.response.status_code", self.status)
        if error is not None:
            span.set_attribute("error.type", type(error).__name__)
            span.set_status(otel_trace.StatusCode.ERROR, type(error).__name__)
        otel_context.detach(self._scope)
        span.end()

    def waiting_for(self, limiter: object) -> None:
        """Note that an attempt starts waiting for a send slot of ``limiter``."""
        self._wait_started = time.monotonic()
        cooldown_left = getattr(limiter, "cooldown_left", None)
        self._wait_cooldown = cooldown_left() if callable(cooldown_left) else 0.0

    def got_slot(self) -> None:
        """Record the wait since :meth:`waiting_for`; the part in a 429 cooldown is cooldown.

        The cooldown is the credential's (any call's 429, as the limiter reports it)
        or, for a limiter that does not report it, the one this call's own 429 started.
        """
        now = time.monotonic()
        seconds = now - self._wait_started
        own = self._cooldown_until - self._wait_started
        cooldown = min(seconds, max(0.0, self._wait_cooldown, own))
        self.cooldown_wait += cooldown
        self.limiter_wait += seconds - cooldown
        self.waited = seconds
        if self._meters is not None:
            self._meters.limiter_wait.record(seconds, {"aura.operation": self.operation.name})

    def attempt(
        self,
        *,
        status: int | None,
        error: BaseException | None,
        decision: RetryDecision,
        elapsed: float,
        path: str,
        request_id: str | None,
    ) -> None:
        """Record an attempt's answer (``status``) or failure (``error``) and the decision."""
        self.attempts += 1
        self.status = status
        fields = _logging.fields(self.operation.name, status, self.attempts, self.waited)
        _logging.attempt(
            self.logger, fields, self.method, path, error, decision, elapsed, request_id
        )
        if decision.action in ("retry", "cooldown"):
            _logging.retry(self.logger, fields, decision)
            if decision.action == "cooldown":
                self._cooldown_until = time.monotonic() + decision.delay
        if self._span is not None:
            self._span.add_event(
                "attempt", _event_attributes(self.attempts, status, error, decision)
            )
        if self._meters is not None:
            self._count_attempt(status)
        self.waited = 0.0

    def _count_attempt(self, status: int | None) -> None:
        assert self._meters is not None
        labels = {"aura.operation": self.operation.name}
        if status == 429:
            self._meters.rejections.add(1, labels)
        if self.attempts > 1:
            self._meters.resends.add(1, labels)


def _span_attributes(operation: Operation, method: str, origin: str) -> dict[str, Any]:
    host, _, port = origin.partition("://")[2].partition(":")
    attributes: dict[str, Any] = {
        "http.request.method": method,
        "server.address": host,
        "aura.operation": operation.name,
    }
    if port:
        attributes["server.port"] = int(port)
    for key, value in (
        ("url.template", operation.template),
        ("aura.operation_id", operation.operation_id),
        ("aura.resource_id", operation.resource_id),
    ):
        if value is not None:
            attributes[key] = value
    return attributes


def _event_attributes(
    attempt: int, status: int | None, error: BaseException | None, decision: RetryDecision
) -> dict[str, Any]:
    attributes: dict[str, Any] = {"aura.attempt": attempt, "aura.retry_decision": decision.action}
    if status is not None:
        attributes["http.response.status_code"] = status
    if error is not None:
        attributes["error.type"] = type(error).__name__
    if decision.action in ("retry", "cooldown"):
        attributes["aura.retry_delay"] = decision.delay
    return attributes
