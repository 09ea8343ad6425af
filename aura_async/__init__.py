"""aura_async: an asyncio SDK for the Neo4j Aura management API."""

from aura_async._version import __version__

__all__ = ["__version__"]
