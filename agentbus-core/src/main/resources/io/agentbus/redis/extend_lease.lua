-- Resets the idle time of entries this consumer still owns, so that the reclaim of other instances
-- leaves them alone while a live handler works on them. An entry another consumer has reclaimed
-- meanwhile is not taken back (that would hand one message to two handlers at once).
-- KEYS[1] inbox stream   ARGV[1] group  ARGV[2] consumer  ARGV[3..] entry ids
-- Returns the ids that are no longer this consumer's.
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
if #mine > 0 then
  -- unpack() expands to all its values only as the last argument: append JUSTID to the table first.
  mine[#mine + 1] = 'JUSTID'
  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, unpack(mine))
end
return lost
