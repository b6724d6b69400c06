-- Prepend: protocol.lua audit_record.lua
-- Acknowledges handled entries and records each in the audit shard of the stream's slot, in one
-- script: the audit trail costs no extra round trip. The client passes each entry's audited fields
-- (it holds the decoded message), so the script never reads the entries back.
-- Each entry is acknowledged on its own, and counted and audited only if that XACK removed it from
-- the PEL: an entry another instance reclaimed and acknowledged first (this one was stopped past the
-- visibility timeout, say) is neither counted nor audited twice.
-- KEYS[1] stream   KEYS[2] audit shard (audit:messages:{id})   KEYS[3] counters (agent:{id}:counters)
-- ARGV[1] group  ARGV[2] consumer  ARGV[3] audit cap (0: no audit)  ARGV[4] n, the number of entries
-- ARGV[5 .. 4+n] entry ids; with an audit cap, then per entry the values of AUDITED_FIELDS in its order
-- (message_id from_agent to_agent message_type priority conversation_id correlation_id), '' for an
-- absent one.
-- Returns how many were acknowledged.
-- Fails, having written nothing, on arguments that do not add up or a key of the wrong type: the
-- entries then stay pending, and their acks are tried again.
-- AUDITED_FIELDS and check_types come from protocol.lua and audit(key, cap, event, fields, meta) from
-- audit_record.lua, both prepended by LuaScript.
-- Minimum server: Redis 5.0 for its commands (XACK, HINCRBY, XADD MAXLEN ~); the bus requires 6.2.
local invalid = check_integers('ack.lua', {{'the audit cap (ARGV[3])', ARGV[3], 0}, {'n (ARGV[4])', ARGV[4], 1}})
if invalid then
  return invalid
end
local n = tonumber(ARGV[4])
local audited = tonumber(ARGV[3]) > 0
if n == nil or n < 1 or #ARGV ~= 4 + n + (audited and n * #AUDITED_FIELDS or 0) then
  return redis.error_reply('ERR ack.lua: ' .. #ARGV .. ' arguments do not hold ' .. tostring(ARGV[4])
    .. ' entries')
end
local wrong = check_types({[KEYS[1]] = 'stream', [KEYS[2]] = 'stream', [KEYS[3]] = 'hash'},
  'the entries stay pending')
if wrong then
  return wrong
end
local acked = 0
for i = 1, n do
  if redis.call('XACK', KEYS[1], ARGV[1], ARGV[4 + i]) == 1 then
    acked = acked + 1
    if audited then
      local base = 4 + n + (i - 1) * #AUDITED_FIELDS
      local fields = {}
      for j = 1, #AUDITED_FIELDS do
        local value = ARGV[base + j]
        if value ~= '' then
          fields[#fields + 1] = AUDITED_FIELDS[j]
          fields[#fields + 1] = value
        end
      end
      audit(KEYS[2], ARGV[3], 'acked', fields,
        {'audit_stream', KEYS[1], 'audit_entry_id', ARGV[4 + i], 'audit_consumer', ARGV[2]})
    end
  end
end
if acked > 0 then
  redis.call('HINCRBY', KEYS[3], 'acked', acked)
end
return acked
