-- Moves an inbox entry to the agent's dead letters, atomically:
-- the dead-letter entry is written and the inbox entry acknowledged, or neither happens.
-- KEYS[1] inbox stream (agent:{id}:inbox)   KEYS[2] dead-letter stream (agent:{id}:dlq)
-- ARGV[1] group  ARGV[2] entry id  ARGV[3] reason code  ARGV[4] field  ARGV[5] detail
-- ARGV[6] consumer  ARGV[7] failed at (ms since epoch)  ARGV[8] delivery attempts so far
-- Returns the dead-letter entry id, or false when the entry was no longer pending (already settled).
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return false
end
local entry = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
local fields = {}
if #entry > 0 then
  fields = entry[1][2]
end
-- The original fields first, unchanged, so that a redrive can copy them back; the dlq_ fields last.
table.insert(fields, 'dlq_reason');    table.insert(fields, ARGV[3])
table.insert(fields, 'dlq_field');     table.insert(fields, ARGV[4])
table.insert(fields, 'dlq_detail');    table.insert(fields, ARGV[5])
table.insert(fields, 'dlq_source_id'); table.insert(fields, ARGV[2])
table.insert(fields, 'dlq_consumer');  table.insert(fields, ARGV[6])
table.insert(fields, 'dlq_attempts');  table.insert(fields, ARGV[8])
table.insert(fields, 'dlq_failed_at'); table.insert(fields, ARGV[7])
return redis.call('XADD', KEYS[2], '*', unpack(fields))
