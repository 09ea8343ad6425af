"""The soak's set-up and scripted events: emulator, faults, storm, token expiry.

One :class:`AuraClient` (the client under test) serves every worker. A second,
unlimited client of the *same* credential (the storm) hammers one path the
workload never uses, ``GET /v1/tenants/{id}``, so that the journal tells the two
apart by path: the server limits them together (the storm causes the 429s), and
the client under test is judged on its own requests only.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from yarl import URL

from aura_async import (
    AuraClient,
    AuraError,
    Limiter,
    RateLimit,
    RateLimitError,
    RetryPolicy,
    Timeout,
)
from aura_async._ratelimit import LocalLimiter
from aura_async.testing import AuraEmulator, Fault, JournalEntry, ServerRateLimit
from tests.soak.soak_checks import Cooldown, LoopLag
from tests.soak.soak_probes import CooldownRecorder, LoopLagMonitor, leaked, unclosed_http_objects
from tests.soak.soak_workload import Workload

# A storm coroutine's pause after a 429 without Retry-After.
_STORM_PAUSE = 0.05


@dataclass(frozen=True, slots=True)
class SoakConfig:
    """The soak's scale and script. Shares (``*_at``) are fractions of ``calls`` begun.

    Attributes:
        calls: Calls the workload makes (>= 100).
        seed: Seeds the fault script and the workers' choices.
        workers: Coroutines making calls concurrently through the one client.
        requests: The allowance per ``per`` seconds, on both sides.
        per: The rate-limit window in seconds.
        call_deadline: The ordinary calls' overall deadline.
        hurried_deadline: The deadline of the hurried share of calls.
        hurried_share: The share of calls made with ``hurried_deadline``.
        attempt_timeout: Each attempt's own limit (long latency spikes exceed it).
        max_live: Live instances kept at most (a create becomes a delete beyond).
        storm_at: When the storm starts.
        storm_seconds: How long the storm hammers, at most.
        storm_requests: How many requests the storm sends, at most.
        storm_rejections: The storm stops once the server has rate-limited this many
            requests of the client under test (what the storm is for).
        storm_workers: The storm's concurrent coroutines.
        expiry_at: When every token expires (after the storm has ended).
        long_429_at: When a scripted 429 with a long Retry-After is answered.
        long_429_retry_after: Its Retry-After, in seconds.
    """

    calls: int
    seed: int
    workers: int = 48
    requests: int = 200
    per: float = 1.0
    call_deadline: float = 5.0
    hurried_deadline: float = 0.05
    hurried_share: float = 0.03
    attempt_timeout: float = 1.0
    max_live: int = 25
    storm_at: float = 0.25
    # Bounds only: the storm ends when the client under test has been rejected. The
    # allowance is one the client fills even on a loaded machine, so every slot the
    # storm wins is one the client's own limiter counted on.
    storm_seconds: float = 8.0
    storm_requests: int = 1_000
    storm_rejections: int = 3
    storm_workers: int = 64
    expiry_at: float = 0.6
    long_429_at: tuple[float, ...] = (0.45, 0.85)
    long_429_retry_after: float = 0.6

    def __post_init__(self) -> None:
        if self.calls < 100:
            raise ValueError(f"the soak needs at least 100 calls, not {self.calls}")

    @property
    def rate_limit(self) -> RateLimit:
        """The client's allowance."""
        return RateLimit(self.requests, per=self.per)

    @property
    def retry(self) -> RetryPolicy:
        """The client's retry policy: retries in milliseconds."""
        return RetryPolicy(max_retries=4, backoff_base=0.005, backoff_cap=0.05)

    @property
    def server_rate_limit(self) -> ServerRateLimit:
        """The emulator's limit: the same allowance, as a sliding log."""
        return ServerRateLimit(
            "sliding-log", requests=self.requests, per=self.per, retry_after="fractional"
        )


