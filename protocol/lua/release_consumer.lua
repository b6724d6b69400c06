-- Prepend: protocol.lua
-- Deletes a consumer from an inbox's group when it holds no pending entry, so that a cleanly
-- stopped instance does not linger in XINFO CONSUMERS. A consumer with pending entries is kept:
-- XGROUP DELCONSUMER would drop those entries from the PEL, and they would never be redelivered.
-- KEYS[1] inbox stream   ARGV[1] group   ARGV[2] consumer
-- Returns 1 if deleted, 0 if kept.
-- Fails, having written nothing, on other arguments or an inbox key of another type (check_types of
-- protocol.lua). Its one write comes after the check that nothing is pending.
-- Minimum server: Redis 5.0 (XPENDING with a consumer, XGROUP DELCONSUMER); the bus requires 6.2.
if #ARGV ~= 2 then
  return redis.error_reply('ERR release_consumer.lua: takes a group and a consumer, was given ' .. #ARGV
    .. ' arguments; nothing was written')
end
local wrong = check_types({[KEYS[1]] = 'stream'}, 'the consumer ' .. ARGV[2] .. ' stays')
if wrong then
  return wrong
end
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #pending > 0 then
  return 0
end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
