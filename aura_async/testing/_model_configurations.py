"""The instance configurations a new emulated tenant offers unless told otherwise."""

from __future__ import annotations

from aura_async.testing._validation import format_gb

# (cloud_provider, region, region_name)
REGIONS = (
    ("gcp", "europe-west1", "Belgium (europe-west1)"),
    ("gcp", "us-central1", "Iowa (us-central1)"),
    ("aws", "us-east-1", "US East, N. Virginia (us-east-1)"),
    ("aws", "eu-west-1", "Ireland (eu-west-1)"),
    ("azure", "westeurope", "Netherlands (westeurope)"),
    ("azure", "eastus", "Virginia (eastus)"),
)
# Free instances exist in fewer regions, as on the live service.
FREE_REGIONS = frozenset({"europe-west1", "us-central1", "us-east-1"})
MEMORY_GB_BY_TYPE = {
    "free-db": (1,),
    "professional-db": (1, 2, 4, 8, 16, 32, 64),
    "enterprise-db": (2, 4, 8, 16, 32, 64, 128),
    "business-critical": (2, 4, 8, 16, 32, 64, 128),
    "professional-ds": (4, 8, 16, 32, 64),
    "enterprise-ds": (8, 16, 32, 64, 128, 256, 384),
}
VERSIONS_BY_TYPE = {"professional-db": ("5", "4"), "enterprise-db": ("5", "4")}
CONFIGURATION_KEYS = (
    "region",
    "region_name",
    "type",
    "memory",
    "storage",
    "version",
    "cloud_provider",
)


def default_instance_configurations() -> list[dict[str, str]]:
    """Return a fresh list of configurations covering every type on gcp, aws and azure.

    Storage is twice the memory, as on the live service.
    """
    return [
        _configuration(cloud, region, region_name, instance_type, memory_gb, version)
        for cloud, region, region_name in REGIONS
        for instance_type, sizes in MEMORY_GB_BY_TYPE.items()
        if instance_type != "free-db" or region in FREE_REGIONS
        for version in VERSIONS_BY_TYPE.get(instance_type, ("5",))
        for memory_gb in sizes
    ]


def _configuration(
    cloud: str, region: str, region_name: str, instance_type: str, memory_gb: int, version: str
) -> dict[str, str]:
    return {
        "region": region,
        "region_name": region_name,
        "type": instance_type,
        "memory": format_gb(memory_gb),
        "storage": format_gb(memory_gb * 2),
        "version": version,
        "cloud_provider": cloud,
    }


def checked_configurations(configurations: list[dict[str, str]]) -> list[dict[str, str]]:
    """Return copies of caller-supplied configurations after checking their keys.

    Raises:
        ValueError: A configuration lacks one of the spec's required keys or has a
            non-string value.
    """
    checked = []
    for config in configurations:
        missing = [key for key in CONFIGURATION_KEYS if not isinstance(config.get(key), str)]
        if missing:
            raise ValueError(f"instance configuration {config!r} lacks string values for {missing}")
        checked.append(dict(config))
    return checked
