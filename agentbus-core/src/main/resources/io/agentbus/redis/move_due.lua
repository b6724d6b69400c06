-- Moves the messages of a delayed set that are due (by the server's clock) into the inbox, each in
-- the same step as its removal from the set: several instances may run this at once, and a message
-- is moved exactly once. At most ARGV[1] per call.
-- Each goes to the inbox band of its priority (band_stream of protocol.lua, prepended by LuaScript).
-- KEYS[1] delayed set (agent:{id}:delayed)   KEYS[2..4] high, normal, low inbox streams
-- ARGV[1] max to move
-- Returns {moved, ms until the next one is due (-1: none waiting)}.
redis.replicate_commands()
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms, 'LIMIT', 0, tonumber(ARGV[1]))
for _, member in ipairs(due) do
  local fields = {}
  local target = KEYS[3]
  for name, value in pairs(cjson.decode(member)) do
    fields[#fields + 1] = name
    fields[#fields + 1] = value
    if name == 'priority' then
      target = band_stream(value, KEYS[2], target, KEYS[4])
    end
  end
  redis.call('XADD', target, '*', unpack(fields))
  redis.call('ZREM', KEYS[1], member)
end
local next_due = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #next_due == 0 then
  return {#due, -1}
end
return {#due, math.max(0, tonumber(next_due[2]) - now_ms)}
