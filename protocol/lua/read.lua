-- Prepend: protocol.lua
-- Reads never-delivered entries of one stream for one consumer (XREADGROUP '>'), bounded by count and
-- by bytes, and never sends the reader an entry too large to hold: such an entry is read into the
-- PEL like any other, and only its id and size are returned, for the caller to dead-letter it with
-- dead_letter.lua (which copies it server-side). The entry that crosses the byte budget is the last
-- one returned, so a reply holds at most the budget plus one entry of at most ARGV[5] bytes.
-- Cost: one XREADGROUP per 100 entries of the count (reading one entry at a time cost Redis twice as
-- much per entry, docs/adr/0004). The entries read after the one that crossed the budget are given back as if
-- never read: acknowledged out of the PEL (they are not handled, and nobody was told of them) and the
-- group's last-delivered-id set back to the last entry returned, so the next read starts with them, at
-- attempt 1. The script is atomic, so no other reader of the group can come between. After a give-back,
-- Redis 7 reports the group's lag as unknown until it can count again (XINFO GROUPS), as after any
-- XGROUP SETID.
-- KEYS[1] stream
-- ARGV[1] group  ARGV[2] consumer  ARGV[3] count  ARGV[4] byte budget  ARGV[5] largest entry (bytes)
-- Returns {{{id, 1, {field, value, ...}}, ...}, {{id, 1, bytes}, ...}}: the entries read and those too large,
-- each with its delivery count (1), in the shape claim.lua returns.
-- Fails, having read nothing, on a count or byte limit it does not take, or a key of another type.
-- Minimum server: Redis 5.0 for its commands (XREADGROUP without BLOCK in a script, XACK, XGROUP SETID);
-- the bus requires 6.2.
local wrong = check_integers('read.lua', {{'the count (ARGV[3])', ARGV[3], 1}, {'the byte budget (ARGV[4])', ARGV[4], 1},
    {'the largest entry (ARGV[5], bytes)', ARGV[5], 1}})
  or check_types({[KEYS[1]] = 'stream'}, 'nothing was read')
if wrong then
  return wrong
end
local count = tonumber(ARGV[3])
local budget = tonumber(ARGV[4])
local largest = tonumber(ARGV[5])
-- The most entries one XREADGROUP takes.
local CHUNK = 100
local read = {}
local too_large = {}
local bytes = 0
local left = count
while left > 0 and bytes < budget do
  -- In chunks, so that however large the count, at most CHUNK entries past the budget are ever read.
  local reply = redis.pcall('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', math.min(left, CHUNK), 'STREAMS',
    KEYS[1], '>')
  if type(reply) == 'table' and reply.err then
    -- As is (NOGROUP, WRONGTYPE), so that the reader sees the same error code on Redis 6.2 and 7.x.
    return redis.error_reply(reply.err)
  end
  if not reply then
    break
  end
  local entries = reply[1][2]
  local kept = 0
  for i, entry in ipairs(entries) do
    local size = entry_bytes(entry[2])
    if size > largest then
      too_large[#too_large + 1] = {entry[1], 1, size}
    else
      read[#read + 1] = {entry[1], 1, entry[2]}
      bytes = bytes + size
    end
    kept = i
    if bytes >= budget then
      break
    end
  end
  if kept < #entries then
    local ids = {}
    for i = kept + 1, #entries do
      ids[#ids + 1] = entries[i][1]
    end
    -- The group's position first: should the XACK then fail, the entries stay pending and are read
    -- again (a duplicate), never acknowledged and behind the group's position (lost).
    redis.call('XGROUP', 'SETID', KEYS[1], ARGV[1], entries[kept][1])
    redis.call('XACK', KEYS[1], ARGV[1], unpack(ids))
  end
  left = left - #entries
  if #entries < math.min(left + #entries, CHUNK) then
    break
  end
end
return {read, too_large}
