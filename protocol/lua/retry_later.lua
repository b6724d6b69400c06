-- Prepend: protocol.lua audit_record.lua
-- Schedules a failed delivery for another attempt after a delay, without a second queue: the entry
-- stays pending under this consumer with its idle time set to (visibility - delay), so the normal
-- reclaim (XAUTOCLAIM with min-idle = visibility) delivers it again once the delay has passed.
-- JUSTID leaves the delivery counter alone; the reclaim counts the next delivery.
-- KEYS[1] inbox stream   KEYS[2] failure records (agent:{id}:failures)   KEYS[3] audit shard
-- KEYS[4] counters (agent:{id}:counters)
-- ARGV[1] group  ARGV[2] consumer  ARGV[3] entry id  ARGV[4] idle to set (ms)  ARGV[5] now (ms)
-- ARGV[6] audit cap (0: no audit)  ARGV[7] attempt that failed  ARGV[8] why
-- Returns 1 if scheduled, 0 if the entry was no longer pending.
-- Fails, having written nothing, on arguments that are missing or not integers, or a key of the wrong
-- type (check_types of protocol.lua): the entry then stays pending as it was, and is reclaimed after
-- the visibility timeout. The entry is never acknowledged here, so no failure can lose it; the XCLAIM
-- comes first, and the failure record, counter and audit record only after it.
-- check_integers and check_types come from protocol.lua and audit(key, cap, event, fields, meta) from
-- audit_record.lua, both prepended by LuaScript.
-- Minimum server: Redis 5.0 for its commands (XPENDING, XCLAIM IDLE JUSTID, HSETNX); the bus requires 6.2.
if #ARGV ~= 8 then
  return redis.error_reply('ERR retry_later.lua: takes 8 arguments, was given ' .. #ARGV
    .. '; nothing was written')
end
local wrong = check_integers('retry_later.lua', {{'the idle time (ARGV[4], ms)', ARGV[4], 0},
  {'now (ARGV[5], ms)', ARGV[5], 0}, {'the audit cap (ARGV[6])', ARGV[6], 0},
  {'the attempt (ARGV[7])', ARGV[7], 0}})
if wrong then
  return wrong
end
local expected = {[KEYS[1]] = 'stream', [KEYS[2]] = 'hash', [KEYS[4]] = 'hash'}
if tonumber(ARGV[6]) > 0 then
  expected[KEYS[3]] = 'stream'
end
wrong = check_types(expected, 'entry ' .. ARGV[3] .. ' of ' .. KEYS[1] .. ' stays pending')
if wrong then
  return wrong
end
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #pending == 0 then
  return 0
end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'IDLE', ARGV[4], 'JUSTID')
redis.call('HSETNX', KEYS[2], ARGV[3], ARGV[5])
redis.call('HINCRBY', KEYS[4], 'retried', 1)
local entry = redis.call('XRANGE', KEYS[1], ARGV[3], ARGV[3])
if #entry > 0 then
  audit(KEYS[3], ARGV[6], 'retried', entry[1][2], {'audit_stream', KEYS[1], 'audit_entry_id', ARGV[3],
    'audit_consumer', ARGV[2], 'audit_attempt', ARGV[7], 'audit_reason', ARGV[8]})
end
return 1
