"""The limiter's Lua scripts, and the pure helpers that build their arguments and read replies.

Every script reads the time with ``TIME``: only the Redis server's clock decides
windows, leases and expiries. Times are seconds with six decimals (``%.6f``),
returned as strings since Redis truncates Lua numbers to integers.

The keys of a credential's limiter (all under one hash tag, so one Cluster slot):

- ``log``: sorted set, one member per send slot, scored with the Redis time from
  which it counts ``per`` more seconds: ``now + lease`` while in flight (the lease
  is its process's heartbeat, renewed before it ends while the process lives),
  the completion time once answered.
- ``state``: hash: ``id`` (a random id of the log's lifetime), ``seq`` (counts
  the scripts that ran: it never goes down, unless Redis went back in time),
  ``until`` (when the newest entry of the log stops counting) and one
  ``c:<requests>:<per>:<lease>`` field per configuration in use, valued with
  when it was last used.
- ``tombstones``: sorted set of the slots given back by callers that gave up, so
  that an admission script that runs late cannot take them again.
- ``cooldown``: the Redis time until which nobody sends.

Every script that writes begins with the same head of arguments (see
:func:`script_head`), checks that the log is as recent as it should be, and
ends with :data:`_FINISH`, which gives every key one expiry: when the newest
entry stops counting, plus a lease and a window.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from aura_async.redis._scripts import seconds

__all__ = [
    "ACQUIRE",
    "COOLDOWN",
    "HOLD_EPSILON",
    "PEEK",
    "RECORD",
    "Observed",
    "completion_offset",
    "observed",
    "script_head",
]

_NOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local function fmt(seconds) return string.format('%.6f', seconds) end
"""

# KEYS: log, cooldown, state, tombstones.
# ARGV (the head): requests, per, lease, margin, known id ('' if none), new id,
#   known until, witness member ('' if none), witness score, known seq.
# The strictest configuration in use applies: the fewest requests in the longest
# window. A configuration is in use until its lease and window after its last script.
_ENTER = (
    _NOW
    + """
local LOG, COOLDOWN, STATE, TOMBS = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local margin = tonumber(ARGV[4])
redis.call('HSET', STATE, 'c:' .. ARGV[1] .. ':' .. ARGV[2] .. ':' .. ARGV[3], fmt(now))
local requests, per, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = {}
local fields = redis.call('HGETALL', STATE)
for i = 1, #fields, 2 do
  local r, p, l = string.match(fields[i], '^c:(%d+):([^:]+):([^:]+)$')
  if not r then
    state[fields[i]] = fields[i + 1]
  elseif tonumber(fields[i + 1]) + tonumber(p) + tonumber(l) + 1 < now then
    redis.call('HDEL', STATE, fields[i])
  else
    requests = math.min(requests, tonumber(r))
    per = math.max(per, tonumber(p))
    lease = math.max(lease, tonumber(l))
  end
end
local id = state['id']
if not id then
  id = ARGV[6]
  redis.call('HSET', STATE, 'id', id)
end
local counted = tonumber(state['until'] or '0')
local lost, resume = 0, now + per + margin
if ARGV[5] ~= '' and ARGV[5] ~= id and tonumber(ARGV[7]) > now then
  -- The state this process wrote to is gone (flush, restart, eviction).
  lost = 1
elseif ARGV[5] == id and tonumber(ARGV[10]) > tonumber(state['seq'] or '0') then
  -- Redis went back in time (a promoted replica, an older snapshot): sends
  -- recorded since are missing. Every send before now counts until a window
  -- from now at the latest.
  lost = 1
elseif ARGV[8] ~= '' and tonumber(ARGV[9]) > now - per
    and not redis.call('ZSCORE', LOG, ARGV[8]) then
  -- A recent send of this process is missing: the log is older than it should be.
  lost = 1
elseif counted > now and redis.call('EXISTS', LOG) == 0 then
  -- The log went but its state stayed: its sends counted until then.
  lost, resume = 1, counted + margin
end
if lost == 1 and resume > tonumber(redis.call('GET', COOLDOWN) or '0') then
  redis.call('SET', COOLDOWN, fmt(resume))
end
"""
)

