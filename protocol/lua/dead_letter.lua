-- Prepend: protocol.lua audit_record.lua
-- Moves an inbox entry to the agent's dead letters, atomically: the dead-letter entry is written,
-- the inbox entry acknowledged and its failure record removed, or none of it happens.
-- KEYS[1] inbox stream (agent:{id}:inbox)   KEYS[2] dead letters (agent:{id}:dlq)
-- KEYS[3] failure records (agent:{id}:failures)   KEYS[4] audit shard (audit:messages:{id})
-- KEYS[5] counters (agent:{id}:counters)
-- ARGV[1] group  ARGV[2] entry id  ARGV[3] reason code  ARGV[4] field  ARGV[5] detail
-- ARGV[6] consumer  ARGV[7] now (ms since epoch)  ARGV[8] delivery attempts so far
-- ARGV[9] audit cap (0: no audit)
-- Returns the dead-letter entry id, or false when the entry was no longer pending (already settled).
-- Fails, having written nothing, when a key holds the wrong type: the entry then stays pending.
-- check_types comes from protocol.lua and audit(key, cap, event, fields, meta) from audit_record.lua,
-- both prepended by LuaScript.
-- Minimum server: Redis 5.0 for its commands (XPENDING, XRANGE, XADD, XACK, cjson); the bus requires 6.2.
--
-- Redis does not roll back a script that fails half-way, so everything that can fail comes first:
-- the checks, then the dead-letter XADD; the acknowledgement and the bookkeeping only after the
-- message is stored.
local invalid = check_integers('dead_letter.lua', {{'the attempts (ARGV[8])', ARGV[8], 0},
  {'the audit cap (ARGV[9])', ARGV[9], 0}})
if invalid then
  return invalid
end
if #redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1) == 0 then
  return false
end
local wrong = check_types({[KEYS[2]] = 'stream', [KEYS[3]] = 'hash', [KEYS[4]] = 'stream', [KEYS[5]] = 'hash'},
  'entry ' .. ARGV[2] .. ' of ' .. KEYS[1] .. ' stays pending')
if wrong then
  return wrong
end
local first_failed_at = redis.call('HGET', KEYS[3], ARGV[2]) or ARGV[7]
local entry = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
local fields = {}
if #entry > 0 then
  fields = entry[1][2]
end
-- The original fields first, unchanged, so that a redrive can copy them back; the dlq_ fields last.
-- A command takes a bounded number of arguments (MAX_FIELDS of protocol.lua), so an entry wider
-- than MAX_FIELDS keeps its first fields as they are and the rest as one JSON array, dlq_overflow.
local stored = {}
local overflow = {}
for i = 1, #fields, 2 do
  if i < 2 * MAX_FIELDS then
    stored[#stored + 1] = fields[i]
    stored[#stored + 1] = fields[i + 1]
  else
    overflow[#overflow + 1] = fields[i]
    overflow[#overflow + 1] = fields[i + 1]
  end
end
local meta = {
  'dlq_reason', ARGV[3], 'dlq_field', ARGV[4], 'dlq_detail', ARGV[5], 'dlq_source_id', ARGV[2],
  'dlq_consumer', ARGV[6], 'dlq_attempts', ARGV[8], 'dlq_first_failed_at', first_failed_at,
  'dlq_failed_at', ARGV[7]}
if #overflow > 0 then
  meta[#meta + 1] = 'dlq_overflow'
  meta[#meta + 1] = cjson.encode(overflow)
end
for _, value in ipairs(meta) do
  stored[#stored + 1] = value
end
local dead_letter_id = redis.call('XADD', KEYS[2], '*', unpack(stored))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[2])
local event = 'dead_lettered'
if ARGV[3] == 'expired' then
  event = 'expired'
end
redis.call('HINCRBY', KEYS[5], event, 1)
audit(KEYS[4], ARGV[9], event, fields, {'audit_stream', KEYS[1], 'audit_entry_id', ARGV[2],
  'audit_consumer', ARGV[6], 'audit_attempt', ARGV[8], 'audit_reason', ARGV[3] .. ': ' .. ARGV[5]})
return dead_letter_id
