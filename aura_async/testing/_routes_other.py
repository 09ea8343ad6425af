"""The tenant, customer managed key and GDS session operations of the API, as handlers."""

from __future__ import annotations

from aiohttp import web

from aura_async.testing import _state_keys as keys
from aura_async.testing import _state_sessions as sessions
from aura_async.testing._http import data_response, read_json_object
from aura_async.testing._routes_common import Route, client_id, query_value
from aura_async.testing._state import EmulatorState
from aura_async.testing._state_sizing import estimate_session_size

TENANT = "/tenants/{tenantId}"
KEYS = "/customer-managed-keys"
KEY = KEYS + "/{customerManagedKeyId}"
SESSIONS = "/graph-analytics/sessions"
SESSION = SESSIONS + "/{sessionId}"


class OtherHandlers:
    """Handlers of the tenant, key and session operations, bound to one emulator state."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        """Return the routes, the literal ``/sessions/sizing`` before ``{sessionId}``."""
        return [
            Route("GET", "/tenants", self.list_tenants),
            Route("GET", TENANT, self.get_tenant),
            Route("GET", TENANT + "/metrics-integration", self.get_metrics_integration),
            Route("GET", KEYS, self.list_keys),
            Route("POST", KEYS, self.create_key),
            Route("GET", KEY, self.get_key),
            Route("DELETE", KEY, self.delete_key),
            Route("GET", SESSIONS, self.list_sessions),
            Route("POST", SESSIONS, self.create_session),
            Route("POST", SESSIONS + "/sizing", self.estimate_session_size),
            Route("GET", SESSION, self.get_session),
            Route("DELETE", SESSION, self.delete_session),
        ]

    async def list_tenants(self, request: web.Request) -> web.Response:
        """``GET /tenants``."""
        return data_response(keys.list_tenants(self.state))

    async def get_tenant(self, request: web.Request) -> web.Response:
        """``GET /tenants/{tenantId}``."""
        return data_response(keys.get_tenant(self.state, request.match_info["tenantId"]))

    async def get_metrics_integration(self, request: web.Request) -> web.Response:
        """``GET /tenants/{tenantId}/metrics-integration``."""
        tenant_id = request.match_info["tenantId"]
        return data_response(keys.get_metrics_integration(self.state, tenant_id))

    async def list_keys(self, request: web.Request) -> web.Response:
        """``GET /customer-managed-keys[?tenantId=]``."""
        tenant_id = query_value(request, "tenantId")
        return data_response(keys.list_keys(self.state, tenant_id))

    async def create_key(self, request: web.Request) -> web.Response:
        """``POST /customer-managed-keys`` (202)."""
        body = await read_json_object(request)
        return data_response(keys.create_key(self.state, body), status=202)

    async def get_key(self, request: web.Request) -> web.Response:
        """``GET /customer-managed-keys/{customerManagedKeyId}``."""
        key_id = request.match_info["customerManagedKeyId"]
        return data_response(keys.get_key(self.state, key_id))

    async def delete_key(self, request: web.Request) -> web.Response:
        """``DELETE /customer-managed-keys/{customerManagedKeyId}`` (204, no body)."""
        keys.delete_key(self.state, request.match_info["customerManagedKeyId"])
        return web.Response(status=204)

    async def list_sessions(self, request: web.Request) -> web.Response:
        """``GET /graph-analytics/sessions[?instanceId=&tenantId=&organizationId=]``."""
        found = sessions.list_sessions(
            self.state,
            instance_id=query_value(request, "instanceId"),
            tenant_id=query_value(request, "tenantId"),
            organization_id=query_value(request, "organizationId"),
        )
        return data_response(found)

    async def create_session(self, request: web.Request) -> web.Response:
        """``POST /graph-analytics/sessions`` (200 existing, 202 created)."""
        body = await read_json_object(request)
        status, session = sessions.create_session(self.state, body, client_id(request))
        return data_response(session, status=status)

    async def estimate_session_size(self, request: web.Request) -> web.Response:
        """``POST /graph-analytics/sessions/sizing``."""
        return data_response(estimate_session_size(await read_json_object(request)))

    async def get_session(self, request: web.Request) -> web.Response:
        """``GET /graph-analytics/sessions/{sessionId}``."""
        session_id = request.match_info["sessionId"]
        return data_response(sessions.get_session(self.state, session_id))

    async def delete_session(self, request: web.Request) -> web.Response:
        """``DELETE /graph-analytics/sessions/{sessionId}`` (202)."""
        session_id = request.match_info["sessionId"]
        return data_response(sessions.delete_session(self.state, session_id), status=202)
