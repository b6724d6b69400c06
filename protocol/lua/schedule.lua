-- Prepend: protocol.lua store_messages.lua
-- Schedules a message for delivery into an inbox at a later time, once per message id within the
-- dedup window: the message waits in the agent's delayed set (a sorted set scored by due time, in
-- the agent's hash slot, so it survives restarts with the server's persistence).
-- KEYS[1] delayed set (agent:{id}:delayed)   KEYS[2] dedup marker (agent:{id}:dedup:<message_id>)
-- KEYS[3] counters (agent:{id}:counters): a scheduled message counts as sent when it is accepted
-- ARGV[1] dedup window (ms)   ARGV[2] due time (ms since epoch)   ARGV[3] the entry's fields as a JSON object
-- Returns {1, ''} when scheduled, {0, first entry id or 'delayed'} for a duplicate.
-- Fails, having written nothing, on arguments that are not integers, fields that are not a JSON object
-- of 1 to MAX_FIELDS string names (which move_due.lua would only dead-letter), or a key of the wrong
-- type (check_types of protocol.lua). Redis does not roll back a script that fails half-way, so the
-- checks come first, then the ZADD, and only then the dedup marker (a schedule whose ZADD failed is
-- not taken for a duplicate when retried) and the counter.
-- The step is store_messages.lua's (prepended), which send_batch.lua runs for delayed messages too.
-- Minimum server: Redis 5.0 for its commands (ZADD, SET PX, cjson); the bus requires 6.2.
if #ARGV ~= 3 then
  return redis.error_reply('ERR schedule.lua: takes 3 arguments, was given ' .. #ARGV .. '; nothing was written')
end
local wrong = check_integers('schedule.lua', {{'the dedup window (ARGV[1], ms)', ARGV[1], 1},
  {'the due time (ARGV[2], ms)', ARGV[2], nil}})
if wrong then
  return wrong
end
local ok, decoded = pcall(cjson.decode, ARGV[3])
local count = 0
if ok and type(decoded) == 'table' then
  for name in pairs(decoded) do
    if type(name) ~= 'string' then
      ok = false
      break
    end
    count = count + 1
  end
else
  ok = false
end
if not ok or count == 0 or count > MAX_FIELDS then
  return redis.error_reply('ERR schedule.lua: the fields (ARGV[3]) must be a JSON object of 1 to ' .. MAX_FIELDS
    .. ' fields, were: ' .. string.sub(ARGV[3], 1, 100) .. '; nothing was written')
end
local reply = store_messages({{to = {stream = KEYS[1], counters = KEYS[3], group = '', max_length = 0},
  dedup = KEYS[2], due = ARGV[2], member = ARGV[3]}}, ARGV[1], 0)[1]
if reply[1] == -3 then
  return redis.error_reply(reply[2])
end
return reply
