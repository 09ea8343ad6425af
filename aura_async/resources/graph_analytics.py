"""``client.graph_analytics``: Graph Analytics (GDS) sessions."""

from __future__ import annotations

import builtins

import attrs

from aura_async._urls import check_id
from aura_async.models import (
    CloudProvider,
    CreatedGraphAnalyticsSession,
    GraphAnalyticsSession,
    GraphAnalyticsSessionCreateRequest,
    GraphAnalyticsSessionSizeEstimate,
    GraphAnalyticsSessionSizingRequest,
    SessionStatus,
)
from aura_async.models._wire import keep_wire
from aura_async.resources._base import Resource, deprecated_alias, segment, wait_target

__all__ = ["GraphAnalytics"]

_BASE = "/graph-analytics/sessions"
_FAILED = frozenset({SessionStatus.FAILED, SessionStatus.EXPIRED})


class GraphAnalytics(Resource):
    """Graph Analytics (GDS) sessions, standalone or attached to an instance."""

    def _path(self, session_id: str) -> str:
        return _BASE + segment("session_id", session_id)

    async def list(
        self,
        *,
        instance_id: str | None = None,
        tenant_id: str | None = None,
        organization_id: str | None = None,
    ) -> tuple[GraphAnalyticsSession, ...]:
        """List the sessions that pass every given filter.

        Args:
            instance_id: Only the sessions attached to this instance.
            tenant_id: Only the sessions of this project.
            organization_id: Only the sessions of this organization.

        Returns:
            The sessions.

        Raises:
            AuraValidationError: A bad id; nothing was sent.
            NotFoundError: No such project.
            AuraError: The call failed.
        """
        filters = {
            "instanceId": ("instance_id", instance_id),
            "tenantId": ("tenant_id", tenant_id),
            "organizationId": ("organization_id", organization_id),
        }
        params = {
            wire: check_id(name, value)
            for wire, (name, value) in filters.items()
            if value is not None
        }
        return await self._many(_BASE, GraphAnalyticsSession, params=params or None)

    async def get(self, session_id: str) -> GraphAnalyticsSession:
        """Get a session.

        Args:
            session_id: The session.

        Returns:
            The session.

        Raises:
            AuraValidationError: A bad id; nothing was sent.
            NotFoundError: No such session.
            AuraError: The call failed.
        """
        return await self._one("GET", self._path(session_id), GraphAnalyticsSession)

    async def create(
        self,
        *,
        name: str,
        memory: str | None = None,
        tenant_id: str | None = None,
        ttl: str | None = None,
        instance_id: str | None = None,
        database_uuid: str | None = None,
        cloud_provider: CloudProvider | str | None = None,
        region: str | None = None,
    ) -> CreatedGraphAnalyticsSession:
        """Get the project's session of this name, or create it.

        By the API this is get-or-create, so the call is safe to repeat and is retried
        like a GET. Give ``instance_id`` (and optionally ``database_uuid``) for a
        session attached to an instance, or ``cloud_provider`` and ``region`` for a
        standalone one.

        Args:
            name: The session's name; it identifies the session within the project.
            memory: The session's memory, e.g. ``"8GB"``.
            tenant_id: The project.
            ttl: How long the session lives when idle, e.g. ``"30m"`` (default 1 hour).
            instance_id: The instance to attach the session to.
            database_uuid: The database of that instance the session reads.
            cloud_provider: Where a standalone session runs.
            region: Where a standalone session runs.

        Returns:
            The session; its ``created`` is True if the API answered 202 (created),
            False if it answered 200 (a session of that name already existed with the
            same settings, or an earlier attempt of this call created it).

        Raises:
            AuraValidationError: A bad argument; nothing was sent.
            ConflictError: A session of this name exists with other settings.
            AuraError: The call failed.
        """
        request = GraphAnalyticsSessionCreateRequest(
            name=name,
            memory=memory,
            tenant_id=tenant_id,
            ttl=ttl,
            instance_id=instance_id,
            database_uuid=database_uuid,
            cloud_provider=cloud_provider,
            region=region,
        )
        raw = await self._send("POST", _BASE, body=request, idempotent=True)
        session = self._one_from(raw, CreatedGraphAnalyticsSession, idempotent=True)
        created = attrs.evolve(session, created=raw.status == 202)
        keep_wire(created, session.extra, session.raw)
        return created

    async def delete(self, session_id: str) -> None:
        """Delete a session.

        A retried delete that finds the session already gone (an earlier attempt
        deleted it) returns normally.

        Args:
            session_id: The session.

        Raises:
            AuraValidationError: A bad id; nothing was sent.
            NotFoundError: No such session (on the first attempt).
            AuraError: The call failed.
        """
        await self._send("DELETE", self._path(session_id))

    async def estimate_size(
        self,
        *,
        node_count: int,
        relationship_count: int,
        node_property_count: int | None = None,
        node_label_count: int | None = None,
        relationship_property_count: int | None = None,
        algorithm_categories: tuple[str, ...] | builtins.list[str] | None = None,
    ) -> GraphAnalyticsSessionSizeEstimate:
        """Estimate the session size a graph needs (a pure computation, safe to repeat).

        Args:
            node_count: Nodes in the graph.
            relationship_count: Relationships in the graph.
            node_property_count: Properties per node.
            node_label_count: Labels per node.
            relationship_property_count: Properties per relationship.
            algorithm_categories: Algorithms to run, e.g. ``["pathfinding"]``.

        Returns:
            The recommended size and the estimated memory.

        Raises:
            AuraValidationError: A bad argument; nothing was sent.
            AuraError: The call failed.
        """
        request = GraphAnalyticsSessionSizingRequest(
            node_count=node_count,
            relationship_count=relationship_count,
            node_property_count=node_property_count,
            node_label_count=node_label_count,
            relationship_property_count=relationship_property_count,
            algorithm_categories=algorithm_categories,
        )
        model = GraphAnalyticsSessionSizeEstimate
        return await self._one("POST", _BASE + "/sizing", model, body=request, idempotent=True)

    async def wait(
        self,
        session_id: str,
        *,
        until: SessionStatus | str = SessionStatus.READY,
        timeout: float = 900.0,
        interval: float = 10.0,
        allow_unknown: bool = False,
    ) -> GraphAnalyticsSession:
        """Poll a session until its status is ``until``.

        Args:
            session_id: The session.
            until: The status to wait for (a ``SessionStatus``, any case).
            timeout: Seconds before giving up.
            interval: Seconds between polls (each poll counts against the rate limit).
            allow_unknown: Accept a status this release does not know.

        Returns:
            The session as read with that status.

        Raises:
            AuraValidationError: A bad id, timeout or interval, or an unknown status
                (without ``allow_unknown``); nothing was sent.
            OperationFailedError: The session ``Failed`` or ``Expired``; ``.last`` holds it.
            WaitTimeoutError: Not reached in time; the message names the last status,
                ``.last`` holds the last state.
            NotFoundError: The session stayed missing past the brief window after a create.
            AuraError: A poll failed.
        """
        target = wait_target(until, SessionStatus, allow_unknown=allow_unknown)
        return await self._poll_until(
            self._path(session_id),
            GraphAnalyticsSession,
            done=lambda session: session.status == target,
            failed=lambda session: session.status in _FAILED and target not in _FAILED,
            timeout=timeout,
            interval=interval,
            what=f"graph analytics session {session_id} waiting for {str(target)!r}",
        )

    async def wait_until_ready(
        self, session_id: str, *, timeout: float = 900.0, interval: float = 10.0
    ) -> GraphAnalyticsSession:
        """Deprecated alias of ``wait``: ``wait(session_id)`` waits until ``Ready``."""
        deprecated_alias("graph_analytics.wait_until_ready", "graph_analytics.wait")
        return await self.wait(session_id, timeout=timeout, interval=interval)
