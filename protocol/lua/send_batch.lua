-- Prepend: protocol.lua store_messages.lua
-- Sends many messages in one call: the Java bus's group commit. Sends that queue for one server (one
-- cluster slot) while a call is in flight go together, so the cost of calling a script is paid once
-- per batch instead of once per message. Each message gets exactly what send.lua (or schedule.lua, for
-- a delayed one) gives one: dedup by message id (a duplicate inside the batch too, since each is stored
-- before the next is looked up), the cap checked in order, its audit record, its own reply; the
-- counters are incremented once per destination for the whole batch. The step is store_messages.lua's.
-- KEYS: every key the call names, each once (streams, dedup markers, audit shards, counters, senders
-- indexes); the destinations and messages refer to them by index.
-- ARGV[1] dedup window (ms)   ARGV[2] audit cap (0: no audit)   ARGV[3] number of destinations d
-- then per destination 8 values, what its messages share: the KEYS indexes of its stream, audit shard
-- (0: none), counters and senders index (0: none; a swarm message, as send.lua's KEYS[5]), the
-- consumer group its stream must have ('' for none), its max length (0 for none), the sending swarm and
-- the receivers' group ('' unless a swarm message, as send.lua's ARGV[5] and ARGV[6]);
-- then the number of messages n, and per message 4 values and its fields: its destination (1 to d), the
-- KEYS index of its dedup marker, its due time in ms ('' for none; a delayed message, as schedule.lua's:
-- its destination's stream is then the agent's delayed set, which gets the fields as one JSON object;
-- a destination's messages are all delayed or none), the number of its field/value pairs p, then the
-- 2p values.
-- Returns a flat list, two values per message in order: 1 and its entry id when stored ('' when
-- delayed), 0 and the first entry id for a duplicate, -1 and '' for no group, -2 and '' when full, -3
-- and the error when a key of that message holds another type (the other messages are sent: one
-- agent's bad data never fails another's send).
-- Fails, having written nothing, on a malformed call: numbers that are not integers, a header or
-- field count out of range, a key or destination index out of range.
-- Minimum server: as store_messages.lua (and cjson for a delayed message); the bus requires 6.2.
local wrong = check_integers('send_batch.lua', {{'the dedup window (ARGV[1], ms)', ARGV[1], 1},
  {'the audit cap (ARGV[2])', ARGV[2], 0}, {'the number of destinations (ARGV[3])', ARGV[3], 1}})
if wrong then
  return wrong
end
local function refused(what)
  return redis.error_reply('ERR send_batch.lua: ' .. what .. '; nothing was written')
end
-- An integer from lowest to highest, or nil: tonumber alone takes '1e3', '0x10' and ' 5'.
local function integer(value, lowest, highest)
  if value == nil or not string.find(value, '^%d+$') then
    return nil
  end
  local n = tonumber(value)
  if n < lowest or (highest and n > highest) then
    return nil
  end
  return n
end
local function key(value, optional)
  local n = integer(value, optional and 0 or 1, #KEYS)
  if n == nil then
    return nil, false
  end
  return KEYS[n], true
end
local destinations = {}
local at = 4
for d = 1, tonumber(ARGV[3]) do
  if at + 8 > #ARGV then
    return refused('destination ' .. d .. ' has no header of 8 values at ARGV[' .. at .. ']')
  end
  local to = {group = ARGV[at + 4], max_length = integer(ARGV[at + 5], 0), sender = ARGV[at + 6],
    receivers = ARGV[at + 7]}
  local names = {'stream', 'audit', 'counters', 'senders'}
  for i, name in ipairs(names) do
    local found, ok = key(ARGV[at + i - 1], name == 'audit' or name == 'senders')
    if not ok then
      return refused('destination ' .. d .. ': its ' .. name .. ' key index ' .. tostring(ARGV[at + i - 1])
        .. ' is not one of the ' .. #KEYS .. ' KEYS')
    end
    to[name] = found
  end
  if to.max_length == nil then
    return refused('the max length of destination ' .. d .. ' must be an integer >= 0, was '
      .. string.sub(ARGV[at + 5], 1, 100))
  end
  destinations[d] = to
  at = at + 8
end
local count = integer(ARGV[at], 1)
if count == nil then
  return refused('the number of messages (ARGV[' .. at .. ']) must be an integer >= 1, was '
    .. string.sub(tostring(ARGV[at]), 1, 100))
end
at = at + 1
local messages = {}
for m = 1, count do
  if at + 4 > #ARGV then
    return refused('message ' .. m .. ' has no header of 4 values at ARGV[' .. at .. ']')
  end
  local to = destinations[integer(ARGV[at], 1, #destinations) or 0]
  local dedup, ok = key(ARGV[at + 1], false)
  local pairs_count = integer(ARGV[at + 3], 1, MAX_FIELDS)
  local due = ARGV[at + 2]
  if to == nil or not ok then
    return refused('message ' .. m .. ': destination ' .. tostring(ARGV[at]) .. ' or dedup key index '
      .. tostring(ARGV[at + 1]) .. ' is out of range')
  end
  if due ~= '' and not string.find(due, '^%-?%d+$') then
    return refused('the due time of message ' .. m .. ' must be an integer, was ' .. string.sub(due, 1, 100))
  end
  if pairs_count == nil or at + 3 + 2 * pairs_count > #ARGV then
    return refused('message ' .. m .. ' is 1 to ' .. MAX_FIELDS .. ' field/value pairs, not '
      .. tostring(ARGV[at + 3]) .. ' with ' .. (#ARGV - at - 3) .. ' values left')
  end
  local delayed = due ~= ''
  if to.delayed == nil then
    to.delayed = delayed
  elseif to.delayed ~= delayed then
    return refused('message ' .. m .. ': a destination\'s messages are all delayed or none')
  end
  local message = {to = to, dedup = dedup, first = at + 4, last = at + 3 + 2 * pairs_count}
  if delayed then
    message.due = due
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
  return refused((#ARGV - at + 1) .. ' values follow the last of the ' .. count .. ' messages')
end
local replies = {}
for _, reply in ipairs(store_messages(messages, ARGV[1], ARGV[2])) do
  replies[#replies + 1] = reply[1]
  replies[#replies + 1] = reply[2]
end
return replies
