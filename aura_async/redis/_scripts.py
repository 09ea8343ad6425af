"""The Lua scripts of the Redis backend, and the key names they work on.

Every script reads the time with ``TIME``: only the Redis server's clock decides
windows, cooldowns and expiries, never the clocks of the hosts running clients.
Times are stored as seconds with six decimals (``%.6f``), since Lua's default
number formatting keeps only 14 significant digits (a tenth of a millisecond at
today's epoch). Floats are returned as strings because Redis truncates Lua
numbers to integers.

All keys of one credential share a hash tag (``{...}``), so the scripts also run
on Redis Cluster.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

import attrs

__all__ = [
    "LOCK_EXTEND",
    "LOCK_RELEASE",
    "PROBE",
    "TOKEN_INVALIDATE",
    "TOKEN_READ",
    "TOKEN_STORE",
    "CredentialKeys",
    "credential_keys",
    "seconds",
]

# KEYS: token. Returns {sealed value, lifetime, remaining ms} or nil.
TOKEN_READ = """
local fields = redis.call('HMGET', KEYS[1], 'sealed', 'lifetime')
if not fields[1] then
  return nil
end
return {fields[1], fields[2], redis.call('PTTL', KEYS[1])}
"""

# KEYS: token. ARGV: sealed value, lifetime seconds, fingerprint, ttl ms (the
# remaining lifetime). Replaces the whole hash.
TOKEN_STORE = """
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'sealed', ARGV[1], 'lifetime', ARGV[2], 'id', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""

# KEYS: token. ARGV: the rejected token's fingerprint. Deletes it only if it is
# still the stored one.
TOKEN_INVALIDATE = """
if redis.call('HGET', KEYS[1], 'id') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# KEYS: probe. Does what the other scripts do (reads TIME, then writes a key of the
# credential), so that a readiness check fails as they would.
PROBE = """
local clock = redis.call('TIME')
redis.call('SET', KEYS[1], clock[1], 'PX', 1000)
redis.call('DEL', KEYS[1])
return clock[1]
"""

# KEYS: lock. ARGV: owner. Releases the lock only if this owner holds it.
LOCK_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# KEYS: lock. ARGV: owner, ttl ms. Extends the lock only if this owner holds it.
LOCK_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


@attrs.frozen
class CredentialKeys:
    """The Redis keys of one credential at one API host.

    Attributes:
        log: Sorted set of send slots (see :mod:`aura_async.redis._limit_scripts`).
        cooldown: The Redis time until which nobody sends (after a 429).
        state: Hash of the log's id, when its newest entry stops counting, and
            the configurations in use.
        tombstones: Sorted set of the slots given back by callers that gave up.
        token: Hash of the shared access token (``sealed``, ``lifetime``, ``id``).
        token_lock: Held by the process fetching a new token.
        probe: Written and deleted by the readiness check.
    """

    log: str
    cooldown: str
    state: str
    tombstones: str
    token: str
    token_lock: str
    probe: str


def credential_keys(prefix: str, origin: str, client_id: str) -> CredentialKeys:
    """Return the keys of ``client_id`` at ``origin``.

    The client id is hashed (it identifies an account); the secret is never used.

    Args:
        prefix: The namespace, e.g. ``aura_async``.
        origin: The API origin, e.g. ``https://api.neo4j.io``.
        client_id: The API client id.
    """
    host = urlsplit(origin).netloc or origin
    digest = hashlib.sha256(client_id.encode()).hexdigest()[:32]
    base = f"{prefix}:{{{host}:{digest}}}"
    return CredentialKeys(
        log=f"{base}:log",
        cooldown=f"{base}:cooldown",
        state=f"{base}:state",
        tombstones=f"{base}:tombstones",
        token=f"{base}:token",
        token_lock=f"{base}:token-lock",
        probe=f"{base}:probe",
    )


def seconds(value: float) -> str:
    """Format seconds as the scripts expect them (six decimals)."""
    return f"{value:.6f}"
