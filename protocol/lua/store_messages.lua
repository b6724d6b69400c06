-- The send step, shared by send.lua and schedule.lua (one message: the forms a client in any language
-- calls) and send_batch.lua (many: the Java bus's group commit, the sends that queued behind the call
-- in flight): prepended to them after protocol.lua, since Redis 6.2 scripts cannot include one another.
-- KEYS, ARGV: none of its own. It defines store_messages(messages, window, cap), which its including
-- script calls with its messages, each a table {to, dedup, first, last, due, member}: its destination,
-- its dedup marker key, the ARGV indexes of its field/value pairs, and for a delayed message its due
-- time (ms) and its fields as one JSON object (member). A destination is a table {stream, audit,
-- counters, senders, group, max_length, sender, receivers}, shared by the messages that go to the same
-- place alike, so that what is learnt of it is asked once per call: its stream (a delayed message's is
-- the agent's delayed sorted set, agent:{id}:delayed, where it waits for move_due.lua), its audit shard
-- (nil for none), counters, the receiving swarm's senders index (nil unless a swarm message), the
-- consumer group the stream must have ('' for none), the stream's cap (0 for none), and the sending
-- swarm and the receivers' group to set up with a swarm message ('' for none). window is the dedup
-- window in ms, cap the audit cap (0: no audit). A delayed message has no group, cap or audit record,
-- and its dedup marker holds 'delayed'.
-- Returns one reply per message, in order: {1, entry id} stored ({1, ''} delayed), {0, first entry
-- id} a duplicate, {-1, ''} the stream has no such group, {-2, ''} full, {-3, 'WRONGTYPE <key> ...'} a
-- key of the message holds another type (nothing of that message was written; the others are sent).
-- The including script checks the numbers and field counts before calling it.
-- Minimum server: Redis 5.0 for its commands (XADD, XINFO GROUPS, XGROUP CREATE MKSTREAM, SET PX,
-- ZADD); the bus requires 6.2.
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
-- The first key of the destination that holds another type than it needs, as the error, or false.
local function wrong_type(to, audited, delayed)
  local expected = {[to.stream] = delayed and 'zset' or 'stream', [to.counters] = 'hash'}
  if audited and to.audit and not delayed then
    expected[to.audit] = 'stream'
  end
  if to.senders then
    expected[to.senders] = 'set'
  end
  for key, kind in pairs(expected) do
    local actual = redis.call('TYPE', key)['ok']
    if actual ~= 'none' and actual ~= kind then
      return 'WRONGTYPE ' .. key .. ' is a ' .. actual .. ', not a ' .. kind
        .. ': nothing was written, the send fails and can be retried'
    end
  end
  return false
end
local function store_messages(messages, window, cap)
  local audited = tonumber(cap) > 0
  local replies = {}
  for i, message in ipairs(messages) do
    local to = message.to
    -- What is learnt of a destination (its keys' types, its group, its length) is kept on it.
    if to.wrong == nil then
      to.wrong = wrong_type(to, audited, message.due)
    end
    local first = nil
    if not to.wrong then
      -- The dedup marker is a string per message id: GET answers for its type, without a TYPE call.
      first = redis.pcall('GET', message.dedup)
      if type(first) == 'table' and first['err'] then
        replies[i] = {-3, 'WRONGTYPE ' .. message.dedup .. ' is not a string: nothing was written, the send'
          .. ' fails and can be retried'}
      end
    else
      replies[i] = {-3, to.wrong}
    end
    if replies[i] then
      -- refused above
    elseif first then
      to.deduplicated = (to.deduplicated or 0) + 1
      replies[i] = {0, first}
    elseif message.due then
      -- Waiting in the delayed set first, then marked and counted, as a message in a stream.
      redis.call('ZADD', to.stream, message.due, message.member)
      redis.call('SET', message.dedup, 'delayed', 'PX', window)
      to.sent = (to.sent or 0) + 1
      replies[i] = {1, ''}
    else
      if to.group ~= '' and to.has_group == nil then
        to.has_group = has_group(to.stream, to.group)
      end
      if to.max_length > 0 and to.length == nil then
        to.length = redis.call('XLEN', to.stream)
      end
      if to.group ~= '' and not to.has_group then
        replies[i] = {-1, ''}
      elseif to.max_length > 0 and to.length >= to.max_length then
        replies[i] = {-2, ''}
      else
        -- The message first: what follows only records that it is stored. The dedup marker after the
        -- XADD, so that a send whose XADD failed is not taken for a duplicate when retried.
        if to.senders and not to.receivers_ready then
          if not has_group(to.stream, to.receivers) then
            redis.call('XGROUP', 'CREATE', to.stream, to.receivers, '0', 'MKSTREAM')
          end
          to.receivers_ready = true
        end
        local id = redis.call('XADD', to.stream, '*', unpack(ARGV, message.first, message.last))
        if to.length then
          to.length = to.length + 1
        end
        if to.senders then
          redis.call('SADD', to.senders, to.sender)
        end
        redis.call('SET', message.dedup, id, 'PX', window)
        to.sent = (to.sent or 0) + 1
        if audited and to.audit then
          redis.call('XADD', to.audit, 'MAXLEN', '~', cap, '*', 'audit_event', 'sent', 'audit_stream', to.stream,
            'audit_entry_id', id, unpack(ARGV, message.first, message.last))
        end
        replies[i] = {1, id}
      end
    end
  end
  -- The counters last, once per destination for the whole call: they record what was stored above.
  local counted = {}
  for _, message in ipairs(messages) do
    local to = message.to
    if not counted[to] then
      counted[to] = true
      if to.sent then
        redis.call('HINCRBY', to.counters, 'sent', to.sent)
      end
      if to.deduplicated then
        redis.call('HINCRBY', to.counters, 'deduplicated', to.deduplicated)
      end
    end
  end
  return replies
end
