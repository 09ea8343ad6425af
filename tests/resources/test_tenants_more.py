"""client.tenants.metrics_integration against the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from aura_async import AuraClient, AuraValidationError, NotFoundError
from aura_async.models import MetricsIntegration
from aura_async.testing import AuraEmulator
from tests.resources.conftest import readable


async def test_metrics_integration_names_the_projects_endpoint(
    emu: AuraEmulator, client: AuraClient
) -> None:
    assert emu.tenant_id is not None
    integration = await client.tenants.metrics_integration(emu.tenant_id)
    assert isinstance(integration, MetricsIntegration)
    if readable(emu, integration.endpoint):
        assert integration.endpoint.startswith("https://")
        assert emu.tenant_id in integration.endpoint
    path = f"/v1/tenants/{emu.tenant_id}/metrics-integration"
    assert emu.journal.count("GET", path, 200) == 1


async def test_metrics_integration_of_an_unknown_project_is_not_found(
    client: AuraClient,
) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.tenants.metrics_integration("00000000-0000-0000-0000-000000000000")
    assert caught.value.reason == "tenant-not-found"


@pytest.mark.parametrize("tenant_id", ["", "a/b", "..", None])
async def test_a_bad_tenant_id_is_rejected_before_sending(
    emu: AuraEmulator, client: AuraClient, tenant_id: Any
) -> None:
    with pytest.raises(AuraValidationError, match="tenant_id"):
        await client.tenants.metrics_integration(tenant_id)
    assert emu.journal.count() == 0
