-- Acknowledges handled entries and records each in the audit shard of the stream's slot, in one
-- script: the audit trail costs no extra round trip.
-- KEYS[1] stream   KEYS[2] audit shard (audit:messages:{id})   KEYS[3] counters (agent:{id}:counters)
-- ARGV[1] group  ARGV[2] consumer  ARGV[3] audit cap (0: no audit)  ARGV[4..] entry ids
-- Returns how many were acknowledged.
-- audit(key, cap, event, fields, meta) comes from audit_record.lua, prepended by LuaScript.
local acked = redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 4))
if acked > 0 then
  redis.call('HINCRBY', KEYS[3], 'acked', acked)
end
if tonumber(ARGV[3]) > 0 then
  for i = 4, #ARGV do
    local entry = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])
    local fields = {}
    if #entry > 0 then
      fields = entry[1][2]
    end
    audit(KEYS[2], ARGV[3], 'acked', fields,
      {'audit_stream', KEYS[1], 'audit_entry_id', ARGV[i], 'audit_consumer', ARGV[2]})
  end
end
return acked
