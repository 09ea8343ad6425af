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
    "ACQUIRE",
    "COOLDOWN",
    "LOCK_EXTEND",
    "LOCK_RELEASE",
    "PROBE",
    "RECORD",
    "TOKEN_INVALIDATE",
    "TOKEN_READ",
    "TOKEN_STORE",
    "CredentialKeys",
    "completion_offset",
    "credential_keys",
    "seconds",
]

_NOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local function fmt(seconds) return string.format('%.6f', seconds) end
"""

# KEYS: log, cooldown, epoch.
# ARGV: requests, per, lease, log ttl ms, known epoch ('' if none), new epoch,
#       quarantine seconds, in-flight threshold seconds, members to admit...
# Returns {admitted, wait, epoch}: wait is '0' after an admission, the seconds
# until a slot frees when that is known, or '-1' when it depends on a request
# still in flight.
ACQUIRE = (
    _NOW
    + """
local requests, per, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local epoch = redis.call('GET', KEYS[3])
if not epoch then
  epoch = ARGV[6]
end
redis.call('SET', KEYS[3], epoch, 'PX', 86400000)
if ARGV[5] ~= '' and ARGV[5] ~= epoch then
  -- The log this process wrote to is gone (restart, flush, eviction): the sends
  -- of the last window are unknown, so nobody sends for one window.
  local quarantine = tonumber(ARGV[7])
  local current = tonumber(redis.call('GET', KEYS[2]) or '0')
  if now + quarantine > current then
    redis.call('SET', KEYS[2], fmt(now + quarantine), 'PX', math.ceil(quarantine * 1000) + 1000)
  end
end
local cooldown = tonumber(redis.call('GET', KEYS[2]) or '0')
if cooldown > now then
  return {0, fmt(cooldown - now), epoch}
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', fmt(now - per))
local count = redis.call('ZCARD', KEYS[1])
local admit = math.min(requests - count, #ARGV - 8)
if admit > 0 then
  for i = 1, admit do
    redis.call('ZADD', KEYS[1], fmt(now + lease), ARGV[8 + i])
  end
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return {admit, '0', epoch}
end
if #ARGV == 8 then
  return {0, '0', epoch}
end
local oldest = redis.call('ZRANGE', KEYS[1], count - requests, count - requests, 'WITHSCORES')
local leaves = tonumber(oldest[2])
if leaves > now + tonumber(ARGV[8]) then
  return {0, '-1', epoch}
end
return {0, fmt(leaves + per - now), epoch}
"""
)

# KEYS: log. ARGV: log ttl ms, then pairs (member, offset): the member's score
# becomes now + offset; offset '-' removes it (the request was never sent).
# Used to record completions and to copy a fallback's sends into the log.
RECORD = (
    _NOW
    + """
for i = 2, #ARGV, 2 do
  if ARGV[i + 1] == '-' then
    redis.call('ZREM', KEYS[1], ARGV[i])
  else
    redis.call('ZADD', KEYS[1], fmt(now + tonumber(ARGV[i + 1])), ARGV[i])
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return 0
"""
)

# KEYS: cooldown. ARGV: delay seconds. Overlapping cooldowns end at the later one.
COOLDOWN = (
    _NOW
    + """
local ends = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if ends > current then
  redis.call('SET', KEYS[1], fmt(ends), 'PX', math.ceil(tonumber(ARGV[1]) * 1000) + 1000)
  current = ends
end
return fmt(current - now)
"""
)

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
        log: Sorted set of send slots: member = permit id, score = until when it counts.
        cooldown: The Redis time until which nobody sends (after a 429).
        epoch: A random id of the log's lifetime; a change means data was lost.
        token: Hash of the shared access token (``sealed``, ``lifetime``, ``id``).
        token_lock: Held by the process fetching a new token.
        probe: Written and deleted by the readiness check.
    """

    log: str
    cooldown: str
    epoch: str
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
        epoch=f"{base}:epoch",
        token=f"{base}:token",
        token_lock=f"{base}:token-lock",
        probe=f"{base}:probe",
    )


# A send exactly ``per`` after a completion must not share its server window: the
# Redis clock and the API gateway's clock may tick a little apart.
HOLD_EPSILON = 0.005


def seconds(value: float) -> str:
    """Format seconds as the scripts expect them (six decimals)."""
    return f"{value:.6f}"


def completion_offset(*, sent: bool, answered: bool, margin: float) -> str:
    """Return the :data:`RECORD` offset of a finished send.

    Args:
        sent: False if the request provably never left: its slot is removed.
        answered: False if no complete answer came back: held ``margin`` longer.
        margin: The rate limit's safety margin, in seconds.
    """
    if not sent:
        return "-"
    return seconds(HOLD_EPSILON + (0.0 if answered else margin))
