-- Prepend: protocol.lua
-- Claims pending entries of an inbox for this consumer, one COUNT at a time, in one of two modes:
--   idle: entries idle longer than the visibility timeout, of any consumer (their consumer died,
--         hung, or asked for a delayed retry), walking XAUTOCLAIM's cursor;
--   own:  this consumer's own pending entries, walking XPENDING (after a reconnect, the reply to a
--         blocking read can be lost: its entries sit in the PEL under this consumer, unseen).
-- Works the same on Redis 6.2 and 7.x: an entry deleted or trimmed from the stream is acknowledged
-- and counted (6.2 keeps it in the PEL; 7.x XAUTOCLAIM removes it itself and lists it in a third
-- reply element). For the others the delivery counter is set to previous + 1 (XCLAIM RETRYCOUNT,
-- because JUSTID does not count), so the handler's attempt number is the PEL's delivery counter.
-- Bytes bound a step as they bound a read (read.lua): an entry larger than ARGV[8] is claimed but only
-- its id and size are returned, for the caller to dead-letter; the step stops after the entry that
-- crosses the byte budget ARGV[7], and the entries it had claimed beyond that are left for the next
-- step (idle mode: given back their idle time, and the cursor points at the first of them).
-- KEYS[1] inbox stream
-- ARGV[1] group  ARGV[2] consumer  ARGV[3] mode (idle|own)  ARGV[4] cursor ('0-0' to start)
-- ARGV[5] count  ARGV[6] min idle (ms, idle mode)  ARGV[7] byte budget  ARGV[8] largest entry (bytes)
-- Returns {next cursor ('0-0' when the walk is done), deleted count, {{id, deliveries, {field, value, ...}}, ...},
--   {{id, deliveries, bytes}, ...} (the entries too large)}.
-- Fails, having written nothing, on a mode, cursor, count, min idle or byte limit it does not take, or an
-- inbox key of another type (check_types of protocol.lua). It only acknowledges entries that are gone from
-- the stream already; a failure after the XAUTOCLAIM leaves the claimed entries pending under this
-- consumer, reclaimed again after the visibility timeout.
-- Minimum server: Redis 6.2 (XAUTOCLAIM; XPENDING with a consumer and XCLAIM RETRYCOUNT are older).
if #ARGV ~= 8 or (ARGV[3] ~= 'idle' and ARGV[3] ~= 'own') or not string.match(ARGV[4], '^%d+%-%d+$') then
  return redis.error_reply('ERR claim.lua: takes 8 arguments, a mode idle or own and a cursor id, was given '
    .. #ARGV .. ' arguments, mode ' .. tostring(ARGV[3]) .. ', cursor ' .. tostring(ARGV[4])
    .. '; nothing was written')
end
local wrong = check_integers('claim.lua', {{'the count (ARGV[5])', ARGV[5], 1}, {'the min idle (ARGV[6], ms)', ARGV[6], 0},
    {'the byte budget (ARGV[7])', ARGV[7], 1}, {'the largest entry (ARGV[8], bytes)', ARGV[8], 1}})
  or check_types({[KEYS[1]] = 'stream'}, 'nothing was claimed')
if wrong then
  return wrong
end
local ids
local next_cursor = '0-0'
local deleted = 0
local count = tonumber(ARGV[5])
if ARGV[3] == 'idle' then
  local claimed = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[6], ARGV[4], 'COUNT', count, 'JUSTID')
  next_cursor = claimed[1]
  ids = claimed[2]
  if claimed[3] then
    deleted = #claimed[3]
  end
else
  local start = '-'
  if ARGV[4] ~= '0-0' then
    start = '(' .. ARGV[4]
  end
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], start, '+', count, ARGV[2])
  ids = {}
  for i, entry in ipairs(pending) do
    ids[i] = entry[1]
  end
  if #pending == count then
    next_cursor = ids[#ids]
  end
end
local budget = tonumber(ARGV[7])
local largest = tonumber(ARGV[8])
local entries = {}
local too_large = {}
local bytes = 0
local resume_at
for i, id in ipairs(ids) do
  if bytes >= budget then
    if ARGV[3] == 'idle' then
      -- What XAUTOCLAIM took beyond the budget waits for the next step (its start is inclusive), idle
      -- as it was found, so any instance may take it.
      redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id, 'IDLE', ARGV[6], 'JUSTID')
      resume_at = resume_at or id
    else
      resume_at = ids[i - 1] -- XPENDING's start is exclusive: go on after the last one taken
      break
    end
  else
    local entry = redis.call('XRANGE', KEYS[1], id, id)
    if #entry == 0 then
      redis.call('XACK', KEYS[1], ARGV[1], id)
      deleted = deleted + 1
    else
      local pending = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)
      local deliveries = pending[1][4] + 1
      redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id, 'RETRYCOUNT', deliveries, 'JUSTID')
      local size = entry_bytes(entry[1][2])
      if size > largest then
        too_large[#too_large + 1] = {id, deliveries, size}
      else
        entries[#entries + 1] = {id, deliveries, entry[1][2]}
        bytes = bytes + size
      end
    end
  end
end
if resume_at then
  next_cursor = resume_at
end
return {next_cursor, deleted, entries, too_large}
