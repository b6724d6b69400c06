-- Shared by the scripts that record audit entries (ack, retry_later, dead_letter, redrive): LuaScript
-- prepends this file to them, after protocol.lua, since Redis 6.2 scripts cannot include one another.
-- KEYS, ARGV: none of its own; it defines audit(key, cap, event, fields, meta), which its including
-- script calls with its audit shard key, its audit cap ARGV, the event name ('acked', 'retried',
-- 'dead_lettered', 'redriven'), the entry's {field, value, ...} and {name, value, ...} of audit_ metadata.
-- Returns nothing; writes nothing when cap <= 0.
-- Errors: those of its XADD (WRONGTYPE), which the caller's checks exclude beforehand.
-- Minimum server: Redis 5.0 (XADD MAXLEN ~); the bus requires 6.2.
local AUDITED = {}
for _, name in ipairs(AUDITED_FIELDS) do
  AUDITED[name] = true
end
-- Appends an audit record: the audit_ fields, then the entry's identifying fields (not its payload).
-- The record is bounded (the meta, then at most one value per audited field), so its unpack is too.
-- A script calls it only after the step it records really happened, and checks before its first
-- write that cap is an integer (check_integers) and key a stream or absent (check_types): a failure
-- here, after that step, would leave the step done and the script failed.
local function audit(key, cap, event, fields, meta)
  if tonumber(cap) <= 0 then
    return
  end
  local record = {'audit_event', event}
  for i = 1, #meta do
    record[#record + 1] = meta[i]
  end
  -- The first occurrence of each audited field only: an entry that repeats a name (a hostile one)
  -- must not make the record, and the arguments of its XADD, unbounded.
  local seen = {}
  for i = 1, #fields, 2 do
    if AUDITED[fields[i]] and not seen[fields[i]] then
      seen[fields[i]] = true
      record[#record + 1] = fields[i]
      record[#record + 1] = fields[i + 1]
    end
  end
  redis.call('XADD', key, 'MAXLEN', '~', cap, '*', unpack(record))
end
