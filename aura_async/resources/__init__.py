"""The resource namespaces of :class:`~aura_async.AuraClient`."""

from aura_async.resources.instances import Instances
from aura_async.resources.snapshots import Snapshots
from aura_async.resources.tenants import Tenants

__all__ = ["Instances", "Snapshots", "Tenants"]