def seeded_faults(seed: int, attempt_timeout: float) -> list[Fault]:
    """Return the fault script. The earliest injected fault that fires wins.

    Creates get no latency: a create the client gave up on must not be applied
    after the run's final reconciliation has looked for it.
    """

    def odds(salt: int, probability: float) -> dict[str, Any]:
        return {"probability": probability, "seed": seed * 100 + salt, "times": None}

    long_latency = attempt_timeout * 1.5
    return [
        Fault("POST", "/v1/instances", status=500, after_apply=True, **odds(1, 0.06)),
        Fault("POST", "/v1/instances", drop=True, after_apply=True, **odds(2, 0.05)),
        Fault("*", "/v1/*", status=503, retry_after=0.015, **odds(3, 0.10)),
        Fault("*", "/v1/*", status=500, **odds(4, 0.05)),
        Fault("*", "/v1/*", drop=True, **odds(5, 0.03)),
        Fault("GET", "/v1/*", latency=long_latency, **odds(6, 0.004)),
        Fault("GET", "/v1/*", latency=0.08, **odds(7, 0.03)),
        Fault("POST", "/v1/instances/*", latency=0.08, **odds(8, 0.03)),
        Fault("DELETE", "/v1/instances/*", latency=0.08, **odds(9, 0.03)),
    ]


