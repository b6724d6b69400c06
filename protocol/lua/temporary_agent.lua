-- Prepend: protocol.lua
-- Keeps the keys of a temporary agent (DeliveryOptions.expireAfter, e.g. the cli-<hex> requester of
-- `agentbus request`) bounded in time: with a TTL, every key of the agent that exists is set to expire
-- that far ahead, and its counters are created if absent so that the ack of its reply, written later,
-- lands in a key that already expires; with TTL 0 (the subscription closed) they are deleted. All the
-- keys share the agent's hash tag, so this is one atomic step even on a cluster.
-- KEYS: the agent's keys (agent:{id}:...), the counters hash first   ARGV[1] TTL (ms), 0 to delete
-- Returns how many keys it expired or deleted.
-- Fails, having written nothing, without keys, on a TTL that is not an integer (PEXPIRE would refuse it
-- after the counters were created, leaving them for ever), or on counters of another type.
-- Minimum server: any with PEXPIRE; the bus requires 6.2.
if #KEYS == 0 then
  return redis.error_reply('ERR temporary_agent.lua: takes the agent\'s keys, was given none; nothing was written')
end
local wrong = check_integers('temporary_agent.lua', {{'the TTL (ARGV[1], ms)', ARGV[1], 0}})
if wrong then
  return wrong
end
local ttl = tonumber(ARGV[1])
if ttl == 0 then
  return redis.call('DEL', unpack(KEYS))
end
wrong = check_types({[KEYS[1]] = 'hash'}, 'its keys are not given a TTL')
if wrong then
  return wrong
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'sent', 0)
end
local touched = 0
for _, key in ipairs(KEYS) do
  touched = touched + redis.call('PEXPIRE', key, ttl)
end
return touched
