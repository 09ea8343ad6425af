"""Config objects: defaults, validation naming the option, immutability, effective margin."""

from __future__ import annotations

import math
from typing import Any

import attrs
import pytest

from aura_async._config import RateLimit, RetryPolicy, Timeout
from aura_async._errors import AuraConfigurationError


def test_defaults() -> None:
    assert attrs.asdict(RetryPolicy()) == {
        "max_retries": 3,
        "backoff_base": 0.5,
        "backoff_cap": 8.0,
        "retry_after_max": 60.0,
        "retry_rejected_posts": True,
    }
    assert attrs.asdict(RateLimit()) == {
        "requests": 125,
        "per": 60.0,
        "burst": None,
        "margin": None,
        "reserve": None,
    }
    assert attrs.asdict(Timeout()) == {"total": 120.0, "connect": 10.0, "attempt": 60.0}


def test_rate_limit_takes_requests_positionally_or_by_name() -> None:
    assert RateLimit(125, per=0.6) == RateLimit(requests=125, per=0.6)
    assert RateLimit(10, 1.0, 2, 0.01) == RateLimit(requests=10, per=1.0, burst=2, margin=0.01)


@pytest.mark.parametrize("cls", [RetryPolicy, Timeout])
def test_policy_and_timeout_are_keyword_only(cls: Any) -> None:
    with pytest.raises(TypeError):
        cls(1)


@pytest.mark.parametrize(
    ("config", "field"),
    [(RetryPolicy(), "max_retries"), (RateLimit(), "requests"), (Timeout(), "total")],
)
def test_configs_are_frozen(config: object, field: str) -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(config, field, 1)


@pytest.mark.parametrize(
    ("cls", "options"),
    [
        (RetryPolicy, {"max_retries": 0}),
        (RetryPolicy, {"max_retries": 10, "backoff_base": 0.001, "backoff_cap": 0.001}),
        (RetryPolicy, {"backoff_base": 1, "backoff_cap": 2}),
        (RetryPolicy, {"retry_after_max": 0}),
        (RetryPolicy, {"retry_after_max": math.inf}),
        (RetryPolicy, {"retry_rejected_posts": False}),
        (RateLimit, {"requests": 1, "per": 0.001}),
        (RateLimit, {"requests": 125, "per": 60, "burst": 125}),
        (RateLimit, {"requests": 125, "per": 60, "burst": 1}),
        (RateLimit, {"requests": 125, "per": 60, "margin": 0}),
        (RateLimit, {"requests": 125, "per": 0.6, "margin": 0.59}),
        (RateLimit, {"requests": 125, "reserve": 0}),
        (RateLimit, {"requests": 125, "reserve": 124}),
        (RateLimit, {"requests": 1, "reserve": 0}),
        (Timeout, {"total": None, "connect": None, "attempt": None}),
        (Timeout, {"total": 0.001, "connect": 5, "attempt": 0.5}),
    ],
)
def test_valid_options_are_accepted(cls: type[object], options: dict[str, Any]) -> None:
    config = cls(**options)
    assert all(getattr(config, name) == value for name, value in options.items())


