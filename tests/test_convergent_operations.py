"""Convergent operations (pause, resume) are re-sent safely; OutcomeUnknownError says how
to reconcile."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from aura_async import (
    AuraClient,
    BadRequestError,
    OutcomeUnknownError,
    ServerError,
)
from aura_async._config import RetryPolicy
from aura_async._reconcile import reconcile_step
from aura_async._retry import AttemptOutcome, decide, may_have_applied
from aura_async.models import InstanceStatus
from aura_async.testing import AuraEmulator, Fault
from tests.conftest import create_instance, make_client

PAUSE = "/v1/instances/*/pause"
RESUME = "/v1/instances/*/resume"
REFUSALS = frozenset({400, 409})


def response(status: int) -> AttemptOutcome:
    return AttemptOutcome("response", status)


# --- the pure rules -----------------------------------------------------------------

# (outcome, may it have been applied?)
APPLIED = [
    (AttemptOutcome("not_sent"), False),
    (AttemptOutcome("lost"), True),
    (response(500), True),
    (response(503), True),
    (response(429), False),
    (response(400), False),
    (response(409), False),
    (response(202), False),
]


@pytest.mark.parametrize(("outcome", "applied"), APPLIED)
def test_which_outcomes_may_have_been_applied(outcome: AttemptOutcome, applied: bool) -> None:
    assert may_have_applied(outcome) is applied


# (outcome, converges_on, maybe_applied, retries_done, expected action)
CONVERGENCE = [
    # a convergent operation is declared idempotent: 5xx and lost answers are retried
    (response(503), REFUSALS, False, 0, "retry"),
    (AttemptOutcome("lost"), REFUSALS, False, 0, "retry"),
    # a re-send refused after an attempt that may have been applied: maybe done already
    (response(400), REFUSALS, True, 1, "converged"),
    (response(409), REFUSALS, True, 1, "converged"),
    # refused with nothing applied before (first attempt, or after a 429): a real error
    (response(400), REFUSALS, False, 0, "raise"),
    (response(409), REFUSALS, False, 1, "raise"),
    # other statuses are not convergence, whatever came before
    (response(404), REFUSALS, True, 1, "raise"),
    (response(202), REFUSALS, True, 1, "return"),
    # an operation that declares nothing never converges
    (response(400), frozenset(), True, 1, "raise"),
]


@pytest.mark.parametrize(
    ("outcome", "converges_on", "maybe_applied", "retries", "action"), CONVERGENCE
)
def test_the_convergence_rule(
    outcome: AttemptOutcome,
    converges_on: frozenset[int],
    maybe_applied: bool,
    retries: int,
    action: str,
) -> None:
    decision = decide(
        outcome,
        method="POST",
        idempotent=True,
        retries_done=retries,
        policy=RetryPolicy(),
        jitter=0.5,
        converges_on=converges_on,
        maybe_applied=maybe_applied,
    )
    assert decision.action == action
    assert decision.reason


BASE = "https://api.neo4j.io/v1"
# (method, url, a phrase the step must hold)
RECONCILE = [
    ("POST", f"{BASE}/instances", "instances.find(name=...)"),
    ("post", f"{BASE}/instances/", "instances.find(name=...)"),
    ("POST", f"{BASE}/instances/ab12/snapshots", "snapshots.list(instance_id)"),
    ("POST", f"{BASE}/instances/ab12/snapshots/s1/restore", "'restoring'"),
    ("POST", f"{BASE}/instances/ab12/overwrite", "'overwriting'"),
    ("POST", f"{BASE}/instances/ab12/upgrade", "compare its type and size"),
    ("PATCH", f"{BASE}/instances/ab12", "compare it with the change"),
    ("POST", f"{BASE}/instances/ab12/pause", "'paused'"),
    ("POST", f"{BASE}/instances/ab12/resume", "'resuming'"),
    ("POST", f"{BASE}/customer-managed-keys", "customer_managed_keys.list()"),
    ("POST", f"{BASE}/graph-analytics/sessions", "graph_analytics.list()"),
    ("POST", "/v1/instances/ab12/snapshots", "snapshots.list(instance_id)"),
    ("PUT", f"{BASE}/instances/ab12", "read the resource"),
    ("POST", f"{BASE}/something/new", "read the resource"),
]


@pytest.mark.parametrize(("method", "url", "phrase"), RECONCILE)
def test_the_reconcile_step_fits_the_operation(method: str, url: str, phrase: str) -> None:
    assert phrase in reconcile_step(method, url)


def test_an_outcome_unknown_error_built_anywhere_has_its_step() -> None:
    error = OutcomeUnknownError("x", method="POST", url=f"{BASE}/instances/ab12/snapshots")
    assert "snapshots.list" in error.reconcile


# --- pause and resume across HTTP ---------------------------------------------------


@pytest.fixture
async def paused_emu() -> AsyncIterator[AuraEmulator]:
    """Transitions that finish well before a 10 ms Retry-After runs out."""
    async with AuraEmulator(rate_limit=None, transition_delay=0.002) as emulator:
        yield emulator


async def _running(client: AuraClient, emu: AuraEmulator) -> str:
    created = await create_instance(client, emu, "converge")
    emu.settle()
    return created.id


@pytest.mark.parametrize(
    "fault",
    [
        Fault("POST", PAUSE, status=503, after_apply=True),
        Fault("POST", PAUSE, status=500, after_apply=True),
        Fault("POST", PAUSE, drop=True, after_apply=True),
    ],
    ids=["503", "500", "dropped"],
)
async def test_a_resent_pause_that_finds_it_pausing_has_converged(
    manual_emu: AuraEmulator, fault: Fault
) -> None:
    async with make_client(manual_emu) as client:
        instance_id = await _running(client, manual_emu)
        manual_emu.inject(fault)
        paused = await client.instances.pause(instance_id)
    assert paused.status == InstanceStatus.PAUSING
    assert manual_emu.journal.count("POST", PAUSE) == 2
    assert manual_emu.journal.count("POST", PAUSE, status=409) == 1


async def test_a_resent_pause_that_finds_it_paused_has_converged(
    paused_emu: AuraEmulator,
) -> None:
    async with make_client(paused_emu) as client:
        instance_id = await _running(client, paused_emu)
        paused_emu.inject(Fault("POST", PAUSE, status=503, retry_after=0.01, after_apply=True))
        paused = await client.instances.pause(instance_id)
    assert paused.status == InstanceStatus.PAUSED
    assert paused_emu.journal.count("POST", PAUSE, status=400) == 1


async def test_a_resent_resume_that_finds_it_resuming_has_converged(
    manual_emu: AuraEmulator,
) -> None:
    async with make_client(manual_emu) as client:
        instance_id = await _running(client, manual_emu)
        await client.instances.pause(instance_id)
        manual_emu.settle()
        manual_emu.inject(Fault("POST", RESUME, status=502, after_apply=True))
        resumed = await client.instances.resume(instance_id)
    assert resumed.status == InstanceStatus.RESUMING
    assert manual_emu.journal.count("POST", RESUME) == 2


async def test_a_pause_whose_first_answer_was_lost_before_acting_is_simply_resent(
    manual_emu: AuraEmulator,
) -> None:
    async with make_client(manual_emu) as client:
        instance_id = await _running(client, manual_emu)
        manual_emu.inject(Fault("POST", PAUSE, status=503))
        paused = await client.instances.pause(instance_id)
    assert paused.status == InstanceStatus.PAUSING
    assert manual_emu.journal.count("POST", PAUSE, status=202) == 1


async def test_pausing_an_already_paused_instance_is_the_apis_400(
    manual_emu: AuraEmulator,
) -> None:
    async with make_client(manual_emu) as client:
        instance_id = await _running(client, manual_emu)
        await client.instances.pause(instance_id)
        manual_emu.settle()
        with pytest.raises(BadRequestError) as caught:
            await client.instances.pause(instance_id)
    assert caught.value.status == 400
    assert manual_emu.journal.count("GET", f"/v1/instances/{instance_id}") == 0


async def test_a_refused_resend_is_raised_when_the_instance_did_not_change(
    manual_emu: AuraEmulator,
) -> None:
    async with make_client(manual_emu) as client:
        instance_id = await _running(client, manual_emu)
        manual_emu.inject(Fault("POST", PAUSE, status=503))  # not applied
        manual_emu.inject(Fault("POST", PAUSE, status=400))  # refused for another reason
        with pytest.raises(BadRequestError):
            await client.instances.pause(instance_id)
        still = await client.instances.get(instance_id)
    assert still.status == InstanceStatus.RUNNING


async def test_a_pause_that_keeps_failing_is_a_server_error_not_an_unknown_outcome(
    manual_emu: AuraEmulator,
) -> None:
    async with make_client(manual_emu) as client:
        instance_id = await _running(client, manual_emu)
        manual_emu.inject(Fault("POST", PAUSE, status=503, times=None))
        with pytest.raises(ServerError):
            await client.instances.pause(instance_id)
    assert manual_emu.journal.count("POST", PAUSE) == 4  # 1 + max_retries


# --- OutcomeUnknownError names its reconcile step -----------------------------------


async def test_an_ambiguous_snapshot_says_to_list_the_snapshots(
    emu: AuraEmulator, client: AuraClient
) -> None:
    instance_id = await _running(client, emu)
    emu.inject(Fault("POST", "/v1/instances/*/snapshots", status=503, after_apply=True))
    with pytest.raises(OutcomeUnknownError) as caught:
        await client.snapshots.create(instance_id)
    assert "snapshots.list(instance_id)" in caught.value.reconcile
    assert caught.value.reconcile in str(caught.value)
    assert "instances.find" not in str(caught.value)


async def test_an_ambiguous_create_says_to_find_by_name(
    emu: AuraEmulator, client: AuraClient
) -> None:
    emu.inject(Fault("POST", "/v1/instances", drop=True, after_apply=True))
    with pytest.raises(OutcomeUnknownError) as caught:
        await create_instance(client, emu, "maybe")
    assert "instances.find(name=...)" in str(caught.value)
