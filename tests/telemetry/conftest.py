"""The real OpenTelemetry SDK, installed once per test process, read in memory.

The global providers can be set only once per process, so every test of this
directory shares them: spans are cleared before each test, and metrics are read
as differences between two collections.
"""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

Points = dict[tuple[str, frozenset[tuple[str, Any]]], float]


class Otel:
    """The process's SDK providers, with an in-memory span exporter and metric reader."""

    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.reader = InMemoryMetricReader()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.meter_provider = MeterProvider(metric_readers=[self.reader])
        trace.set_tracer_provider(self.tracer_provider)
        metrics.set_meter_provider(self.meter_provider)

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


_otel: Otel | None = None


@pytest.fixture
def otel() -> Otel:
    """The SDK (installed on first use in this process), with no finished spans yet."""
    global _otel
    if _otel is None:
        _otel = Otel()
    _otel.spans.clear()
    return _otel


def delta(before: Points, after: Points, name: str, labels: dict[str, Any] | None = None) -> float:
    """How much metric ``name`` grew between two readings, summed over points with ``labels``."""
    want = set((labels or {}).items())

    def total(points: Points) -> float:
        return sum(v for (n, attrs), v in points.items() if n == name and want <= attrs)

    return total(after) - total(before)
