-- Shared by the scripts that record audit entries (ack, retry_later, dead_letter, redrive): LuaScript
-- prepends this file to them, after protocol.lua, since Redis 6.2 scripts cannot include one another.
local AUDITED = {}
for _, name in ipairs(AUDITED_FIELDS) do
  AUDITED[name] = true
end
-- Appends an audit record: the audit_ fields, then the entry's identifying fields (not its payload).
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
