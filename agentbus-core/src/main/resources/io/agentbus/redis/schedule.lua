-- Schedules a message for delivery into an inbox at a later time, once per message id within the
-- dedup window: the message waits in the agent's delayed set (a sorted set scored by due time, in
-- the agent's hash slot, so it survives restarts with the server's persistence).
-- KEYS[1] delayed set (agent:{id}:delayed)   KEYS[2] dedup marker (agent:{id}:dedup:<message_id>)
-- KEYS[3] counters (agent:{id}:counters): a scheduled message counts as sent when it is accepted
-- ARGV[1] dedup window (ms)   ARGV[2] due time (ms since epoch)   ARGV[3] the entry's fields as a JSON object
-- Returns {1, ''} when scheduled, {0, first entry id or 'delayed'} for a duplicate.
local first = redis.call('GET', KEYS[2])
if first then
  redis.call('HINCRBY', KEYS[3], 'deduplicated', 1)
  return {0, first}
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('SET', KEYS[2], 'delayed', 'PX', ARGV[1])
redis.call('HINCRBY', KEYS[3], 'sent', 1)
return {1, ''}