# Records when the newest entry stops counting and gives every key one expiry.
# Appends {id, until, now, requests, per, lost, seq} to the reply `head`.
_FINISH = """
local function finish(head)
  local newest = redis.call('ZRANGE', LOG, -1, -1, 'WITHSCORES')
  local ends = now
  if newest[2] then
    ends = tonumber(newest[2]) + per
  end
  redis.call('HSET', STATE, 'until', fmt(ends))
  local seq = redis.call('HINCRBY', STATE, 'seq', 1)
  local expires = math.ceil((math.max(ends, now) + lease + per + 1) * 1000)
  redis.call('PEXPIREAT', LOG, expires)
  redis.call('PEXPIREAT', STATE, expires)
  redis.call('PEXPIREAT', TOMBS, expires)
  local cooldown = redis.call('GET', COOLDOWN)
  if cooldown then
    local ends_ms = math.ceil(tonumber(cooldown) * 1000) + 1000
    redis.call('PEXPIREAT', COOLDOWN, math.max(expires, ends_ms))
  end
  for _, value in ipairs({id, fmt(ends), fmt(now), requests, fmt(per), lost, seq}) do
    table.insert(head, value)
  end
  return head
end
"""

_HEAD = 10
# Most scores an admission's reply carries (the oldest counting slots).
_SCORES = 1000

# ARGV: the head, the in-flight threshold (seconds), the reserve (slots of the
# window that bulk members never take), how many of the members are interactive
# (they come first), then the members to admit, in the order their waiters are
# served. An interactive member may fill the window; a bulk one only up to
# ``requests - reserve``. Returns {admitted, wait, counted, scores, cooling,
# ...finish}: ``wait`` is '0' after an admission, the seconds until the first
# refused member's slot frees when that is known, or '-1' when it depends on a
# request still in flight; ``counted`` the slots counting after the admissions;
# ``scores`` (only when a member was refused, at most _SCORES of them) the
# scores of the counting slots, oldest first, for the callers' wait estimates;
# ``cooling`` 1 if a 429 cooldown refused everyone (``wait`` is its rest). A
# member with a tombstone is never admitted.
ACQUIRE = (
    _ENTER
    + _FINISH
    + """
redis.call('ZREMRANGEBYSCORE', TOMBS, '-inf', fmt(now))
redis.call('ZREMRANGEBYSCORE', LOG, '-inf', fmt(now - per))
local count = redis.call('ZCARD', LOG)
local cooldown = tonumber(redis.call('GET', COOLDOWN) or '0')
if cooldown > now then
  return finish({0, fmt(cooldown - now), count, {}, 1})
end
local reserve = math.min(tonumber(ARGV[12]), requests - 1)
local interactive = tonumber(ARGV[13])
local admitted, refused = 0, nil
for i = 14, #ARGV do
  local limit = requests
  if i - 13 > interactive then
    limit = requests - reserve
  end
  if count + admitted >= limit then
    refused = limit
    break
  end
  if not redis.call('ZSCORE', TOMBS, ARGV[i]) then
    redis.call('ZADD', LOG, fmt(now + tonumber(ARGV[3])), ARGV[i])
    admitted = admitted + 1
  end
end
count = count + admitted
if not refused then
  return finish({admitted, '0', count, {}, 0})
end
local scores = {}
local counted = redis.call('ZRANGE', LOG, 0, math.min(count, MOST_SCORES) - 1, 'WITHSCORES')
for i = 2, #counted, 2 do
  table.insert(scores, counted[i])
end
local leaves = tonumber(scores[count - refused + 1] or counted[#counted])
local wait = '-1'
if admitted > 0 then
  wait = '0'
elseif leaves <= now + tonumber(ARGV[11]) then
  wait = fmt(leaves + per - now)
end
return finish({admitted, wait, count, scores, 0})
""".replace("MOST_SCORES", str(_SCORES))
)

