-- Moves an inbox entry to the agent's dead letters, atomically: the dead-letter entry is written,
-- the inbox entry acknowledged and its failure record removed, or none of it happens.
-- KEYS[1] inbox stream (agent:{id}:inbox)   KEYS[2] dead letters (agent:{id}:dlq)
-- KEYS[3] failure records (agent:{id}:failures)   KEYS[4] audit shard (audit:messages:{id})
-- KEYS[5] counters (agent:{id}:counters)
-- ARGV[1] group  ARGV[2] entry id  ARGV[3] reason code  ARGV[4] field  ARGV[5] detail
-- ARGV[6] consumer  ARGV[7] now (ms since epoch)  ARGV[8] delivery attempts so far
-- ARGV[9] audit cap (0: no audit)
-- Returns the dead-letter entry id, or false when the entry was no longer pending (already settled).
-- audit(key, cap, event, fields, meta) comes from audit_record.lua, prepended by LuaScript.
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return false
end
local first_failed_at = redis.call('HGET', KEYS[3], ARGV[2]) or ARGV[7]
redis.call('HDEL', KEYS[3], ARGV[2])
local entry = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
local fields = {}
if #entry > 0 then
  fields = entry[1][2]
end
local event = 'dead_lettered'
if ARGV[3] == 'expired' then
  event = 'expired'
end
redis.call('HINCRBY', KEYS[5], event, 1)
audit(KEYS[4], ARGV[9], event, fields, {'audit_stream', KEYS[1], 'audit_entry_id', ARGV[2],
  'audit_consumer', ARGV[6], 'audit_attempt', ARGV[8], 'audit_reason', ARGV[3] .. ': ' .. ARGV[5]})
-- The original fields first, unchanged, so that a redrive can copy them back; the dlq_ fields last.
local meta = {
  'dlq_reason', ARGV[3], 'dlq_field', ARGV[4], 'dlq_detail', ARGV[5], 'dlq_source_id', ARGV[2],
  'dlq_consumer', ARGV[6], 'dlq_attempts', ARGV[8], 'dlq_first_failed_at', first_failed_at,
  'dlq_failed_at', ARGV[7]}
for _, value in ipairs(meta) do
  fields[#fields + 1] = value
end
return redis.call('XADD', KEYS[2], '*', unpack(fields))
