"""Bulk operations: one coroutine function over many items, with bounded concurrency.

:func:`bulk_map` returns every result in input order; :func:`bulk_as_completed`
yields them as they finish. Both run a pool of ``concurrency`` worker tasks that
pull items from the input one at a time, so 10,000 items cost ``concurrency``
tasks, not 10,000, and a generator input is never read ahead of the workers.
Every API call still goes through the client's shared rate limiter; the
concurrency bound only caps tasks, sockets and memory.

Failure rules, the same for both:

- An exception raised by ``fn`` for one item (an :class:`AuraError`, or any other
  :class:`Exception`, e.g. a bug in ``fn``) becomes that item's
  :attr:`Err.error`; the other items carry on.
- ``CancelledError``, ``KeyboardInterrupt`` and ``SystemExit`` are never captured:
  cancelling the awaiting task cancels the items in flight, starts no more and
  leaves no task behind. A ``CancelledError`` escaping ``fn`` while the bulk call
  itself was not cancelled stops the whole call and is re-raised; so does any other
  ``BaseException`` escaping ``fn`` (``KeyboardInterrupt``, ``SystemExit``, ...), in
  the task awaiting the bulk call.
- An exception raised by the input iterable or by ``on_progress`` stops the whole
  call: the items in flight are cancelled and the exception is re-raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Sized,
)
from typing import Any, ClassVar, Generic, Literal, NoReturn, TypeAlias, TypeVar, cast

import attrs

from aura_async._errors import AuraValidationError
from aura_async._lanes import BULK_CONTEXT, Lane

__all__ = [
    "DEFAULT_CONCURRENCY",
    "BulkProgress",
    "BulkResult",
    "Err",
    "Ok",
    "bulk_as_completed",
    "bulk_map",
]

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_CONCURRENCY = 16

# Marks the end of the input in ``_ItemSource`` (``next()`` cannot raise
# StopIteration inside a coroutine: PEP 479 turns it into RuntimeError).
_EXHAUSTED: object = object()


@attrs.frozen(kw_only=True)
class Ok(Generic[T, R]):
    """The outcome of ``fn`` for one item of a bulk call: it returned ``value``.

    ``ok`` is ``Literal[True]``, so ``if result.ok:`` narrows a :data:`BulkResult`
    to ``Ok`` for a type checker and ``result.value`` is typed ``R``.

    Attributes:
        item: The input item.
        index: The item's position in the input (0-based).
        value: What ``fn`` returned.
    """

    item: T
    index: int
    value: R
    ok: ClassVar[Literal[True]] = True

    @property
    def error(self) -> None:
        """Always None: ``fn`` returned."""
        return None

    def unwrap(self) -> R:
        """Return ``value``."""
        return self.value


@attrs.frozen(kw_only=True)
class Err(Generic[T]):
    """The outcome of ``fn`` for one item of a bulk call: it raised ``error``.

    ``ok`` is ``Literal[False]``, so ``if not result.ok:`` narrows a
    :data:`BulkResult` to ``Err`` for a type checker.

    Attributes:
        item: The input item.
        index: The item's position in the input (0-based).
        error: What ``fn`` raised (usually an :class:`AuraError`, such as
            ``NotFoundError`` or ``ConflictError``; any other ``Exception`` from a
            bug in ``fn`` is captured too).
    """

    item: T
    index: int
    error: Exception
    ok: ClassVar[Literal[False]] = False

    @property
    def value(self) -> None:
        """Always None: ``fn`` raised."""
        return None

    def unwrap(self) -> NoReturn:
        """Raise ``error``, as ``fn`` raised it."""
        raise self.error


BulkResult: TypeAlias = Ok[T, R] | Err[T]
"""The outcome of ``fn`` for one item: :class:`Ok` or :class:`Err`.

