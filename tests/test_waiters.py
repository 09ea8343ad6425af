"""The FIFO waiter queue both limiters' pumps share."""

from __future__ import annotations

import asyncio

from aura_async._waiters import WaiterQueue


async def test_waiters_come_out_in_order_with_priority_first() -> None:
    loop = asyncio.get_running_loop()
    queue: WaiterQueue[None] = WaiterQueue(on_empty=lambda: None)
    first, second, urgent = (loop.create_future() for _ in range(3))
    queue.push(first)
    queue.push(second)
    queue.push(urgent, priority=True)
    assert [queue.pop(), queue.pop(), queue.pop(), queue.pop()] == [urgent, first, second, None]


async def test_a_waiter_that_left_is_skipped_and_empties_the_queue() -> None:
    loop = asyncio.get_running_loop()
    emptied: list[int] = []
    queue: WaiterQueue[None] = WaiterQueue(on_empty=lambda: emptied.append(len(queue)))
    leaving, staying = loop.create_future(), loop.create_future()
    queue.push(leaving)
    queue.push(staying)
    leaving.cancel()
    await asyncio.sleep(0)  # done callbacks run on the next turn
    assert len(queue) == 1
    assert queue.first() is staying
    staying.set_result(None)
    await asyncio.sleep(0)
    assert len(queue) == 0
    assert emptied == [0]


async def test_a_crowd_that_left_is_dropped_at_once_and_the_order_is_kept() -> None:
    loop = asyncio.get_running_loop()
    queue: WaiterQueue[None] = WaiterQueue(on_empty=lambda: None)
    head, tail = loop.create_future(), loop.create_future()
    queue.push(head)
    crowd = [loop.create_future() for _ in range(1000)]
    for waiter in crowd:
        queue.push(waiter)
    queue.push(tail)
    for waiter in crowd:
        waiter.cancel()
    await asyncio.sleep(0)
    assert len(queue) == 2
    assert sum(map(len, queue._lanes.values())) < 100  # not kept until the head is served
    assert [queue.pop(), queue.pop(), queue.pop()] == [head, tail, None]