class Phases:
    """The scripted events, each begun when the workload begins a given call number.

    Args:
        config: The soak's script.
        emu: The emulator.
        storm_client: The unlimited second client of the same credential.
        storm_path: The one path the storm uses.
    """

    def __init__(
        self, config: SoakConfig, emu: AuraEmulator, storm_client: AuraClient, storm_path: str
    ) -> None:
        self._config, self._emu = config, emu
        self._storm_client, self._storm_path = storm_client, storm_path
        self.storm_sent = 0
        self._journal_seen = self._client_rejected = 0
        self._storm: asyncio.Task[None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._events: dict[int, list[Callable[[], None]]] = defaultdict(list)
        self._events[int(config.calls * config.storm_at)].append(self._start_storm)
        self._events[int(config.calls * config.expiry_at)].append(self._start_expiry)
        for share in config.long_429_at:
            self._events[int(config.calls * share)].append(self._inject_long_429)

    def on_call(self, number: int) -> None:
        """Begin the events due at call ``number``."""
        for event in self._events.pop(number, ()):
            event()

    async def finish(self) -> None:
        """Wait for the events still running."""
        await asyncio.gather(*self._tasks)

    def _start_storm(self) -> None:
        self._storm = asyncio.create_task(self._run_storm())
        self._tasks.append(self._storm)

    def _start_expiry(self) -> None:
        self._tasks.append(asyncio.create_task(self._expire_tokens()))

    def _inject_long_429(self) -> None:
        retry_after = self._config.long_429_retry_after
        self._emu.inject(Fault("*", "/v1/*", status=429, retry_after=retry_after))

    async def _expire_tokens(self) -> None:
        # The storm must be over: a 401 would make it fetch a token, unlimited.
        if self._storm is not None:
            await self._storm
        self._emu.expire_tokens()

    def _client_rejections(self) -> int:
        entries = self._emu.journal.entries
        new, self._journal_seen = entries[self._journal_seen :], len(entries)
        self._client_rejected += sum(
            1 for e in new if e.rate_limited and e.path != self._storm_path
        )
        return self._client_rejected

    async def _run_storm(self) -> None:
        loop = asyncio.get_running_loop()
        stop_at = loop.time() + self._config.storm_seconds
        tenant_id = self._storm_path.rsplit("/", 1)[1]

        def going() -> bool:
            config = self._config
            return (
                self.storm_sent < config.storm_requests
                and self._client_rejections() < config.storm_rejections
                and loop.time() < stop_at
            )

        async def hammer() -> None:
            while going():
                self.storm_sent += 1
                try:
                    await self._storm_client.tenants.get(tenant_id)
                except RateLimitError as error:
                    # Try again when the server frees a slot: the storm takes it before
                    # the client's own limiter (which counts until the answer) does. A
                    # storm that only hammered spent its requests while the window was
                    # full of the client's sends, and caused no 429 for the client.
                    await asyncio.sleep(min(error.retry_after or _STORM_PAUSE, 1.0))
                except AuraError:
                    pass

        async with asyncio.TaskGroup() as group:
            for _ in range(self._config.storm_workers):
                group.create_task(hammer())


@dataclass(kw_only=True)
class SoakRun:
    """What a soak run produced, for the checks.

    Attributes:
        config: The run's configuration.
        workload: The calls, their records and the bookkeeping of what they did.
        cooldowns: The cooldowns the client began.
        storm_path: The path only the storm used.
        storm_sent: Requests the storm made.
        found_after_unknown: Per name whose create raised OutcomeUnknownError,
            whether ``find`` found it.
        created_counts: The emulator's count of instances ever created per name.
        snapshot_counts: Snapshots held per existing instance at the end.
        leaks: Unclosed sessions, connectors or sockets after the clients closed.
        lags: The event loop's lateness, sampled while the workload ran.
        elapsed: Seconds the workload took.
        entries: The emulator's journal, complete once the emulator has closed.
    """

    config: SoakConfig
    workload: Workload
    cooldowns: list[Cooldown]
    storm_path: str
    storm_sent: int
    found_after_unknown: dict[str, bool]
    created_counts: dict[str, int]
    snapshot_counts: dict[str, int]
    leaks: list[str]
    lags: list[LoopLag]
    elapsed: float
    entries: list[JournalEntry] = field(default_factory=list)


async def run_soak(config: SoakConfig) -> SoakRun:
    """Run the soak against a fresh emulator and return what happened."""
    emu = AuraEmulator(
        rate_limit=config.server_rate_limit, transition_delay=0.02, instance_limit=1_000_000
    )
    await emu.start()
    try:
        run = await _soak(emu, config)
    finally:
        await emu.close()
    # After close: requests still held by a latency fault have been journaled too.
    run.entries = emu.journal.entries
    return run


async def _soak(emu: AuraEmulator, config: SoakConfig) -> SoakRun:
    assert emu.tenant_id is not None
    before = unclosed_http_objects()
    recorder = CooldownRecorder(LocalLimiter(config.rate_limit))
    client = _client(emu, config, recorder)
    storm = AuraClient(
        emu.client_id,
        emu.client_secret,
        base_url=emu.url,
        rate_limit=None,
        retry=RetryPolicy(max_retries=0),
        timeout=config.call_deadline,
    )
    storm_path = f"/v1/tenants/{emu.tenant_id}"
    async with client, storm:
        hurried = Timeout(total=config.hurried_deadline, attempt=config.attempt_timeout)
        workload = Workload(
            client,
            client.with_options(timeout=hurried),
            tenant_id=emu.tenant_id,
            name_prefix=f"soak{config.seed % 1000}-",
            max_live=config.max_live,
        )
        phases = Phases(config, emu, storm, storm_path)
        async with LoopLagMonitor() as monitor:
            elapsed = await _drive(emu, config, workload, phases)
        emu.clear_faults()
        emu.settle()
        found = await workload.reconcile()
        created, snapshots = emu.state.instance_names(), _snapshot_counts(emu)
    leaks = await leaked(before, URL(emu.url).port or 0)
    return SoakRun(
        config=config,
        workload=workload,
        cooldowns=recorder.cooldowns,
        storm_path=storm_path,
        storm_sent=phases.storm_sent,
        found_after_unknown=found,
        created_counts=created,
        snapshot_counts=snapshots,
        leaks=leaks,
        lags=monitor.lags,
        elapsed=elapsed,
    )


def _client(emu: AuraEmulator, config: SoakConfig, limiter: Limiter) -> AuraClient:
    return AuraClient(
        emu.client_id,
        emu.client_secret,
        base_url=emu.url,
        rate_limit=config.rate_limit,
        retry=config.retry,
        timeout=Timeout(total=config.call_deadline, attempt=config.attempt_timeout),
        limiter=limiter,
    )


async def _drive(
    emu: AuraEmulator, config: SoakConfig, workload: Workload, phases: Phases
) -> float:
    """Run the workers and the scripted events; return the seconds they took."""
    for fault in seeded_faults(config.seed, config.attempt_timeout):
        emu.inject(fault)
    numbers = itertools.count(1)

    async def worker(index: int) -> None:
        rng = random.Random(config.seed * 1_000 + index)
        while (number := next(numbers)) <= config.calls:
            phases.on_call(number)
            if rng.random() < config.hurried_share:
                api, deadline = workload.hurried_api, config.hurried_deadline
            else:
                api, deadline = workload.api, config.call_deadline
            await workload.call(workload.choose(rng), api, deadline, rng)

    started = time.monotonic()
    async with asyncio.TaskGroup() as group:
        for index in range(config.workers):
            group.create_task(worker(index))
    await phases.finish()
    return time.monotonic() - started


def _snapshot_counts(emu: AuraEmulator) -> dict[str, int]:
    held = Counter(snapshot.instance_id for snapshot in emu.state.snapshots.values())
    return {instance_id: held[instance_id] for instance_id in emu.state.instances}
