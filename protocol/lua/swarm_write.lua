-- Prepend: protocol.lua
-- Writes a swarm's state if its version is still the expected one (optimistic concurrency), and
-- renews its TTL. A stale write changes nothing and reports the current version.
-- KEYS[1] state hash (swarm:{id}:state)
-- ARGV[1] expected version (0: no state yet, or -1: any, for recovery)   ARGV[2] state JSON   ARGV[3] TTL (s)
-- Returns {1, new version} or {0, current version}.
-- Fails, having written nothing, on arguments that are missing or not integers (a TTL < 1 would make
-- the EXPIRE after the write delete the state), a key of another type (check_types of protocol.lua),
-- or a stored version that is not an integer: Redis does not roll back a script that fails half-way.
-- Minimum server: any with hashes and EXPIRE; the bus requires 6.2.
if #ARGV ~= 3 then
  return redis.error_reply('ERR swarm_write.lua: takes a version, the JSON and a TTL, was given ' .. #ARGV
    .. ' arguments; nothing was written')
end
local wrong = check_integers('swarm_write.lua', {{'the expected version (ARGV[1])', ARGV[1], -1},
  {'the TTL (ARGV[3], s)', ARGV[3], 1}}) or check_types({[KEYS[1]] = 'hash'}, 'the state is not written')
if wrong then
  return wrong
end
local stored = redis.call('HGET', KEYS[1], 'version') or '0'
local current = tonumber(stored)
if not string.match(stored, '^%d+$') then
  return redis.error_reply('ERR swarm_write.lua: the version of ' .. KEYS[1] .. ' is not an integer >= 0, was '
    .. string.sub(stored, 1, 100) .. '; the state is not written')
end
local expected = tonumber(ARGV[1])
if expected >= 0 and current ~= expected then
  return {0, current}
end
local version = current + 1
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'version', version)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {1, version}
