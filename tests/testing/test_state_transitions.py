"""EmulatorState: lazy transitions on an injected clock, stepping, settling, seeding."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from aura_async.testing._clock import ManualClock
from aura_async.testing._model_configurations import CONFIGURATION_KEYS
from aura_async.testing._state import DEMO_TENANT_ID, EmulatorState, Step
from aura_async.testing._state_instances import create_instance, delete_instance
from aura_async.testing._state_snapshots import create_snapshot
from aura_async.testing._validation import CLOUD_PROVIDERS, INSTANCE_TYPES

DELAY = 10.0


@dataclass
class Record:
    """Something with a status, to drive transitions without any API semantics."""

    status: str = "start"
    log: list[str] = field(default_factory=list)


def three_steps(record: Record) -> list[Step]:
    """Return steps to s1, s2, s3, each logging its status on ``record``."""

    def logger(status: str) -> Callable[[], None]:
        return lambda: record.log.append(status)

    return [Step(status, logger(status)) for status in ("s1", "s2", "s3")]


@pytest.fixture
def clock() -> ManualClock:
    """A clock the test moves by hand."""
    return ManualClock()


@pytest.fixture
def state(clock: ManualClock) -> EmulatorState:
    """A state on the manual clock, each transition step taking ``DELAY`` seconds."""
    return EmulatorState(transition_delay=DELAY, clock=clock)


def create_body(tenant_id: str, name: str = "db") -> dict[str, str]:
    """Return a valid instance creation body."""
    return {
        "tenant_id": tenant_id,
        "name": name,
        "type": "professional-db",
        "cloud_provider": "gcp",
        "region": "europe-west1",
        "version": "5",
        "memory": "4GB",
    }


def test_a_step_applies_once_its_delay_has_passed_on_read(
    state: EmulatorState, clock: ManualClock
) -> None:
    instance_id = create_instance(state, create_body(state.add_tenant()))["id"]
    clock.advance(DELAY - 0.001)
    assert state.instances[instance_id].status == "creating"
    clock.advance(0.001)
    assert state.instances[instance_id].status == "running"


def test_each_step_takes_one_delay_and_a_late_read_catches_up(
    state: EmulatorState, clock: ManualClock
) -> None:
    record = Record()
    state.start("r", record, three_steps(record))
    clock.advance(DELAY)
    state.advance()
    assert record.status == "s1"
    clock.advance(DELAY * 1.5)
    state.advance()
    assert record.status == "s2"
    clock.advance(DELAY * 10)
    state.advance()
    assert (record.status, record.log) == ("s3", ["s1", "s2", "s3"])
    assert not state.pending("r")


def test_due_steps_apply_in_the_order_they_fell_due(
    state: EmulatorState, clock: ManualClock
) -> None:
    log: list[str] = []
    chain, late = Record(log=log), Record()
    state.start("chain", chain, three_steps(chain))  # due at 10, 20, 30
    clock.advance(DELAY * 1.5)
    state.start("late", late, [Step("done", lambda: log.append("late"))])  # due at 25
    clock.advance(DELAY * 10)
    state.advance()
    assert log == ["s1", "s2", "late", "s3"]


def test_without_a_delay_only_step_and_settle_move_things(clock: ManualClock) -> None:
    state = EmulatorState(transition_delay=None, clock=clock)
    record = Record()
    state.start("r", record, three_steps(record))
    clock.advance(1e9)
    state.advance()
    assert record.status == "start"
    assert state.step() == 1
    assert record.status == "s1"
    state.settle()
    assert (record.status, record.log) == ("s3", ["s1", "s2", "s3"])
    assert state.step() == 0


def test_step_applies_the_next_step_of_every_pending_transition(state: EmulatorState) -> None:
    records = [Record() for _ in range(3)]
    for number, record in enumerate(records):
        state.start(f"r{number}", record, three_steps(record))
    assert state.step() == 3
    assert [r.status for r in records] == ["s1", "s1", "s1"]


def test_a_new_transition_under_the_same_key_replaces_the_old_one(
    state: EmulatorState, clock: ManualClock
) -> None:
    record = Record()
    state.start("r", record, three_steps(record))
    state.start("r", record, [Step("replaced")])
    clock.advance(DELAY * 10)
    state.advance()
    assert (record.status, record.log) == ("replaced", [])


def test_settle_runs_every_chain_to_its_end(state: EmulatorState) -> None:
    tenant_id = state.add_tenant()
    instance_id = create_instance(state, create_body(tenant_id))["id"]
    doomed_id = create_instance(state, create_body(tenant_id, "gone"))["id"]
    state.settle()
    snapshot_id = create_snapshot(state, instance_id)["snapshot_id"]
    delete_instance(state, doomed_id)
    assert state.snapshots[snapshot_id].status == "Pending"
    assert state.instances[doomed_id].status == "destroying"
    state.settle()
    assert state.snapshots[snapshot_id].status == "Completed"
    assert [i.name for i in state.instances.values()] == ["db"]


def test_instance_names_counts_every_instance_ever_created(state: EmulatorState) -> None:
    tenant_id = state.add_tenant()
    for name in ("a", "b", "a"):
        create_instance(state, create_body(tenant_id, name))
    state.settle()
    for instance_id in list(state.instances):
        delete_instance(state, instance_id)
    state.settle()
    assert state.instances == {}
    assert state.instance_names() == {"a": 2, "b": 1}


def test_default_configurations_cover_every_type_on_every_cloud() -> None:
    state = EmulatorState()
    configs = state.tenants[state.add_tenant()].instance_configurations
    assert {c["type"] for c in configs} == set(INSTANCE_TYPES)
    assert {c["cloud_provider"] for c in configs} == set(CLOUD_PROVIDERS)
    assert all(set(c) == set(CONFIGURATION_KEYS) for c in configs)
    assert len({tuple(sorted(c.items())) for c in configs}) == len(configs)


def test_add_tenant_keeps_custom_configurations_and_checks_them() -> None:
    state = EmulatorState()
    config = dict.fromkeys(CONFIGURATION_KEYS, "x")
    tenant_id = state.add_tenant("Mine", instance_configurations=[config])
    config["region"] = "changed later"
    assert state.tenants[tenant_id].instance_configurations[0]["region"] == "x"
    with pytest.raises(ValueError, match="storage"):
        state.add_tenant(instance_configurations=[dict.fromkeys(CONFIGURATION_KEYS[:4], "x")])


def test_seed_demo_is_idempotent_and_a_fixed_id_cannot_be_reused() -> None:
    state = EmulatorState()
    assert state.seed_demo() == state.seed_demo() == DEMO_TENANT_ID
    assert list(state.tenants) == [DEMO_TENANT_ID]
    with pytest.raises(ValueError, match="already exists"):
        state.add_tenant(tenant_id=DEMO_TENANT_ID)


def test_add_snapshot_needs_an_existing_instance() -> None:
    with pytest.raises(KeyError):
        EmulatorState().add_snapshot("deadbeef")


def test_a_negative_delay_is_refused() -> None:
    with pytest.raises(ValueError, match="transition_delay"):
        EmulatorState(transition_delay=-1)
