-- Claims entries that stayed pending longer than the visibility timeout (their consumer died, hung,
-- or asked for a delayed retry) for this consumer, walking XAUTOCLAIM's cursor one COUNT at a time.
-- Works the same on Redis 6.2 and 7.x: JUSTID returns ids even for entries deleted or trimmed from
-- the stream, which are acknowledged here and counted (6.2 keeps them in the PEL; 7.x removes them
-- and lists them in a third reply element). JUSTID does not count a delivery, so the script sets
-- the counter to previous + 1 itself: the handler's attempt number is the PEL's delivery counter.
-- KEYS[1] inbox stream   ARGV[1] group  ARGV[2] consumer  ARGV[3] min idle (ms)  ARGV[4] cursor
-- ARGV[5] count
-- Returns {next cursor, deleted count, {{entry id, deliveries, {field, value, ...}}, ...}}.
local claimed = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5], 'JUSTID')
local deleted = 0
if claimed[3] then
  deleted = #claimed[3]
end
local entries = {}
for _, id in ipairs(claimed[2]) do
  local entry = redis.call('XRANGE', KEYS[1], id, id)
  if #entry == 0 then
    redis.call('XACK', KEYS[1], ARGV[1], id)
    deleted = deleted + 1
  else
    local pending = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)
    local deliveries = pending[1][4] + 1
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id, 'RETRYCOUNT', deliveries, 'JUSTID')
    entries[#entries + 1] = {id, deliveries, entry[1][2]}
  end
end
return {claimed[1], deleted, entries}
