"""``client.customer_managed_keys``: encryption keys held in the customer's cloud account."""

from __future__ import annotations

from aura_async._urls import check_id
from aura_async.models import (
    CloudProvider,
    CustomerManagedKey,
    CustomerManagedKeyCreateRequest,
    CustomerManagedKeyStatus,
    CustomerManagedKeySummary,
    InstanceType,
)
from aura_async.resources._base import Resource, deprecated_alias, segment, wait_target

__all__ = ["CustomerManagedKeys"]

_BASE = "/customer-managed-keys"


class CustomerManagedKeys(Resource):
    """Customer managed keys (CMKs) that encrypt instances' data."""

    def _path(self, key_id: str) -> str:
        return _BASE + segment("key_id", key_id)

    async def list(self, *, tenant_id: str | None = None) -> tuple[CustomerManagedKeySummary, ...]:
        """List the keys, of one project or of all the credential can see.

        Args:
            tenant_id: Only the keys of this project.

        Returns:
            One summary per key.

        Raises:
            AuraValidationError: A bad tenant id; nothing was sent.
            NotFoundError: No such project.
            AuraError: The call failed.
        """
        params = None if tenant_id is None else {"tenantId": check_id("tenant_id", tenant_id)}
        return await self._many(_BASE, CustomerManagedKeySummary, params=params)

    async def get(self, key_id: str) -> CustomerManagedKey:
        """Get a key's details.

        Args:
            key_id: The key's Aura id (not its id at the cloud provider).

        Returns:
            The key, with its status (``pending`` or ``ready``).

        Raises:
            AuraValidationError: A bad id; nothing was sent.
            NotFoundError: No such key (or not visible yet after a create).
            AuraError: The call failed.
        """
        return await self._one("GET", self._path(key_id), CustomerManagedKey)

    async def create(
        self,
        *,
        name: str,
        key_id: str,
        region: str,
        instance_type: InstanceType | str,
        tenant_id: str,
        cloud_provider: CloudProvider | str,
    ) -> CustomerManagedKey:
        """Register a key of the cloud provider's key service. It starts ``pending``.

        The request is never re-sent once it may have reached the server.

        Args:
            name: The key's name in Aura (1 to 30 characters).
            key_id: The key's id at the cloud provider (e.g. an AWS KMS ARN).
            region: The region of the instances the key will encrypt.
            instance_type: The type of those instances.
            tenant_id: The project.
            cloud_provider: The cloud provider holding the key.

        Returns:
            The new key (status ``pending``).

        Raises:
            AuraValidationError: A bad argument; nothing was sent.
            OutcomeUnknownError: The key may or may not have been registered.
            AuraError: The call failed (the key was not registered).
        """
        request = CustomerManagedKeyCreateRequest(
            name=name,
            key_id=key_id,
            region=region,
            instance_type=instance_type,
            tenant_id=tenant_id,
            cloud_provider=cloud_provider,
        )
        return await self._one("POST", _BASE, CustomerManagedKey, body=request)

    async def delete(self, key_id: str) -> None:
        """Delete a key (the API answers 204).

        A retried delete that finds the key already gone (an earlier attempt deleted
        it) returns normally.

        Args:
            key_id: The key's Aura id.

        Raises:
            AuraValidationError: A bad id; nothing was sent.
            BadRequestError: An instance still uses the key (``encryption-key-is-active``).
            NotFoundError: No such key (on the first attempt).
            AuraError: The call failed.
        """
        await self._send("DELETE", self._path(key_id))

    async def wait(
        self,
        key_id: str,
        *,
        until: CustomerManagedKeyStatus | str = CustomerManagedKeyStatus.READY,
        timeout: float = 900.0,
        interval: float = 10.0,
        allow_unknown: bool = False,
    ) -> CustomerManagedKey:
        """Poll a key until its status is ``until``.

        Args:
            key_id: The key's Aura id.
            until: The status to wait for (a ``CustomerManagedKeyStatus``, any case).
            timeout: Seconds before giving up.
            interval: Seconds between polls (each poll counts against the rate limit).
            allow_unknown: Accept a status this release does not know.

        Returns:
            The key as read with that status.

        Raises:
            AuraValidationError: A bad id, timeout or interval, or an unknown status
                (without ``allow_unknown``); nothing was sent.
            WaitTimeoutError: Not reached in time; the message names the last status,
                ``.last`` holds the last state.
            NotFoundError: The key stayed missing past the brief window after a create.
            AuraError: A poll failed.
        """
        target = wait_target(until, CustomerManagedKeyStatus, allow_unknown=allow_unknown)
        return await self._poll_until(
            self._path(key_id),
            CustomerManagedKey,
            done=lambda key: key.status == target,
            failed=lambda key: False,
            timeout=timeout,
            interval=interval,
            what=f"customer managed key {key_id} waiting for {str(target)!r}",
        )

    async def wait_until_ready(
        self, key_id: str, *, timeout: float = 900.0, interval: float = 10.0
    ) -> CustomerManagedKey:
        """Deprecated alias of ``wait``: ``wait(key_id)`` waits until ``ready``."""
        deprecated_alias("customer_managed_keys.wait_until_ready", "customer_managed_keys.wait")
        return await self.wait(key_id, timeout=timeout, interval=interval)
