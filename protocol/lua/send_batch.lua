-- Prepend: protocol.lua store_messages.lua
-- Sends many messages in one call: the Java bus's group commit. Sends that queue for one server (one
-- cluster slot) while a call is in flight go together, so the cost of calling a script is paid once
-- per batch instead of once per message. Each message gets exactly what send.lua gives one: dedup by
-- message id (a duplicate inside the batch too, since each is stored before the next is looked up),
-- the cap checked in order, its audit record, its own reply; the counters are incremented once per
-- key for the whole batch. The step is store_messages.lua's, which LuaScript prepends (after
-- protocol.lua).
-- KEYS: every key the messages name, each once (streams, dedup markers, audit shards, counters,
-- senders indexes); the messages refer to them by index.
-- ARGV[1] dedup window (ms)   ARGV[2] audit cap (0: no audit)   ARGV[3] number of messages n
-- then per message 11 values and its fields: the KEYS indexes of its stream, dedup marker, audit
-- shard (0: none), counters and senders index (0: none; a swarm message, as send.lua's KEYS[5]), the
-- consumer group its stream must have ('' for none), its max length (0 for none), the sending swarm and
-- the receivers' group ('' unless a swarm message, as send.lua's ARGV[5] and ARGV[6]), its due time in
-- ms ('' for none; a delayed message, as schedule.lua's: its stream is then the agent's delayed set,
-- which gets the fields as one JSON object), the number of its field/value pairs p, then the 2p values.
-- Returns a flat list, two values per message in order: 1 and its entry id when stored ('' when
-- delayed), 0 and the
-- first entry id for a duplicate, -1 and '' for no group, -2 and '' when full, -3 and the error when
-- a key of that message holds another type (the other messages are sent: one agent's bad data never
-- fails another's send).
-- Fails, having written nothing, on a malformed call: numbers that are not integers, a message
-- header or field count out of range, a key index out of range.
-- Minimum server: as store_messages.lua (and cjson for a delayed message); the bus requires 6.2.
local wrong = check_integers('send_batch.lua', {{'the dedup window (ARGV[1], ms)', ARGV[1], 1},
  {'the audit cap (ARGV[2])', ARGV[2], 0}, {'the number of messages (ARGV[3])', ARGV[3], 1}})
if wrong then
  return wrong
end
local function refused(what)
  return redis.error_reply('ERR send_batch.lua: ' .. what .. '; nothing was written')
end
local function key(index, optional)
  local n = tonumber(index)
  if optional and n == 0 then
    return nil, true
  end
  if n == nil or n < 1 or n > #KEYS or n ~= math.floor(n) then
    return nil, false
  end
  return KEYS[n], true
end
local messages = {}
local at = 4
for m = 1, tonumber(ARGV[3]) do
  if at + 10 > #ARGV then
    return refused('message ' .. m .. ' has no header of 11 values at ARGV[' .. at .. ']')
  end
  local message = {group = ARGV[at + 5], sender = ARGV[at + 7], receivers = ARGV[at + 8]}
  local names = {'stream', 'dedup', 'audit', 'counters', 'senders'}
  for i, name in ipairs(names) do
    local found, ok = key(ARGV[at + i - 1], name == 'senders' or name == 'audit')
    if not ok then
      return refused('message ' .. m .. ': its ' .. name .. ' key index ' .. tostring(ARGV[at + i - 1])
        .. ' is not one of the ' .. #KEYS .. ' KEYS')
    end
    message[name] = found
  end
  local checks = {{'the max length of message ' .. m, ARGV[at + 6], 0},
    {'the field count of message ' .. m, ARGV[at + 10], 1}}
  if ARGV[at + 9] ~= '' then
    checks[3] = {'the due time of message ' .. m, ARGV[at + 9], nil}
    message.due = ARGV[at + 9]
  end
  wrong = check_integers('send_batch.lua', checks)
  if wrong then
    return wrong
  end
  local pairs_count = tonumber(ARGV[at + 10])
  message.max_length = tonumber(ARGV[at + 6])
  message.first = at + 11
  message.last = at + 10 + 2 * pairs_count
  if pairs_count > MAX_FIELDS or message.last > #ARGV then
    return refused('message ' .. m .. ' is 1 to ' .. MAX_FIELDS .. ' field/value pairs, not ' .. pairs_count
      .. ' with ' .. (#ARGV - at - 10) .. ' values left')
  end
  if message.due then
    local fields = {}
    for i = message.first, message.last, 2 do
      fields[ARGV[i]] = ARGV[i + 1]
    end
    message.member = cjson.encode(fields)
  end
  messages[m] = message
  at = message.last + 1
end
if at <= #ARGV then
  return refused((#ARGV - at + 1) .. ' values follow the last of the ' .. #messages .. ' messages')
end
local replies = {}
for _, reply in ipairs(store_messages(messages, ARGV[1], ARGV[2])) do
  replies[#replies + 1] = reply[1]
  replies[#replies + 1] = reply[2]
end
return replies
