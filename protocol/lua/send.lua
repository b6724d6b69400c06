-- Prepend: protocol.lua store_messages.lua
-- Appends a message to an inbox once per message id within the dedup window: the marker and the
-- XADD happen together, so a retried send (or Lettuce replaying a buffered XADD after a reconnect)
-- stores one entry.
-- A request also requires a consumer group on the inbox: without one, nobody ever listened, and the
-- request is refused instead of waiting out its timeout.
-- The send is recorded in the audit shard of the recipient's slot (all its fields, so that it can be
-- replayed), in the same script.
-- KEYS[1] inbox stream (agent:{id}:inbox)   KEYS[2] dedup marker (agent:{id}:dedup:<message_id>)
-- KEYS[3] audit shard (audit:messages:{id})   KEYS[4] counters (agent:{id}:counters)
-- An inbox with a cap refuses a send when full (back-pressure) instead of trimming: trimming could
-- drop entries still pending.
-- ARGV[1] dedup window (ms)   ARGV[2] consumer group that must exist ('' for none)
-- ARGV[3] max length (0 for none)   ARGV[4] audit cap (0: no audit)   ARGV[5..] the entry's field/value pairs
-- A swarm message (message:<from>:{<to>}) passes KEYS[5], the receiving swarm's senders index
-- (swarm:{<to>}:senders), then ARGV[5] the sending swarm and ARGV[6] the receivers' group, and its fields
-- from ARGV[7]: the sender joins the index in the same step as the XADD, so a receiver that reads the
-- index finds every stream holding a message; and the group exists from the first entry on, so
-- retention (trim.lua) keeps what the receivers have not received even before they ever ran.
-- Returns {1, entry id} when stored, {0, first entry id} for a duplicate, {-1, ''} for no group,
-- {-2, ''} when full.
-- The step itself is store_messages.lua's, which LuaScript prepends (after protocol.lua); the Java bus
-- sends many messages in one call with send_batch.lua, the same step.
-- Fails, having written nothing, on numeric arguments that are not integers, fields that are not 1 to
-- MAX_FIELDS pairs (protocol.lua) or a key of the wrong type (check_types of protocol.lua): the send
-- fails and a retry is not taken for a duplicate. Redis does not roll back a script that fails
-- half-way, so the checks come first, then the XADD, and only then the index, the dedup marker, the
-- counter and the audit record, which record that the message is stored.
-- Minimum server: Redis 5.0 for its commands (XADD, XINFO GROUPS, XGROUP CREATE MKSTREAM, SET PX);
-- the bus requires 6.2.
local fields = 5
if KEYS[5] then
  fields = 7
end
local wrong = check_integers('send.lua', {{'the dedup window (ARGV[1], ms)', ARGV[1], 1},
  {'the max length (ARGV[3])', ARGV[3], 0}, {'the audit cap (ARGV[4])', ARGV[4], 0}})
if wrong then
  return wrong
end
local values = #ARGV - fields + 1
if values < 2 or values % 2 ~= 0 or values > 2 * MAX_FIELDS then
  return redis.error_reply('ERR send.lua: an entry is 1 to ' .. MAX_FIELDS .. ' field/value pairs, these '
    .. #ARGV .. ' arguments hold ' .. values .. ' values from ARGV[' .. fields .. ']; nothing was written')
end
local reply = store_messages({{to = {stream = KEYS[1], audit = KEYS[3], counters = KEYS[4], senders = KEYS[5],
  group = ARGV[2], max_length = tonumber(ARGV[3]), sender = ARGV[5] or '', receivers = ARGV[6] or ''},
  dedup = KEYS[2], first = fields, last = #ARGV}}, ARGV[1], ARGV[4])[1]
if reply[1] == -3 then
  return redis.error_reply(reply[2])
end
return reply
