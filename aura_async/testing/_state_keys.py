"""Tenant (project) reads and customer managed key operations."""

from __future__ import annotations

from typing import Any

from aura_async.testing._model import METRICS_HOST, CustomerManagedKey, new_uuid
from aura_async.testing._state import EmulatorState, Step
from aura_async.testing._validation import (
    CLOUD_PROVIDERS,
    INSTANCE_TYPES,
    check_name,
    invalid,
    key_not_found,
    required_choice,
    required_str,
)

KEY_INSTANCE_TYPES = ("enterprise-db", "enterprise-ds")
# What a key id looks like on each cloud: an AWS KMS ARN, a GCP KMS resource name, an
# Azure Key Vault key URL.
KEY_ID_PREFIXES = {"aws": "arn:aws:kms:", "gcp": "projects/", "azure": "https://"}


def list_tenants(state: EmulatorState) -> list[dict[str, Any]]:
    """``GET /tenants``: a summary of every tenant."""
    return [tenant.summary() for tenant in state.tenants.values()]


def get_tenant(state: EmulatorState, tenant_id: str) -> dict[str, Any]:
    """``GET /tenants/{tenantId}``: the tenant with its instance configurations.

    Raises:
        ApiError: 404 ``tenant-not-found``.
    """
    return state.tenant(tenant_id).detail()


def get_metrics_integration(state: EmulatorState, tenant_id: str) -> dict[str, Any]:
    """``GET /tenants/{tenantId}/metrics-integration``: the tenant's metrics endpoint.

    Raises:
        ApiError: 404 ``tenant-not-found``.
    """
    tenant = state.tenant(tenant_id)
    return {"endpoint": f"{METRICS_HOST}/{tenant.id}/metrics"}


def create_key(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /customer-managed-keys``: register a key, ``pending`` then ``ready``.

    Raises:
        ApiError: 400 naming a missing or malformed field, or a location the tenant
            does not offer; 404 unknown tenant.
    """
    key = CustomerManagedKey(
        id=new_uuid(),
        key_id=required_str(body, "key_id"),
        name=check_name(required_str(body, "name")),
        instance_type=required_choice(body, "instance_type", INSTANCE_TYPES),
        tenant_id=required_str(body, "tenant_id"),
        cloud_provider=required_choice(body, "cloud_provider", CLOUD_PROVIDERS),
        region=required_str(body, "region"),
        created=state.now(),
    )
    _check_key(state, key)
    state.customer_managed_keys[key.id] = key
    state.start(f"key:{key.id}", key, [Step("ready")])
    return key.detail()


def _check_key(state: EmulatorState, key: CustomerManagedKey) -> None:
    if key.instance_type not in KEY_INSTANCE_TYPES:
        allowed = " or ".join(KEY_INSTANCE_TYPES)
        raise invalid(f"instance_type must be {allowed}", field="instance_type")
    prefix = KEY_ID_PREFIXES[key.cloud_provider]
    if not key.key_id.startswith(prefix):
        raise invalid(f"A {key.cloud_provider} key_id starts with {prefix}", field="key_id")
    tenant = state.tenant(key.tenant_id)
    if not any(
        (config["type"], config["cloud_provider"], config["region"])
        == (key.instance_type, key.cloud_provider, key.region)
        for config in tenant.instance_configurations
    ):
        raise invalid(f"The project offers no {key.instance_type} in {key.region}", field="region")


def list_keys(state: EmulatorState, tenant_id: str | None) -> list[dict[str, Any]]:
    """``GET /customer-managed-keys``: summaries, optionally of one tenant.

    Raises:
        ApiError: 404 ``tenant-not-found`` for an unknown ``tenant_id``.
    """
    if tenant_id is not None:
        state.tenant(tenant_id)
    return [
        key.summary()
        for key in state.customer_managed_keys.values()
        if tenant_id is None or key.tenant_id == tenant_id
    ]


def find_key(state: EmulatorState, key_id: str) -> CustomerManagedKey:
    """Return the key, or raise the API's 404 ``encryption-key-not-found``."""
    key = state.customer_managed_keys.get(key_id)
    if key is None:
        raise key_not_found(key_id)
    return key


def get_key(state: EmulatorState, key_id: str) -> dict[str, Any]:
    """``GET /customer-managed-keys/{customerManagedKeyId}``.

    Raises:
        ApiError: 404 ``encryption-key-not-found``.
    """
    return find_key(state, key_id).detail()


def delete_key(state: EmulatorState, key_id: str) -> None:
    """``DELETE /customer-managed-keys/{customerManagedKeyId}`` (204).

    Raises:
        ApiError: 404 unknown key; 400 ``encryption-key-is-active`` (the spec's status)
            while an existing instance, even one being destroyed, uses it.
    """
    key = find_key(state, key_id)
    if any(i.customer_managed_key_id == key.id for i in state.instances.values()):
        message = (
            f"Can not delete encryption key {key.id}. The key is linked to an active instance."
        )
        raise invalid(message, reason="encryption-key-is-active")
    del state.customer_managed_keys[key.id]