@pytest.mark.parametrize(
    ("cls", "options", "message"),
    [
        (RetryPolicy, {"max_retries": -1}, "RetryPolicy.max_retries must be an integer >= 0"),
        (RetryPolicy, {"max_retries": 1.0}, "RetryPolicy.max_retries must be an integer"),
        (RetryPolicy, {"max_retries": True}, "RetryPolicy.max_retries must be an integer"),
        (RetryPolicy, {"backoff_base": 0}, "RetryPolicy.backoff_base must be a number > 0"),
        (RetryPolicy, {"backoff_base": -1}, "RetryPolicy.backoff_base must be a number > 0"),
        (RetryPolicy, {"backoff_base": math.nan}, "RetryPolicy.backoff_base must be"),
        (RetryPolicy, {"backoff_base": math.inf}, "RetryPolicy.backoff_base must be"),
        (RetryPolicy, {"backoff_base": "1"}, "RetryPolicy.backoff_base must be"),
        (
            RetryPolicy,
            {"backoff_base": 2.0, "backoff_cap": 1.0},
            "RetryPolicy.backoff_cap must be a number >= backoff_base (2.0), got 1.0",
        ),
        (RetryPolicy, {"backoff_cap": math.inf}, "RetryPolicy.backoff_cap must be"),
        (RetryPolicy, {"retry_after_max": -0.1}, "RetryPolicy.retry_after_max must be"),
        (RetryPolicy, {"retry_after_max": math.nan}, "RetryPolicy.retry_after_max must be"),
        (RetryPolicy, {"retry_rejected_posts": 1}, "RetryPolicy.retry_rejected_posts must be"),
        (RateLimit, {"requests": 0}, "RateLimit.requests must be an integer >= 1, got 0"),
        (RateLimit, {"requests": 12.5}, "RateLimit.requests must be an integer"),
        (RateLimit, {"requests": 125, "per": 0}, "RateLimit.per must be a number > 0"),
        (RateLimit, {"requests": 125, "per": math.inf}, "RateLimit.per must be"),
        (RateLimit, {"requests": 125, "per": None}, "RateLimit.per must be"),
        (
            RateLimit,
            {"requests": 10, "burst": 0},
            "RateLimit.burst must be None or an integer in 1..requests",
        ),
        (
            RateLimit,
            {"requests": 10, "burst": 11},
            "RateLimit.burst must be None or an integer in 1..requests (10), got 11",
        ),
        (RateLimit, {"requests": 10, "burst": 2.0}, "RateLimit.burst must be"),
        (RateLimit, {"requests": 10, "burst": True}, "RateLimit.burst must be"),
        (
            RateLimit,
            {"requests": 10, "margin": -0.01},
            "RateLimit.margin must be a number >= 0 or None",
        ),
        (
            RateLimit,
            {"requests": 10, "per": 0.6, "margin": 0.6},
            "RateLimit.margin must be < per (0.6)",
        ),
        (
            RateLimit,
            {"requests": 10, "reserve": 10},
            "RateLimit.reserve must be None or an integer in 0..requests - 1 (9), got 10",
        ),
        (RateLimit, {"requests": 10, "reserve": -1}, "RateLimit.reserve must be"),
        (RateLimit, {"requests": 10, "reserve": 1.0}, "RateLimit.reserve must be"),
        (RateLimit, {"requests": 10, "reserve": True}, "RateLimit.reserve must be"),
        (RateLimit, {"requests": 1, "reserve": 1}, "RateLimit.reserve must be"),
        (Timeout, {"total": 0}, "Timeout.total must be a number > 0 or None, got 0"),
        (Timeout, {"total": math.nan}, "Timeout.total must be"),
        (Timeout, {"total": math.inf}, "Timeout.total must be"),
        (Timeout, {"connect": -1}, "Timeout.connect must be a number > 0 or None"),
        (Timeout, {"attempt": "60"}, "Timeout.attempt must be"),
    ],
)
def test_invalid_options_raise_naming_the_option(
    cls: type[object], options: dict[str, Any], message: str
) -> None:
    with pytest.raises(AuraConfigurationError) as caught:
        cls(**options)
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("rate", "margin"),
    [
        (RateLimit(125, per=60.0), 0.05),
        (RateLimit(125, per=5.0), 0.05),
        (RateLimit(125, per=0.6), 0.006),
        (RateLimit(10, per=1.0), 0.01),
        (RateLimit(10, per=1.0, margin=0.2), 0.2),
        (RateLimit(10, per=60.0, margin=0), 0.0),
    ],
)
def test_effective_margin(rate: RateLimit, margin: float) -> None:
    assert rate.effective_margin == pytest.approx(margin)


@pytest.mark.parametrize(
    ("rate", "reserve"),
    [
        (RateLimit(125, per=60.0), 6),  # 5 %
        (RateLimit(1000), 50),
        (RateLimit(30, per=3.0), 1),  # 5 % is 1.5: rounded down
        (RateLimit(19), 1),  # 5 % is under 1: at least 1
        (RateLimit(2), 1),
        (RateLimit(1), 0),  # always fewer than requests
        (RateLimit(125, reserve=0), 0),
        (RateLimit(125, reserve=20), 20),
        (RateLimit(3, reserve=2), 2),
    ],
)
def test_effective_reserve(rate: RateLimit, reserve: int) -> None:
    assert rate.effective_reserve == reserve
