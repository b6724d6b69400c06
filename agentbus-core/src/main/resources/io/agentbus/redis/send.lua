-- Appends a message to an inbox once per message id within the dedup window: the marker and the
-- XADD happen together, so a retried send (or Lettuce replaying a buffered XADD after a reconnect)
-- stores one entry.
-- KEYS[1] inbox stream (agent:{id}:inbox)   KEYS[2] dedup marker (agent:{id}:dedup:<message_id>)
-- ARGV[1] dedup window (ms)   ARGV[2..] the entry's field/value pairs
-- Returns {1, entry id} when stored, {0, first entry id} for a duplicate.
local first = redis.call('GET', KEYS[2])
if first then
  return {0, first}
end
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
redis.call('SET', KEYS[2], id, 'PX', ARGV[1])
return {1, id}