Check ``result.ok`` (or ``isinstance(result, Ok)``) before reading
``result.value``; both narrow the type.
"""


@attrs.frozen(kw_only=True)
class BulkProgress:
    """How far a bulk call has got, passed to ``on_progress`` after each item finishes.

    Attributes:
        done: Items finished so far, failed ones included.
        failed: Items of ``done`` whose ``fn`` raised.
        total: The number of items, or None when the input has no ``len()``.
        result: The item that just finished: its :class:`Ok` or :class:`Err`.
    """

    done: int
    failed: int
    total: int | None
    result: BulkResult[Any, Any]

    @property
    def item(self) -> Any:
        """The input item that just finished."""
        return self.result.item

    @property
    def index(self) -> int:
        """The position in the input (0-based) of the item that just finished."""
        return self.result.index


@attrs.frozen
class _Failure:
    """A message from a worker: the whole bulk call must stop and raise ``error``."""

    error: BaseException


class _ItemSource(Generic[T]):
    """Hands out ``(index, item)`` pairs on demand, pulling from the input lazily.

    A lock serialises the pulls: several workers may not drive one async iterator
    at the same time, and the indexes must follow the input order.
    """

    def __init__(self, items: Iterable[T] | AsyncIterable[T]) -> None:
        self._items = items
        self._iterator: Iterator[T] | AsyncIterator[T] | None = None
        self._lock = asyncio.Lock()
        self._next_index = 0
        self._exhausted = False

    async def next(self) -> tuple[int, T] | None:
        """Return the next item with its index, or None once the input is exhausted."""
        async with self._lock:
            if self._exhausted:
                return None
            try:
                item = await self._pull()
            except Exception:
                self._exhausted = True
                raise
            if item is _EXHAUSTED:
                self._exhausted = True
                return None
            index, self._next_index = self._next_index, self._next_index + 1
            return index, cast(T, item)

    async def _pull(self) -> T | object:
        if self._iterator is None:
            items = self._items
            self._iterator = aiter(items) if isinstance(items, AsyncIterable) else iter(items)
        if isinstance(self._iterator, AsyncIterator):
            return await anext(self._iterator, _EXHAUSTED)
        return next(self._iterator, _EXHAUSTED)


class _WorkerPool(Generic[T, R]):
    """``concurrency`` worker tasks running ``fn`` over a source, results to one queue.

    The queue holds at most ``concurrency`` results, so a slow consumer holds the
    workers back instead of letting results pile up. ``None`` in the queue means
    every item is done; a :class:`_Failure` means the call must stop.
    """

    def __init__(
        self,
        fn: Callable[[T], Awaitable[R]],
        items: Iterable[T] | AsyncIterable[T],
        concurrency: int,
        on_progress: Callable[[BulkProgress], None] | None,
        lane: Lane | None,
    ) -> None:
        self._fn = fn
        self._lane = lane
        self._source = _ItemSource(items)
        self._total = len(items) if isinstance(items, Sized) else None
        self._on_progress = on_progress
        # No point starting more workers than there are items.
        self._worker_count = concurrency if self._total is None else min(concurrency, self._total)
        self._worker_count = max(1, self._worker_count)
        self._outbox: asyncio.Queue[BulkResult[T, R] | _Failure | None]
        self._outbox = asyncio.Queue(maxsize=concurrency)
        self._tasks: list[asyncio.Task[None]] = []
        self._running = 0
        self._done = 0
        self._failed = 0

    def start(self) -> None:
        """Start the workers."""
        self._running = self._worker_count
        # The workers' calls take the lane from their context (see aura_async._lanes).
        context = contextvars.copy_context()
        if self._lane is not None:
            context.run(BULK_CONTEXT.set, self._lane)
        self._tasks = [
            asyncio.create_task(
                self._worker(), name=f"aura-bulk-worker-{number}", context=context.copy()
            )
            for number in range(self._worker_count)
        ]

    async def next_result(self) -> BulkResult[T, R] | None:
        """Wait for the next finished item; None once all are done.

        Raises:
            BaseException: What stopped the call (the input or ``on_progress`` raised,
                or a stray ``CancelledError`` escaped ``fn``).
        """
        message = await self._outbox.get()
        if isinstance(message, _Failure):
            raise message.error
        return message

    async def close(self) -> None:
        """Cancel the workers still running and wait until they have all ended."""
        pending = [task for task in self._tasks if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    async def _worker(self) -> None:
        try:
            await self._work()
        except asyncio.CancelledError as error:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            # Not our cancellation: it came out of fn, and must not be swallowed.
            await self._outbox.put(_Failure(error))
        except BaseException as error:
            # Any other one (KeyboardInterrupt too) goes to the awaiting task: left in
            # this task, it would end the worker and the call would wait forever.
            await self._outbox.put(_Failure(error))

    async def _work(self) -> None:
        while (pulled := await self._source.next()) is not None:
            result = await self._run_one(*pulled)
            self._report(result)
            await self._outbox.put(result)
        self._running -= 1
        if self._running == 0:
            await self._outbox.put(None)

    async def _run_one(self, index: int, item: T) -> BulkResult[T, R]:
        try:
            value = await self._fn(item)
        except Exception as error:
            return Err(item=item, index=index, error=error)
        return Ok(item=item, index=index, value=value)

    def _report(self, result: BulkResult[T, R]) -> None:
        self._done += 1
        if not result.ok:
            self._failed += 1
        if self._on_progress is not None:
            progress = BulkProgress(
                done=self._done, failed=self._failed, total=self._total, result=result
            )
            self._on_progress(progress)


def _check_arguments(fn: object, concurrency: object) -> None:
    if not callable(fn):
        raise AuraValidationError(f"fn must be a coroutine function, got {fn!r}")
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise AuraValidationError(f"concurrency must be a positive integer, got {concurrency!r}")


def bulk_as_completed(
    fn: Callable[[T], Awaitable[R]],
    items: Iterable[T] | AsyncIterable[T],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_progress: Callable[[BulkProgress], None] | None = None,
    lane: Lane | None = None,
) -> AsyncGenerator[BulkResult[T, R], None]:
    """Run ``fn`` over ``items``, yielding each item's result as it finishes.

    Nothing starts until the first ``async for`` step. Leaving early (``break``,
    or :meth:`aclose`) cancels the items in flight and starts no more; wrap the
    loop in ``contextlib.aclosing(...)`` to have that happen at once rather than
    when the generator is garbage-collected.

    Args:
        fn: The coroutine function to call with each item.
        items: The items, an iterable or an async iterable, read lazily.
        concurrency: At most this many calls of ``fn`` in flight (>= 1).
        on_progress: Called after each item finishes.
        lane: The limiter lane of the calls ``fn`` makes (None: the caller's).

    Returns:
        An async generator of :class:`BulkResult`, in completion order.

    Raises:
        AuraValidationError: ``concurrency`` is not a positive integer or ``fn`` is
            not callable (raised by this call, before anything starts).
    """
    _check_arguments(fn, concurrency)
    return _yield_results(_WorkerPool(fn, items, concurrency, on_progress, lane))


async def _yield_results(pool: _WorkerPool[T, R]) -> AsyncGenerator[BulkResult[T, R], None]:
    pool.start()
    try:
        while (result := await pool.next_result()) is not None:
            yield result
    finally:
        await pool.close()


async def bulk_map(
    fn: Callable[[T], Awaitable[R]],
    items: Iterable[T] | AsyncIterable[T],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_progress: Callable[[BulkProgress], None] | None = None,
    lane: Lane | None = None,
) -> list[BulkResult[T, R]]:
    """Run ``fn`` over ``items`` and return every result, in input order.

    One item's failure never stops the others: it is recorded in its result.
    Cancelling the awaiting task cancels the items in flight and starts no more.

    Args:
        fn: The coroutine function to call with each item.
        items: The items, an iterable or an async iterable, read lazily.
        concurrency: At most this many calls of ``fn`` in flight (>= 1).
        on_progress: Called after each item finishes.
        lane: The limiter lane of the calls ``fn`` makes (None: the caller's).

    Returns:
        One :class:`BulkResult` per item, in input order.

    Raises:
        AuraValidationError: ``concurrency`` is not a positive integer or ``fn`` is
            not callable; nothing was started.
        Exception: Whatever the input iterable or ``on_progress`` raised (the
            items in flight are cancelled first).
    """
    results = bulk_as_completed(
        fn, items, concurrency=concurrency, on_progress=on_progress, lane=lane
    )
    by_index: dict[int, BulkResult[T, R]] = {}
    async with contextlib.aclosing(results):
        async for result in results:
            by_index[result.index] = result
    return [by_index[index] for index in range(len(by_index))]
