-- Schedules a failed delivery for another attempt after a delay, without a second queue: the entry
-- stays pending under this consumer with its idle time set to (visibility - delay), so the normal
-- reclaim (XAUTOCLAIM with min-idle = visibility) delivers it again once the delay has passed.
-- JUSTID leaves the delivery counter alone; the reclaim counts the next delivery.
-- KEYS[1] inbox stream   KEYS[2] failure records (agent:{id}:failures)
-- ARGV[1] group  ARGV[2] consumer  ARGV[3] entry id  ARGV[4] idle to set (ms)  ARGV[5] now (ms)
-- Returns 1 if scheduled, 0 if the entry was no longer pending.
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #pending == 0 then
  return 0
end
redis.call('HSETNX', KEYS[2], ARGV[3], ARGV[5])
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'IDLE', ARGV[4], 'JUSTID')
return 1
