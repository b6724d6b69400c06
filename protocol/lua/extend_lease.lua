-- Prepend: protocol.lua
-- Resets the idle time of entries this consumer still owns, so that the reclaim of other instances
-- leaves them alone while a live handler works on them. An entry another consumer has reclaimed
-- meanwhile is not taken back (that would hand one message to two handlers at once).
-- KEYS[1] inbox stream   ARGV[1] group  ARGV[2] consumer  ARGV[3..] entry ids
-- Returns the ids that are no longer this consumer's.
-- Fails, having written nothing, without a group and consumer, or on an inbox key of another type
-- (check_types of protocol.lua). The ids are claimed CHUNK at a time, never unpacked all at once
-- (Lua's unpack stops near 8,000 values); nothing here acknowledges, so a failure can only leave a
-- lease unextended, to be reclaimed after the visibility timeout.
-- Minimum server: Redis 5.0 for its commands (XPENDING, XCLAIM IDLE JUSTID); the bus requires 6.2.
local CHUNK = 500
if #ARGV < 2 then
  return redis.error_reply('ERR extend_lease.lua: takes a group, a consumer and entry ids, was given '
    .. #ARGV .. ' arguments; nothing was written')
end
local wrong = check_types({[KEYS[1]] = 'stream'}, 'no lease was extended')
if wrong then
  return wrong
end
local mine = {}
local lost = {}
for i = 3, #ARGV do
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if #pending > 0 and pending[1][2] == ARGV[2] then
    mine[#mine + 1] = ARGV[i]
  else
    lost[#lost + 1] = ARGV[i]
  end
end
for first = 1, #mine, CHUNK do
  local command = {'XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0}
  for i = first, math.min(first + CHUNK - 1, #mine) do
    command[#command + 1] = mine[i]
  end
  command[#command + 1] = 'JUSTID'
  redis.call(unpack(command))
end
return lost
