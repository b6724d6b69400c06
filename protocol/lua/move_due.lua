-- Prepend: protocol.lua
-- Moves the messages of a delayed set that are due (by the server's clock) into the inbox, each in
-- the same step as its removal from the set: several instances may run this at once, and a message
-- is moved exactly once. At most ARGV[1] per call.
-- Each goes to the inbox band of its priority (band_stream of protocol.lua, prepended by LuaScript).
-- A member that is not a JSON object of fields (written by hand, or by a broken client) goes to the
-- agent's dead letters instead, with the member as it was in dlq_delayed: it is never retried for
-- ever, and never stops the due messages behind it. A field whose value is a JSON object or array
-- (a payload written as an object) is stored as its JSON text; a null field is left out.
-- KEYS[1] delayed set (agent:{id}:delayed)   KEYS[2..4] high, normal, low inbox streams
-- KEYS[5] dead letters (agent:{id}:dlq)   KEYS[6] counters (agent:{id}:counters)
-- ARGV[1] max to move   ARGV[2] now (ms since epoch, for dlq_failed_at)
-- Returns {moved, ms until the next one is due (-1: none waiting), dead-lettered}.
-- Fails, having written nothing, when a key holds the wrong type: the members stay in the delayed set.
-- band_stream and check_types come from protocol.lua.
-- Minimum server: Redis 5.0 (TIME before writes needs effects replication, the default from 5.0;
-- ZRANGEBYSCORE LIMIT, XADD, cjson); the bus requires 6.2.
local wrong = check_types({[KEYS[1]] = 'zset', [KEYS[2]] = 'stream', [KEYS[3]] = 'stream', [KEYS[4]] = 'stream',
  [KEYS[5]] = 'stream', [KEYS[6]] = 'hash'}, 'the delayed messages stay in ' .. KEYS[1])
if wrong then
  return wrong
end
redis.replicate_commands()
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms, 'LIMIT', 0, tonumber(ARGV[1]))
local dead_lettered = 0
for _, member in ipairs(due) do
  local ok, decoded = pcall(cjson.decode, member)
  local fields = {}
  local target = KEYS[3]
  if ok and type(decoded) == 'table' then
    for name, value in pairs(decoded) do
      if type(name) ~= 'string' then
        ok = false
        break
      end
      if type(value) == 'table' then
        value = cjson.encode(value)
      elseif type(value) == 'boolean' or type(value) == 'number' then
        value = tostring(value)
      elseif type(value) ~= 'string' then
        value = nil -- cjson.null
      end
      if value ~= nil then
        fields[#fields + 1] = name
        fields[#fields + 1] = value
        if name == 'priority' then
          target = band_stream(value, KEYS[2], target, KEYS[4])
        end
      end
    end
  else
    ok = false
  end
  if ok and #fields > 0 and #fields <= 2 * MAX_FIELDS then
    redis.call('XADD', target, '*', unpack(fields))
  else
    redis.call('XADD', KEYS[5], '*', 'dlq_reason', 'invalid_field', 'dlq_field', 'delayed',
      'dlq_detail', 'a delayed message must be a JSON object of at most 1,000 fields, was: '
        .. string.sub(member, 1, 200), 'dlq_source_id', '', 'dlq_consumer', '', 'dlq_attempts', '0',
      'dlq_first_failed_at', ARGV[2], 'dlq_failed_at', ARGV[2], 'dlq_delayed', member)
    redis.call('HINCRBY', KEYS[6], 'dead_lettered', 1)
    dead_lettered = dead_lettered + 1
  end
  redis.call('ZREM', KEYS[1], member)
end
local next_due = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #next_due == 0 then
  return {#due, -1, dead_lettered}
end
return {#due, math.max(0, tonumber(next_due[2]) - now_ms), dead_lettered}
