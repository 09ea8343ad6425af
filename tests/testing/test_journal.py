"""The request journal and its helpers."""

from __future__ import annotations

from typing import Any

import pytest

from aura_async.testing._journal import Journal, JournalEntry, max_in_window


def _entry(time: float = 0.0, **fields: Any) -> JournalEntry:
    values: dict[str, Any] = {
        "method": "GET",
        "path": "/v1/tenants",
        "status": 200,
        "client_id": "alice",
        "request_id": f"r{time}",
    }
    return JournalEntry(time=time, **{**values, **fields})


@pytest.mark.parametrize(
    ("times", "per", "expected"),
    [
        ([], 1.0, 0),
        ([5.0], 1.0, 1),
        ([0.0, 0.5, 0.99], 1.0, 3),
        ([0.0, 0.5, 1.0], 1.0, 2),
        ([0.0, 1.0, 2.0, 3.0], 1.0, 1),
        ([0.0, 0.0, 0.0, 10.0], 1.0, 3),
        ([0.0, 0.9, 1.0, 1.1, 1.8, 1.9], 1.0, 4),
        ([0.0, 0.9, 1.0, 1.1, 1.8, 1.9], 60.0, 6),
        ([0.1 * k for k in range(30)], 1.0, 10),
    ],
)
def test_max_in_window_uses_half_open_windows(
    times: list[float], per: float, expected: int
) -> None:
    assert max_in_window(times, per) == expected


@pytest.fixture
def journal() -> Journal:
    journal = Journal()
    for entry in [
        _entry(0.0, method="POST", path="/oauth/token", operation="post-oauth-token"),
        _entry(0.1, operation="get-projects"),
        _entry(0.2, method="POST", path="/v1/instances", status=202, operation="post-instances"),
        _entry(0.3, client_id="bob", operation="get-projects"),
        _entry(0.4, status=429, rate_limited=True),
        _entry(0.5, status=429, rate_limited=True),
        _entry(0.6, method="POST", path="/v1/instances/ab12cd34/pause", status=None, fault="drop"),
        _entry(0.7, path="/nowhere", status=404, client_id=None),
    ]:
        journal.append(entry)
    return journal


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, 8),
        ({"method": "post"}, 3),
        ({"path": "/v1/tenants"}, 4),
        ({"path": "/v1/instances*"}, 2),
        ({"path": "/v1/instances/*"}, 1),
        ({"status": 429}, 2),
        ({"client_id": "bob"}, 1),
        ({"method": "GET", "client_id": "alice", "status": 200}, 1),
        ({"operation": "get-projects"}, 2),
    ],
)
def test_count_filters(journal: Journal, filters: dict[str, Any], expected: int) -> None:
    assert journal.count(**filters) == expected


def test_rate_limited_and_token_counts(journal: Journal) -> None:
    assert journal.rate_limited_count() == 2
    assert journal.rate_limited_count("bob") == 0
    assert journal.token_requests() == 1
    assert journal.token_requests("alice") == 1
    assert journal.token_requests("bob") == 0


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, 6),
        ({"client_id": "alice"}, 4),
        ({"client_id": "alice", "include_rejected": True}, 6),
        ({"client_id": "alice", "include_token_requests": False}, 3),
        ({"include_rejected": True}, 8),
    ],
)
def test_max_in_window_filters(journal: Journal, kwargs: dict[str, Any], expected: int) -> None:
    assert journal.max_in_window(1.0, **kwargs) == expected


def test_max_in_window_sorts_entries_completed_out_of_order() -> None:
    journal = Journal()
    for time in (0.9, 0.0, 1.5, 0.5):
        journal.append(_entry(time))
    assert journal.max_in_window(1.0) == 3


def test_entries_is_a_snapshot_and_clear_empties(journal: Journal) -> None:
    entries = journal.entries
    journal.clear()
    assert len(entries) == 8
    assert (journal.entries, len(journal), journal.count()) == ([], 0, 0)


def test_max_entries_keeps_the_most_recent() -> None:
    journal = Journal(max_entries=2)
    for time in range(5):
        journal.append(_entry(float(time)))
    assert [entry.time for entry in journal.entries] == [3.0, 4.0]
