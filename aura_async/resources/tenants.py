"""``client.tenants``: projects (the API's paths say tenants)."""

from __future__ import annotations

from aura_async.models import MetricsIntegration, Tenant, TenantSummary
from aura_async.resources._base import Resource, segment

__all__ = ["Tenants"]


class Tenants(Resource):
    """The projects the credential can see."""

    async def list(self) -> tuple[TenantSummary, ...]:
        """List the projects.

        Returns:
            One summary per project.

        Raises:
            AuraError: The call failed.
        """
        return await self._many("/tenants", TenantSummary)

    async def get(self, tenant_id: str) -> Tenant:
        """Get a project with its instance configurations.

        Args:
            tenant_id: The project id.

        Returns:
            The project.

        Raises:
            AuraValidationError: The id is not a plain id.
            NotFoundError: No such project.
            AuraError: The call failed.
        """
        return await self._one("GET", "/tenants" + segment("tenant_id", tenant_id), Tenant)

    async def metrics_integration(self, tenant_id: str) -> MetricsIntegration:
        """Get the endpoint a metrics system (e.g. Prometheus) scrapes for the project.

        Args:
            tenant_id: The project id.

        Returns:
            The project's metrics integration.

        Raises:
            AuraValidationError: The id is not a plain id.
            NotFoundError: No such project.
            AuraError: The call failed.
        """
        path = "/tenants" + segment("tenant_id", tenant_id) + "/metrics-integration"
        return await self._one("GET", path, MetricsIntegration)
