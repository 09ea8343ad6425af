"""The instance and snapshot operations of the API, as aiohttp handlers."""

from __future__ import annotations

from aiohttp import web

from aura_async.testing import _state_changes as changes
from aura_async.testing import _state_instances as instances
from aura_async.testing import _state_snapshots as snapshots
from aura_async.testing._http import data_response, read_json_object
from aura_async.testing._routes_common import Route, query_value, read_optional_object
from aura_async.testing._state import EmulatorState
from aura_async.testing._state_sizing import estimate_instance_size

INSTANCE = "/instances/{instanceId}"
SNAPSHOTS = INSTANCE + "/snapshots"
SNAPSHOT = SNAPSHOTS + "/{snapshotId}"


class InstanceHandlers:
    """Handlers of the ``/instances`` operations, bound to one emulator state."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        """Return the routes, the literal ``/instances/sizing`` before ``{instanceId}``."""
        return [
            Route("GET", "/instances", self.list_instances),
            Route("POST", "/instances", self.create_instance),
            Route("POST", "/instances/sizing", self.estimate_size),
            Route("GET", INSTANCE, self.get_instance),
            Route("DELETE", INSTANCE, self.delete_instance),
            Route("PATCH", INSTANCE, self.patch_instance),
            Route("POST", INSTANCE + "/overwrite", self.overwrite_instance),
            Route("POST", INSTANCE + "/pause", self.pause_instance),
            Route("POST", INSTANCE + "/resume", self.resume_instance),
            Route("POST", INSTANCE + "/upgrade", self.upgrade_instance),
            Route("GET", SNAPSHOTS, self.list_snapshots),
            Route("POST", SNAPSHOTS, self.create_snapshot),
            Route("GET", SNAPSHOT, self.get_snapshot),
            Route("POST", SNAPSHOT + "/restore", self.restore_snapshot),
        ]

    async def list_instances(self, request: web.Request) -> web.Response:
        """``GET /instances[?tenantId=]``."""
        tenant_id = query_value(request, "tenantId")
        return data_response(instances.list_instances(self.state, tenant_id))

    async def create_instance(self, request: web.Request) -> web.Response:
        """``POST /instances`` (202)."""
        body = await read_json_object(request)
        return data_response(instances.create_instance(self.state, body), status=202)

    async def estimate_size(self, request: web.Request) -> web.Response:
        """``POST /instances/sizing``."""
        return data_response(estimate_instance_size(await read_json_object(request)))

    async def get_instance(self, request: web.Request) -> web.Response:
        """``GET /instances/{instanceId}``."""
        instance_id = request.match_info["instanceId"]
        return data_response(instances.get_instance(self.state, instance_id))

    async def delete_instance(self, request: web.Request) -> web.Response:
        """``DELETE /instances/{instanceId}`` (202)."""
        instance_id = request.match_info["instanceId"]
        return data_response(instances.delete_instance(self.state, instance_id), status=202)

    async def patch_instance(self, request: web.Request) -> web.Response:
        """``PATCH /instances/{instanceId}`` (200 rename, 202 otherwise)."""
        body = await read_json_object(request)
        instance_id = request.match_info["instanceId"]
        status, instance = changes.patch_instance(self.state, instance_id, body)
        return data_response(instance, status=status)

    async def overwrite_instance(self, request: web.Request) -> web.Response:
        """``POST /instances/{instanceId}/overwrite`` (202)."""
        body = await read_json_object(request)
        instance_id = request.match_info["instanceId"]
        answer = snapshots.overwrite_instance(self.state, instance_id, body)
        return data_response(answer, status=202)

    async def pause_instance(self, request: web.Request) -> web.Response:
        """``POST /instances/{instanceId}/pause`` (202)."""
        await read_optional_object(request)
        instance_id = request.match_info["instanceId"]
        return data_response(instances.pause_instance(self.state, instance_id), status=202)

    async def resume_instance(self, request: web.Request) -> web.Response:
        """``POST /instances/{instanceId}/resume`` (202)."""
        await read_optional_object(request)
        instance_id = request.match_info["instanceId"]
        return data_response(instances.resume_instance(self.state, instance_id), status=202)

    async def upgrade_instance(self, request: web.Request) -> web.Response:
        """``POST /instances/{instanceId}/upgrade`` (200)."""
        body = await read_optional_object(request)
        instance_id = request.match_info["instanceId"]
        return data_response(changes.upgrade_instance(self.state, instance_id, body))

    async def list_snapshots(self, request: web.Request) -> web.Response:
        """``GET /instances/{instanceId}/snapshots[?date=YYYY-MM-DD]``."""
        instance_id = request.match_info["instanceId"]
        day = query_value(request, "date")
        return data_response(snapshots.list_snapshots(self.state, instance_id, day))

    async def create_snapshot(self, request: web.Request) -> web.Response:
        """``POST /instances/{instanceId}/snapshots`` (202)."""
        await read_optional_object(request)
        instance_id = request.match_info["instanceId"]
        return data_response(snapshots.create_snapshot(self.state, instance_id), status=202)

    async def get_snapshot(self, request: web.Request) -> web.Response:
        """``GET /instances/{instanceId}/snapshots/{snapshotId}``."""
        info = request.match_info
        snapshot = snapshots.get_snapshot(self.state, info["instanceId"], info["snapshotId"])
        return data_response(snapshot)

    async def restore_snapshot(self, request: web.Request) -> web.Response:
        """``POST /instances/{instanceId}/snapshots/{snapshotId}/restore`` (202)."""
        await read_optional_object(request)
        info = request.match_info
        answer = snapshots.restore_snapshot(self.state, info["instanceId"], info["snapshotId"])
        return data_response(answer, status=202)
