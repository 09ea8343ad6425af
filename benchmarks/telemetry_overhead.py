"""Telemetry overhead: CPU per call with the OpenTelemetry API but no SDK, vs without it.

The same ``AuraClient.tenants.list()`` (``rate_limit=None``) against an emulator in a
child process, measured by ``overhead.py``'s rounds (batches from a few coroutines,
in rounds whose order rotates, each ratio the median of the per-round ratios):

- without the ``otel`` extra: ``aura_async._telemetry.HAVE_OTEL`` is False, which is
  what a failed ``import opentelemetry`` sets, so the calls take exactly the code
  path of an installation without the extra;
- with the API installed and no SDK configured (the API's proxy providers): the
  case item 3 of issue 12 holds to at most 3 % more CPU per call;
- then, for information, with an SDK tracer and meter provider configured (no
  exporter, no reader: the cost of recording alone).

Both of the first two take turns within each round, so load from elsewhere on the
machine falls on both. Run: ``.venv/bin/python benchmarks/telemetry_overhead.py``
(about 20 s).
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable

from _common import EmulatorProcess, Figure, emulator_process, main
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from overhead import measure_rounds, median_ratio

from aura_async import AuraClient, _telemetry

BENCHMARK = "telemetry overhead"
TARGET_RATIO = 1.03

WITHOUT = "without the otel extra"
API_ONLY = "otel API, no SDK"
SDK_ON = "otel SDK configured"

Call = Callable[[], Awaitable[object]]


def _with_otel(call: Call, available: bool) -> Call:
    async def run() -> object:
        _telemetry.HAVE_OTEL = available
        return await call()

    return run


async def _measure(emulator: EmulatorProcess) -> list[Figure]:
    async with AuraClient(
        emulator.client_id, emulator.client_secret, base_url=emulator.url, rate_limit=None
    ) as client:
        without = _with_otel(client.tenants.list, available=False)
        api_only = _with_otel(client.tenants.list, available=True)
        first = await measure_rounds({WITHOUT: without, API_ONLY: api_only})
        trace.set_tracer_provider(TracerProvider())
        metrics.set_meter_provider(MeterProvider())
        second = await measure_rounds({WITHOUT: without, SDK_ON: api_only})
    return _figures(first, second)


def _figures(first: dict[str, list[float]], second: dict[str, list[float]]) -> list[Figure]:
    api_ratio = median_ratio(first[API_ONLY], first[WITHOUT])
    sdk_ratio = median_ratio(second[SDK_ON], second[WITHOUT])
    return [
        Figure(BENCHMARK, f"{WITHOUT}: CPU us per call", f"{_us(first[WITHOUT])}"),
        Figure(BENCHMARK, f"{API_ONLY}: CPU us per call", f"{_us(first[API_ONLY])}"),
        Figure(
            BENCHMARK,
            f"{API_ONLY} / {WITHOUT} CPU per call",
            f"{api_ratio:.3f}x",
            f"<= {TARGET_RATIO}x",
            api_ratio <= TARGET_RATIO,
        ),
        Figure(BENCHMARK, f"{SDK_ON} (no exporter) / {WITHOUT}", f"{sdk_ratio:.2f}x"),
    ]


def _us(costs: list[float]) -> str:
    return f"{statistics.median(costs) * 1e6:.0f}"


def run() -> list[Figure]:
    """Run the benchmark against an emulator in a child process; return its figures."""
    with emulator_process("--rate-limit", "off", "--transition-delay", "none") as emulator:
        return asyncio.run(_measure(emulator))


if __name__ == "__main__":
    main(run)
