"""The real OpenTelemetry SDK, in memory: a span exporter and a metric reader.

Each test gets fresh global providers, removed again after it (with the reset
functions of opentelemetry-test-utils), so no other test runs with an SDK on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.test.globals_test import reset_metrics_globals, reset_trace_globals

Points = dict[tuple[str, frozenset[tuple[str, Any]]], float]


class Otel:
    """The process's SDK providers, with an in-memory span exporter and metric reader."""

    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.reader = InMemoryMetricReader()
        self.tracer_provider = TracerProvider(shutdown_on_exit=False)
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.meter_provider = MeterProvider(metric_readers=[self.reader], shutdown_on_exit=False)

    def finished(self, prefix: str = "aura ") -> list[ReadableSpan]:
        """The finished spans whose name starts with ``prefix``, in end order."""
        return [s for s in self.spans.get_finished_spans() if s.name.startswith(prefix)]

    def points(self) -> Points:
        """Every metric point now: sums and gauges by value, histograms by count."""
        data = self.reader.get_metrics_data()
        points: Points = {}
        for resource in data.resource_metrics if data is not None else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    for point in metric.data.data_points:
                        key = (metric.name, frozenset(point.attributes.items()))
                        points[key] = getattr(point, "value", None) or getattr(point, "count", 0)
        return points


@pytest.fixture
def otel() -> Iterator[Otel]:
    """Fresh SDK providers, installed as the global ones for this test only."""
    sdk = Otel()
    trace.set_tracer_provider(sdk.tracer_provider)
    metrics.set_meter_provider(sdk.meter_provider)
    try:
        yield sdk
    finally:
        reset_trace_globals()
        reset_metrics_globals()
        sdk.tracer_provider.shutdown()
        sdk.meter_provider.shutdown()


def delta(before: Points, after: Points, name: str, labels: dict[str, Any] | None = None) -> float:
    """How much metric ``name`` grew between two readings, summed over points with ``labels``."""
    want = set((labels or {}).items())

    def total(points: Points) -> float:
        return sum(v for (n, attrs), v in points.items() if n == name and want <= attrs)

    return total(after) - total(before)
