"""Typed keys of the per-request storage the emulator's middlewares share."""

from __future__ import annotations

from aiohttp import web

CLIENT_ID_KEY = web.RequestKey("aura_client_id", str)
"""The credential a request is attributed to (absent if unauthenticated)."""

CLIENT_ID_STRING_KEY = "aura_client_id"
"""The same, under the plain string key route handlers read (``request.get(...)``)."""

RECEIVED_KEY = web.RequestKey("aura_received", float)
"""The request's receipt time on the emulator's clock (the journal's ``time``)."""

RATE_LIMITED_KEY = web.RequestKey("aura_rate_limited", bool)
"""Set to ``True`` when the rate limit rejected the request."""

FAULT_KEY = web.RequestKey("aura_fault", str)
"""The kind of the injected fault applied to the request, if any."""

DROPPED_KEY = web.RequestKey("aura_dropped", bool)
"""Set to ``True`` when the connection was closed instead of answering."""
