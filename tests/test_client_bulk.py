"""client.map and client.map_unordered: the bulk helpers as users reach them."""

from __future__ import annotations

import contextlib

import pytest

from aura_async import AuraClient, AuraValidationError, BulkProgress, NotFoundError
from aura_async.testing import AuraEmulator
from tests.conftest import create_instance


async def test_map_keeps_input_order_and_isolates_failures(
    emu: AuraEmulator, client: AuraClient
) -> None:
    real = [(await create_instance(client, emu, f"bulk-{i}")).id for i in range(3)]
    ids = [real[0], "0000dead", real[1], "0000beef", real[2]]
    progress: list[BulkProgress] = []
    results = await client.map(
        client.instances.get, ids, concurrency=2, on_progress=progress.append
    )
    assert [r.item for r in results] == ids
    assert [r.ok for r in results] == [True, False, True, False, True]
    assert isinstance(results[1].error, NotFoundError)
    assert results[2].unwrap().id == real[1]
    last = progress[-1]
    assert (last.done, last.failed, last.total) == (5, 2, 5)
    assert sorted(p.index for p in progress) == list(range(5))
    assert {p.item for p in progress if not p.result.ok} == {"0000dead", "0000beef"}


async def test_map_unordered_yields_every_result(emu: AuraEmulator, client: AuraClient) -> None:
    ids = [(await create_instance(client, emu, f"any-{i}")).id for i in range(4)]
    async with contextlib.aclosing(client.map_unordered(client.instances.get, ids)) as results:
        seen = {result.item async for result in results}
    assert seen == set(ids)


def test_a_bad_concurrency_is_rejected_before_anything_starts(emu: AuraEmulator) -> None:
    client = AuraClient("id", "secret", base_url=emu.url)
    with pytest.raises(AuraValidationError, match="concurrency"):
        client.map_unordered(client.instances.get, ["x"], concurrency=0)
