-- Trims a stream (a durable topic, or an inbox's handled entries) by length and/or age without
-- removing an entry that any consumer group has not received yet (after its last-delivered-id) or
-- still holds pending (its lowest pending id). Removes at most 10,000 entries per call: a long
-- backlog is trimmed over several calls, each costing what it removes.
-- KEYS[1] stream   ARGV[1] max length (0: none)   ARGV[2] max age in ms (0: none)
-- Returns how many entries were removed.
local function before(a, b)  -- stream id a < b
  local a_ms, a_seq = string.match(a, '(%d+)-(%d+)')
  local b_ms, b_seq = string.match(b, '(%d+)-(%d+)')
  a_ms, a_seq, b_ms, b_seq = tonumber(a_ms), tonumber(a_seq), tonumber(b_ms), tonumber(b_seq)
  return a_ms < b_ms or (a_ms == b_ms and a_seq < b_seq)
end
local length = redis.call('XLEN', KEYS[1])
if length == 0 then
  return 0
end
local target = nil
local max_length = tonumber(ARGV[1])
if max_length > 0 and length > max_length then
  -- The first entry to keep: after the (length - max length) oldest ones.
  local step = math.min(length - max_length, 10000)
  local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', step + 1)
  target = oldest[#oldest][1]
end
local max_age = tonumber(ARGV[2])
if max_age > 0 then
  local now = redis.call('TIME')
  local by_age = (tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - max_age) .. '-0'
  if target == nil or before(target, by_age) then
    target = by_age
  end
end
if target == nil then
  return 0
end
for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local info = {}
  for i = 1, #group, 2 do
    info[group[i]] = group[i + 1]
  end
  local keep_from = nil
  -- Entries after last-delivered-id are undelivered to this group; keep from the first of them.
  local after = redis.call('XRANGE', KEYS[1], '(' .. info['last-delivered-id'], '+', 'COUNT', 1)
  if #after > 0 then
    keep_from = after[1][1]
  end
  local pending = redis.call('XPENDING', KEYS[1], info['name'])
  if pending[1] > 0 and (keep_from == nil or before(pending[2], keep_from)) then
    keep_from = pending[2]
  end
  if keep_from ~= nil and before(keep_from, target) then
    target = keep_from
  end
end
return redis.call('XTRIM', KEYS[1], 'MINID', target)
