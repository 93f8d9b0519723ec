"""The Lua scripts of the Redis store: every write a rule guards, run on the Redis server in one step.

Each runs atomically on the Redis server, where nothing can interleave: a
discard's pending check and its write, a counted fault's last hit, a
rate-limit bucket's token. Python never reads and then writes. Every key a
script touches is passed in KEYS.
"""

from __future__ import annotations

import redis
from redis.commands.core import Script

# A domain.ConditionalUpdate: the changes written if every expected field holds; the rule
# (which fields, which values) is the caller's, from domain.py. With a fault version, only
# while the fault list is still at it: the request's fault decisions came from that list.
#   KEYS: instances, seeded, fault-version; ARGV: id, expect JSON, assign JSON[, fault version]
#   -> {-2} the fault list changed, nothing written; {-1} the prefix is not seeded (Redis came
#      back empty); {0} no such instance; {1, record} a condition failed, nothing written;
#      {2, record} written
CONDITIONAL_WRITE = """
if ARGV[4] and (redis.call('GET', KEYS[3]) or '') ~= ARGV[4] then return {-2} end
if redis.call('EXISTS', KEYS[2]) == 0 then return {-1} end
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return {0} end
local record = cjson.decode(raw)
for field, value in pairs(cjson.decode(ARGV[2])) do
  if record[field] ~= value then return {1, raw} end
end
for field, value in pairs(cjson.decode(ARGV[3])) do record[field] = value end
local written = cjson.encode(record)
redis.call('HSET', KEYS[1], ARGV[1], written)
return {2, written}
"""

# A new instance, after every other, counted: -1 when the prefix is not seeded, -2 when `limit` instances
# were added since the last seed or reset, 0 when the ID exists already, else 1.
#   KEYS: instances, seq, seeded, added; ARGV: id, instance JSON, limit ('' for none)
ADD = """
if redis.call('EXISTS', KEYS[3]) == 0 then return -1 end
if ARGV[3] ~= '' and tonumber(redis.call('GET', KEYS[4]) or '0') >= tonumber(ARGV[3]) then return -2 end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
local record = cjson.decode(ARGV[2])
record['seq'] = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(record))
redis.call('INCR', KEYS[4])
return 1
"""

# Puts a hash filled under a scratch key in place of the instances, in one step; the count of added ones restarts.
#   KEYS: scratch, instances, seq, seeded, added; ARGV: count, only_if_unseeded ("1"/"0")
#   -> 0 when only_if_unseeded and another replica seeded first (the scratch is dropped), else 1
INSTALL = """
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[4]) == 1 then
  redis.call('DEL', KEYS[1])
  return 0
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('PERSIST', KEYS[2])  -- the scratch key's expiry must not follow it
else
  redis.call('DEL', KEYS[2])
end
redis.call('SET', KEYS[3], ARGV[1])
redis.call('SET', KEYS[4], '1')
redis.call('DEL', KEYS[5])
return 1
"""

# Every change to the fault list sets its version to a new random token (ARGV's last), never a
# counter: a Redis that lost its data and saw as many changes again cannot repeat a version.
#   KEYS: faults, fault-hits, fault-version, fault-seq; ARGV: id, fault JSON, count ('' for none), token
ADD_FAULT = """
local doc = cjson.decode(ARGV[2])
doc['seq'] = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(doc))
if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], ARGV[1], ARGV[3]) else redis.call('HDEL', KEYS[2], ARGV[1]) end
redis.call('SET', KEYS[3], ARGV[4])
return 1
"""

# One hit off a counted fault, if the list is still at the version the caller decided from:
# the hits left, -1 when none was left, -2 when the list changed (nothing spent). The last hit
# changes the version, so every replica drops the fault from its list.
#   KEYS: fault-hits, fault-version; ARGV: id, fault version, token
CONSUME_FAULT = """
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[2] then return -2 end
local left = tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
if not left or left < 1 then return -1 end
left = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if left == 0 then redis.call('SET', KEYS[2], ARGV[3]) end
return left
"""

#   KEYS: faults, fault-hits, fault-version; ARGV: id, token -> 1 removed, 0 no such fault
REMOVE_FAULT = """
local found = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], ARGV[2])
return found
"""

#   KEYS: faults, fault-hits, fault-version; ARGV: token -> how many faults there were
CLEAR_FAULTS = """
local count = redis.call('HLEN', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SET', KEYS[3], ARGV[1])
return count
"""

# A token bucket on Redis's clock (rate_limit.take, in Lua). The bucket expires once it
# would have refilled, since a full bucket and no bucket give the same answers.
#   KEYS: the bucket; ARGV: per_second, burst -> '' when the request may pass, else seconds to wait
TAKE_TOKEN = """
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = burst
if saved[1] then
  local elapsed = math.max(0, now - tonumber(saved[2]))
  tokens = math.min(burst, tonumber(saved[1]) + elapsed * rate)
end
local wait = ''
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = string.format('%.6f', (1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.9f', tokens), 'updated', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return wait
"""


class Scripts:
    """The scripts registered with one client: each is called by its SHA, loaded again if Redis lost it."""

    def __init__(self, client: redis.Redis) -> None:
        self.conditional_write: Script = client.register_script(CONDITIONAL_WRITE)
        self.add: Script = client.register_script(ADD)
        self.install: Script = client.register_script(INSTALL)
        self.add_fault: Script = client.register_script(ADD_FAULT)
        self.consume_fault: Script = client.register_script(CONSUME_FAULT)
        self.remove_fault: Script = client.register_script(REMOVE_FAULT)
        self.clear_faults: Script = client.register_script(CLEAR_FAULTS)
        self.take_token: Script = client.register_script(TAKE_TOKEN)
