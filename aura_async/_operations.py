"""Which API operation a request is: its SDK name, the spec's operationId, its URL template.

Telemetry names spans and labels metrics by operation, never by raw URL (ids make
raw URLs unbounded in number). A pure lookup, tested against the spec's contract.
"""

from __future__ import annotations

import functools

import attrs

__all__ = ["ROUTES", "TOKEN_OPERATION", "Operation", "operation_for"]


@attrs.frozen
class Operation:
    """One API operation, as telemetry names it.

    Attributes:
        name: The SDK's name, e.g. ``instances.pause``.
        operation_id: The spec's operationId, or None for a path outside the spec.
        template: The URL template below the API root, e.g. ``/instances/{instanceId}``,
            or None for a path outside the spec.
        resource_id: The last id in the path (the resource acted on), if any.
    """

    name: str
    operation_id: str | None
    template: str | None
    resource_id: str | None = None


TOKEN_OPERATION = Operation("oauth.token", None, "/oauth/token")

_I = "/instances/{instanceId}"
_S = "/graph-analytics/sessions"
_K = "/customer-managed-keys"
_KEY = _K + "/{customerManagedKeyId}"
_T = "/tenants/{tenantId}"
# (method, template, operationId, SDK name), from the spec (tests check it against it).
ROUTES: tuple[tuple[str, str, str, str], ...] = (
    ("GET", _K, "get-customer-managed-keys", "customer_managed_keys.list"),
    ("POST", _K, "post-customer-managed-keys", "customer_managed_keys.create"),
    ("GET", _KEY, "get-customer-managed-key-id", "customer_managed_keys.get"),
    ("DELETE", _KEY, "delete-customer-managed-key-id", "customer_managed_keys.delete"),
    ("GET", _S, "get-sessions", "graph_analytics.list"),
    ("POST", _S, "post-session", "graph_analytics.create"),
    ("POST", _S + "/sizing", "post-sessions-sizing", "graph_analytics.estimate_size"),
    ("GET", _S + "/{sessionId}", "get-session", "graph_analytics.get"),
    ("DELETE", _S + "/{sessionId}", "delete-session", "graph_analytics.delete"),
    ("GET", "/instances", "get-instances", "instances.list"),
    ("POST", "/instances", "post-instances", "instances.create"),
    ("POST", "/instances/sizing", "post-instances-sizing", "instances.estimate_size"),
    ("GET", _I, "get-instance-id", "instances.get"),
    ("DELETE", _I, "delete-instance-id", "instances.delete"),
    ("PATCH", _I, "patch-instance-id", "instances.update"),
    ("POST", _I + "/overwrite", "post-overwrite-instance", "instances.overwrite"),
    ("POST", _I + "/pause", "post-pause-instance", "instances.pause"),
    ("POST", _I + "/resume", "post-resume-instance", "instances.resume"),
    ("POST", _I + "/upgrade", "post-upgrade-instance", "instances.upgrade"),
    ("GET", _I + "/snapshots", "get-snapshots", "snapshots.list"),
    ("POST", _I + "/snapshots", "post-snapshots", "snapshots.create"),
    ("GET", _I + "/snapshots/{snapshotId}", "get-snapshot-snapshotid", "snapshots.get"),
    ("POST", _I + "/snapshots/{snapshotId}/restore", "post-restore-snapshot", "snapshots.restore"),
    ("GET", "/tenants", "get-projects", "tenants.list"),
    ("GET", _T, "get-project-id", "tenants.get"),
    ("GET", _T + "/metrics-integration", "get-project-metrics-integration-details",
     "tenants.metrics_integration"),
)  # fmt: skip


def _segments(path: str) -> tuple[str, ...]:
    return tuple(path.strip("/").split("/"))


# (literal segments by position, position of the last id) of each route, by method
# and segment count; literal-only routes first (``/instances/sizing`` is no id).
_Route = tuple[tuple[tuple[int, str], ...], int | None, Operation]
_TABLE: dict[tuple[str, int], list[_Route]] = {}
for _method, _template, _op_id, _name in sorted(ROUTES, key=lambda r: r[1].count("{")):
    _parts = _segments(_template)
    _literals = tuple((i, p) for i, p in enumerate(_parts) if not p.startswith("{"))
    _ids = [i for i, p in enumerate(_parts) if p.startswith("{")]
    _route = (_literals, _ids[-1] if _ids else None, Operation(_name, _op_id, _template))
    _TABLE.setdefault((_method, len(_parts)), []).append(_route)


@functools.lru_cache(maxsize=1024)
def operation_for(method: str, path: str) -> Operation:
    """Return the operation a request is, from its method and path below the API root.

    Args:
        method: The HTTP method.
        path: The path below the API root, without the query, e.g. ``/instances/abc``.

    Returns:
        The operation; a path outside the spec is named ``request`` with no template.
    """
    parts = _segments(path)
    for literals, last_id, operation in _TABLE.get((method, len(parts)), ()):
        if all(parts[i] == literal for i, literal in literals):
            if last_id is None:
                return operation
            return Operation(
                operation.name, operation.operation_id, operation.template, parts[last_id]
            )
    return _UNKNOWN


_UNKNOWN = Operation("request", None, None)
