-- The send step, shared by send.lua (one message: the form a client in any language calls) and
-- send_batch.lua (many: the Java bus's group commit, the sends that queued behind the call in flight):
-- LuaScript prepends this file to both, after protocol.lua, since Redis 6.2 scripts cannot include one
-- another.
-- KEYS, ARGV: none of its own. It defines store_messages(messages, window, cap), which its including
-- script calls with its messages, each a table {stream, dedup, audit, counters, senders, group,
-- max_length, sender, receivers, first, last, due, member}: the keys of the message (audit: its shard,
-- or nil for none; senders: the receiving swarm's index, or nil), the consumer group the stream must
-- have ('' for none), the stream's cap (0 for none), the sending swarm and the receivers' group to set
-- up with a swarm message ('' for none), and the ARGV indexes of its field/value pairs; window is the
-- dedup window in ms, cap the audit cap (0: no audit).
-- A delayed message (schedule.lua's step) has a due time (ms) and its fields as one JSON object
-- (member); its stream is the agent's delayed sorted set (agent:{id}:delayed), where it waits for
-- move_due.lua; it has no group, cap or audit record, and its dedup marker holds 'delayed'.
-- Returns one reply per message, in order: {1, entry id} stored ({1, ''} delayed), {0, first entry id} a duplicate,
-- {-1, ''} the stream has no such group, {-2, ''} full, {-3, 'WRONGTYPE <key> ...'} a key of the
-- message holds another type (nothing of that message was written; the other messages are sent).
-- The including script checks the numbers and field counts before calling it.
-- Minimum server: Redis 5.0 for its commands (XADD, XINFO GROUPS, XGROUP CREATE MKSTREAM, SET PX);
-- the bus requires 6.2.
local function has_group(stream, name)
  if redis.call('EXISTS', stream) == 0 then
    return false
  end
  for _, group in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
    for i = 1, #group, 2 do
      if group[i] == 'name' and group[i + 1] == name then
        return true
      end
    end
  end
  return false
end
local function store_messages(messages, window, cap)
  local audited = tonumber(cap) > 0
  -- What the batch learnt of a key, asked once per call however many messages share it: its type is
  -- right (checked), the stream's length, whether it has a group, what to add to each counter.
  local checked, lengths, groups, counts = {}, {}, {}, {}
  local function wrong_type(message)
    local expected = {[message.stream] = message.due and 'zset' or 'stream', [message.counters] = 'hash'}
    if audited and message.audit then
      expected[message.audit] = 'stream'
    end
    if message.senders then
      expected[message.senders] = 'set'
    end
    for key, kind in pairs(expected) do
      if not checked[key] then
        local actual = redis.call('TYPE', key)['ok']
        if actual ~= 'none' and actual ~= kind then
          return 'WRONGTYPE ' .. key .. ' is a ' .. actual .. ', not a ' .. kind
            .. ': nothing was written, the send fails and can be retried'
        end
        checked[key] = true
      end
    end
    return nil
  end
  local function group_exists(stream, name)
    local known = stream .. '\n' .. name
    if groups[known] == nil then
      groups[known] = has_group(stream, name)
    end
    return groups[known]
  end
  local function length(stream)
    if lengths[stream] == nil then
      lengths[stream] = redis.call('XLEN', stream)
    end
    return lengths[stream]
  end
  local function count(key, counter)
    counts[key] = counts[key] or {}
    counts[key][counter] = (counts[key][counter] or 0) + 1
  end
  local replies = {}
  for _, message in ipairs(messages) do
    local wrong = wrong_type(message)
    -- The dedup marker is a string per message id: GET answers for its type, without a TYPE call.
    local first = nil
    if not wrong then
      first = redis.pcall('GET', message.dedup)
      if type(first) == 'table' and first['err'] then
        wrong = 'WRONGTYPE ' .. message.dedup .. ' is not a string: nothing was written, the send fails and'
          .. ' can be retried'
      end
    end
    if wrong then
      replies[#replies + 1] = {-3, wrong}
    elseif first then
      count(message.counters, 'deduplicated')
      replies[#replies + 1] = {0, first}
    elseif message.due then
      -- Waiting in the delayed set first, then marked and counted, as a message in a stream.
      redis.call('ZADD', message.stream, message.due, message.member)
      redis.call('SET', message.dedup, 'delayed', 'PX', window)
      count(message.counters, 'sent')
      replies[#replies + 1] = {1, ''}
    elseif message.group ~= '' and not group_exists(message.stream, message.group) then
      replies[#replies + 1] = {-1, ''}
    elseif message.max_length > 0 and length(message.stream) >= message.max_length then
      replies[#replies + 1] = {-2, ''}
    else
      -- The message first: what follows only records that it is stored. The dedup marker after the
      -- XADD, so that a send whose XADD failed is not taken for a duplicate when retried.
      if message.senders and not group_exists(message.stream, message.receivers) then
        redis.call('XGROUP', 'CREATE', message.stream, message.receivers, '0', 'MKSTREAM')
        groups[message.stream .. '\n' .. message.receivers] = true
      end
      local id = redis.call('XADD', message.stream, '*', unpack(ARGV, message.first, message.last))
      if lengths[message.stream] then
        lengths[message.stream] = lengths[message.stream] + 1
      end
      if message.senders then
        redis.call('SADD', message.senders, message.sender)
      end
      redis.call('SET', message.dedup, id, 'PX', window)
      count(message.counters, 'sent')
      if audited and message.audit then
        redis.call('XADD', message.audit, 'MAXLEN', '~', cap, '*', 'audit_event', 'sent', 'audit_stream',
          message.stream, 'audit_entry_id', id, unpack(ARGV, message.first, message.last))
      end
      replies[#replies + 1] = {1, id}
    end
  end
  -- The counters last, once per key for the whole call: they record what was stored above.
  for key, counters in pairs(counts) do
    for counter, n in pairs(counters) do
      redis.call('HINCRBY', key, counter, n)
    end
  end
  return replies
end
