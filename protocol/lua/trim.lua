-- Prepend: protocol.lua
-- Trims a stream (a durable topic, or an inbox's handled entries) by length and/or age without
-- removing an entry that any consumer group has not received yet (after its last-delivered-id) or
-- still holds pending (its lowest pending id).
-- Cost: it reads at most NODE entries. The protected bound comes from each group's metadata; a trim by
-- age or with nothing protected is one XTRIM (O(removed)). A trim by length with a protected bound
-- first removes whole stream nodes that lie wholly before the bound, reading nothing (XTRIM MINID ~
-- LIMIT: at most the excess and BATCH entries), then what is left of the excess before the bound, at most
-- NODE entries, exactly: it reads those to check that they lie before the bound. (It used to read up to
-- 1,000 entries on every call, which blocked Redis for milliseconds: docs/adr/0004.) Callers run it
-- every 1,000 acks or publishes; BATCH is larger, so that a stream never grows between calls.
-- KEYS[1] stream   ARGV[1] max length (0: none)   ARGV[2] max age in ms (0: none)
-- Returns how many entries were removed.
-- Fails, having removed nothing, on arguments that are not integers >= 0 or a key of another type.
-- Minimum server: Redis 6.2 (XTRIM MINID, LIMIT); TIME before writes needs effects replication (5.0+).
local BATCH = 10000
-- Redis's default stream-node-max-entries: what the whole-node step can leave before the bound.
local NODE = 100
local function before(a, b)  -- stream id a < b
  local a_ms, a_seq = string.match(a, '(%d+)-(%d+)')
  local b_ms, b_seq = string.match(b, '(%d+)-(%d+)')
  a_ms, a_seq, b_ms, b_seq = tonumber(a_ms), tonumber(a_seq), tonumber(b_ms), tonumber(b_seq)
  return a_ms < b_ms or (a_ms == b_ms and a_seq < b_seq)
end
local wrong = check_integers('trim.lua', {{'the max length (ARGV[1])', ARGV[1], 0},
  {'the max age (ARGV[2], ms)', ARGV[2], 0}}) or check_types({[KEYS[1]] = 'stream'}, 'nothing was trimmed')
if wrong then
  return wrong
end
if redis.call('XLEN', KEYS[1]) == 0 then
  return 0
end
-- The first entry some group still needs: nil if every group has received and settled everything.
local keep_from = nil
for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local info = {}
  for i = 1, #group, 2 do
    info[group[i]] = group[i + 1]
  end
  local after = redis.call('XRANGE', KEYS[1], '(' .. info['last-delivered-id'], '+', 'COUNT', 1)
  if #after > 0 and (keep_from == nil or before(after[1][1], keep_from)) then
    keep_from = after[1][1]
  end
  local pending = redis.call('XPENDING', KEYS[1], info['name'])
  if pending[1] > 0 and (keep_from == nil or before(pending[2], keep_from)) then
    keep_from = pending[2]
  end
end
local removed = 0
local max_age = tonumber(ARGV[2])
if max_age > 0 then
  local now = redis.call('TIME')
  local by_age = (tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - max_age) .. '-0'
  if keep_from ~= nil and before(keep_from, by_age) then
    by_age = keep_from
  end
  removed = removed + redis.call('XTRIM', KEYS[1], 'MINID', by_age)
end
local max_length = tonumber(ARGV[1])
local excess = redis.call('XLEN', KEYS[1]) - max_length
if max_length > 0 and excess > 0 then
  if keep_from == nil then
    removed = removed + redis.call('XTRIM', KEYS[1], 'MAXLEN', max_length)
  else
    -- '~' removes only whole nodes whose every entry lies before the bound, and LIMIT at most that many
    -- entries, so neither a protected entry nor one within the max length goes.
    removed = removed + redis.call('XTRIM', KEYS[1], 'MINID', '~', keep_from, 'LIMIT', math.min(excess, BATCH))
    excess = redis.call('XLEN', KEYS[1]) - max_length
    if excess > 0 then
      -- The oldest entries left, up to a node's worth, that lie before the bound.
      local step = math.min(excess, NODE)
      local removable = #redis.call('XRANGE', KEYS[1], '-', '(' .. keep_from, 'COUNT', step)
      if removable == step then
        removed = removed + redis.call('XTRIM', KEYS[1], 'MAXLEN', max_length + excess - step)
      elseif removable > 0 then
        removed = removed + redis.call('XTRIM', KEYS[1], 'MINID', keep_from)
      end
    end
  end
end
return removed
