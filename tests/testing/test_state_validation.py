"""The emulator's pure request validators, as tables."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest

from aura_async.testing._http import ApiError
from aura_async.testing._validation import (
    check_name,
    choice_list,
    format_duration,
    match_configuration,
    optional_bool,
    optional_choice,
    optional_count,
    optional_str,
    parse_day,
    parse_duration,
    parse_size_gb,
    required_count,
    required_str,
)


@contextmanager
def raises_400(field: str | None) -> Iterator[None]:
    """Assert that the block raises the API's 400 naming ``field``, with a reason."""
    with pytest.raises(ApiError) as caught:
        yield
    assert (caught.value.status, caught.value.field) == (400, field)
    assert caught.value.reason, "the spec's Error shape requires a reason"


@pytest.mark.parametrize(
    ("body", "expected"),
    [({"f": "x"}, "x"), ({"f": "  spaced "}, "  spaced ")],
)
def test_required_str_returns_the_string(body: dict[str, Any], expected: str) -> None:
    assert required_str(body, "f") == expected


@pytest.mark.parametrize("body", [{}, {"f": None}, {"f": ""}, {"f": 3}, {"f": ["x"]}, {"f": True}])
def test_required_str_rejects_missing_empty_and_non_strings(body: dict[str, Any]) -> None:
    with raises_400("f"):
        required_str(body, "f")


@pytest.mark.parametrize(("body", "expected"), [({}, None), ({"f": None}, None), ({"f": "a"}, "a")])
def test_optional_str(body: dict[str, Any], expected: str | None) -> None:
    assert optional_str(body, "f") == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [({}, None), ({"f": True}, True), ({"f": False}, False)],
)
def test_optional_bool_accepts_booleans(body: dict[str, Any], expected: bool | None) -> None:
    assert optional_bool(body, "f") is expected


@pytest.mark.parametrize("value", ["true", 1, 0, "yes"])
def test_optional_bool_rejects_lookalikes(value: Any) -> None:
    with raises_400("f"):
        optional_bool({"f": value}, "f")


@pytest.mark.parametrize(("value", "expected"), [(0, 0), (5, 5), (None, None)])
def test_optional_count(value: Any, expected: int | None) -> None:
    assert optional_count({"f": value}, "f") == expected


@pytest.mark.parametrize("value", [-1, 1.5, "3", True, False])
def test_counts_reject_negatives_floats_strings_and_booleans(value: Any) -> None:
    with raises_400("f"):
        optional_count({"f": value}, "f")


def test_required_count_rejects_a_missing_field() -> None:
    with raises_400("node_count"):
        required_count({}, "node_count")


@pytest.mark.parametrize(
    ("value", "ok"),
    [("gcp", True), ("aws", True), ("GCP", False), ("", False), (None, True), (1, False)],
)
def test_optional_choice(value: Any, ok: bool) -> None:
    choices = ("gcp", "aws")
    if ok:
        assert optional_choice({"f": value}, "f", choices) == value
    else:
        with raises_400("f"):
            optional_choice({"f": value}, "f", choices)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, []), ([], []), (["a"], ["a"]), (["a", "b"], ["a", "b"])],
)
def test_choice_list_accepts_known_items(value: Any, expected: list[str]) -> None:
    assert choice_list({"f": value}, "f", ("a", "b")) == expected


@pytest.mark.parametrize("value", ["a", ["a", "c"], [1], {"a": 1}])
def test_choice_list_rejects_non_lists_and_unknown_items(value: Any) -> None:
    with raises_400("f"):
        choice_list({"f": value}, "f", ("a", "b"))


@pytest.mark.parametrize("name", ["a", "Instance01", "x" * 30, "名前 with spaces inside"])
def test_check_name_accepts_1_to_30_characters(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "x" * 31, " leading", "trailing ", "\ttab"])
def test_check_name_rejects_bad_lengths_and_outer_whitespace(name: str) -> None:
    with raises_400("name"):
        check_name(name)


@pytest.mark.parametrize(("text", "gigabytes"), [("1GB", 1), ("8GB", 8), ("384GB", 384)])
def test_parse_size_gb(text: str, gigabytes: int) -> None:
    assert parse_size_gb(text, "memory") == gigabytes


@pytest.mark.parametrize("text", ["8", "8gb", "0GB", "8 GB", "1.5GB", "512MB", "-2GB", ""])
def test_parse_size_gb_rejects_other_notations(text: str) -> None:
    with raises_400("memory"):
        parse_size_gb(text, "memory")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30m", 1800.0),
        ("1h", 3600.0),
        ("1h30m", 5400.0),
        ("20m0s", 1200.0),
        ("3600.0s", 3600.0),
        ("1500ms", 1.5),
        (".5h", 1800.0),
    ],
)
def test_parse_duration_reads_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "30", "1d", "-5m", "0s", "1h 30m", "m", "abc"])
def test_parse_duration_rejects_other_text(text: str) -> None:
    with raises_400("ttl"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(3600, "1h0m0s"), (1200, "20m0s"), (5400.0, "1h30m0s"), (45, "45s"), (0.2, "1s")],
)
def test_format_duration_writes_go_durations(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == math.ceil(seconds)


@pytest.mark.parametrize(("text", "day"), [("2024-02-29", date(2024, 2, 29))])
def test_parse_day(text: str, day: date) -> None:
    assert parse_day(text) == day


@pytest.mark.parametrize("text", ["2023-02-29", "2024-2-1", "20240201", "today", "2024-02-01T00"])
def test_parse_day_rejects_anything_but_yyyy_mm_dd(text: str) -> None:
    with raises_400("date"):
        parse_day(text)


CONFIGS = [
    {
        "type": "professional-db",
        "cloud_provider": "gcp",
        "region": "europe-west1",
        "version": "5",
        "memory": "4GB",
        "storage": "8GB",
    },
    {
        "type": "professional-db",
        "cloud_provider": "aws",
        "region": "us-east-1",
        "version": "5",
        "memory": "8GB",
        "storage": "16GB",
    },
    {
        "type": "enterprise-db",
        "cloud_provider": "gcp",
        "region": "europe-west1",
        "version": "4",
        "memory": "8GB",
        "storage": "16GB",
    },
]
GOOD = {
    "type": "professional-db",
    "cloud_provider": "gcp",
    "region": "europe-west1",
    "version": "5",
    "memory": "4GB",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({}, None),
        ({"type": "free-db"}, "type"),
        ({"cloud_provider": "azure"}, "cloud_provider"),
        ({"region": "us-east-1"}, "region"),  # exists, but on aws only
        ({"version": "4"}, "version"),  # exists, but for enterprise-db only
        ({"memory": "8GB"}, "memory"),  # exists, but on aws only
        ({"cloud_provider": "aws", "region": "us-east-1", "memory": "8GB"}, None),
        ({"type": "enterprise-db", "version": "4", "memory": "8GB"}, None),
    ],
)
def test_match_configuration_names_the_first_field_nothing_offers(
    change: dict[str, str], field: str | None
) -> None:
    wanted = {**GOOD, **change}
    if field is None:
        config = match_configuration(CONFIGS, wanted)
        assert all(config[key] == value for key, value in wanted.items())
    else:
        with raises_400(field):
            match_configuration(CONFIGS, wanted)


def test_match_configuration_with_no_configurations_is_a_400() -> None:
    with raises_400(None):
        match_configuration([], {})
