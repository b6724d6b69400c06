-- Schedules a failed delivery for another attempt after a delay, without a second queue: the entry
-- stays pending under this consumer with its idle time set to (visibility - delay), so the normal
-- reclaim (XAUTOCLAIM with min-idle = visibility) delivers it again once the delay has passed.
-- JUSTID leaves the delivery counter alone; the reclaim counts the next delivery.
-- KEYS[1] inbox stream   KEYS[2] failure records (agent:{id}:failures)   KEYS[3] audit shard
-- KEYS[4] counters (agent:{id}:counters)
-- ARGV[1] group  ARGV[2] consumer  ARGV[3] entry id  ARGV[4] idle to set (ms)  ARGV[5] now (ms)
-- ARGV[6] audit cap (0: no audit)  ARGV[7] attempt that failed  ARGV[8] why
-- Returns 1 if scheduled, 0 if the entry was no longer pending.
-- audit(key, cap, event, fields, meta) comes from audit_record.lua, prepended by LuaScript.
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #pending == 0 then
  return 0
end
redis.call('HSETNX', KEYS[2], ARGV[3], ARGV[5])
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'IDLE', ARGV[4], 'JUSTID')
redis.call('HINCRBY', KEYS[4], 'retried', 1)
local entry = redis.call('XRANGE', KEYS[1], ARGV[3], ARGV[3])
if #entry > 0 then
  audit(KEYS[3], ARGV[6], 'retried', entry[1][2], {'audit_stream', KEYS[1], 'audit_entry_id', ARGV[3],
    'audit_consumer', ARGV[2], 'audit_attempt', ARGV[7], 'audit_reason', ARGV[8]})
end
return 1
