-- Acknowledges handled entries and records each in the audit shard of the stream's slot, in one
-- script: the audit trail costs no extra round trip. The client passes each entry's audited fields
-- (it holds the decoded message), so the script never reads the entries back.
-- KEYS[1] stream   KEYS[2] audit shard (audit:messages:{id})   KEYS[3] counters (agent:{id}:counters)
-- ARGV[1] group  ARGV[2] consumer  ARGV[3] audit cap (0: no audit)  ARGV[4] n, the number of entries
-- ARGV[5 .. 4+n] entry ids; with an audit cap, then per entry 7 values in this order (EnvelopeCodec.
-- AUDITED_FIELDS): message_id from_agent to_agent message_type priority conversation_id
-- correlation_id, '' for an absent one.
-- Returns how many were acknowledged.
-- audit(key, cap, event, fields, meta) comes from audit_record.lua, prepended by LuaScript.
local AUDITED_ORDER = {'message_id', 'from_agent', 'to_agent', 'message_type', 'priority', 'conversation_id',
  'correlation_id'}
local n = tonumber(ARGV[4])
local acked = redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 5, 4 + n))
if acked > 0 then
  redis.call('HINCRBY', KEYS[3], 'acked', acked)
end
if tonumber(ARGV[3]) > 0 then
  for i = 1, n do
    local base = 4 + n + (i - 1) * #AUDITED_ORDER
    local fields = {}
    for j = 1, #AUDITED_ORDER do
      local value = ARGV[base + j]
      if value ~= '' then
        fields[#fields + 1] = AUDITED_ORDER[j]
        fields[#fields + 1] = value
      end
    end
    audit(KEYS[2], ARGV[3], 'acked', fields,
      {'audit_stream', KEYS[1], 'audit_entry_id', ARGV[4 + i], 'audit_consumer', ARGV[2]})
  end
end
return acked