# ARGV: the head, then pairs (member, action). Actions: '+<seconds>': the score
# becomes now + seconds (a completion or a renewed lease); '@<time>': the score
# becomes at least that time, unless it no longer counts or the slot was given
# back (re-adding this process's sends after a loss or a reconnect; idempotent);
# '-': the slot is removed and tombstoned (never sent, or its admission failed).
RECORD = (
    _ENTER
    + _FINISH
    + """
for i = 11, #ARGV, 2 do
  local member, action = ARGV[i], ARGV[i + 1]
  local kind, value = string.sub(action, 1, 1), tonumber(string.sub(action, 2))
  if kind == '-' then
    redis.call('ZREM', LOG, member)
    redis.call('ZADD', TOMBS, fmt(now + tonumber(ARGV[3]) + per), member)
  elseif kind == '+' then
    redis.call('ZADD', LOG, fmt(now + value), member)
  elseif value > now - per and not redis.call('ZSCORE', TOMBS, member) then
    local current = redis.call('ZSCORE', LOG, member)
    if not current or tonumber(current) < value then
      redis.call('ZADD', LOG, fmt(value), member)
    end
  end
end
return finish({})
"""
)

# KEYS: log, cooldown. ARGV: per. Reads without writing: returns {slots counting,
# seconds left of the cooldown}.
PEEK = (
    _NOW
    + """
local counted = redis.call('ZCOUNT', KEYS[1], '(' .. fmt(now - tonumber(ARGV[1])), '+inf')
local cooldown = tonumber(redis.call('GET', KEYS[2]) or '0')
return {counted, fmt(math.max(0, cooldown - now))}
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

# A send exactly ``per`` after a completion must not share its server window: the
# Redis clock and the API gateway's clock may tick a little apart.
HOLD_EPSILON = 0.005


def completion_offset(*, sent: bool, answered: bool, margin: float) -> str:
    """Return the :data:`RECORD` action of a finished send.

    Args:
        sent: False if the request provably never left: its slot is given back.
        answered: False if no complete answer came back: held ``margin`` longer.
        margin: The rate limit's safety margin, in seconds.
    """
    if not sent:
        return "-"
    return "+" + seconds(HOLD_EPSILON + (0.0 if answered else margin))


def script_head(
    *,
    requests: int,
    per: float,
    lease: float,
    margin: float,
    known_id: str,
    new_id: str,
    known_until: float,
    witness: tuple[str, float] | None,
    known_seq: int,
) -> list[object]:
    """Return the arguments every limiter script starts with (see :data:`ACQUIRE`).

    Args:
        requests: This process's allowance per window.
        per: Its window, in seconds.
        lease: Seconds a send in flight counts without a renewal.
        margin: The rate limit's safety margin, in seconds.
        known_id: The log's id this process last saw ('' if none).
        new_id: The id to give the log if it has none.
        known_until: When the newest entry stopped counting, at this process's last look.
        witness: A recent send of this process and its score, or None.
        known_seq: The highest ``seq`` of the log this process has seen.
    """
    member, score = witness if witness is not None else ("", 0.0)
    head: list[object] = [requests, seconds(per), seconds(lease), seconds(margin), known_id]
    head += [new_id, seconds(known_until), member, seconds(score), known_seq]
    assert len(head) == _HEAD
    return head


@attrs.frozen
class Observed:
    """What a limiter script's reply says about the shared log.

    Attributes:
        epoch: The log's id.
        until: Redis time when the newest entry stops counting.
        now: Redis time when the script ran.
        requests: The allowance in force (the strictest in use).
        per: The window in force, in seconds.
        lost: True if the script found that sends recorded before were lost
            (everyone now waits, and this process should re-add its sends).
        seq: How many scripts have run on the log (it never goes down).
    """

    epoch: str
    until: float
    now: float
    requests: int
    per: float
    lost: bool
    seq: int


def observed(tail: Sequence[str]) -> Observed:
    """Parse the seven values every limiter script's reply ends with (as text)."""
    epoch, until, now, requests, per, lost, seq = tail[-7:]
    return Observed(
        epoch, float(until), float(now), int(requests), float(per), lost == "1", int(seq)
    )
