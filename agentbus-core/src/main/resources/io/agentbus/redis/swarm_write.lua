-- Writes a swarm's state if its version is still the expected one (optimistic concurrency), and
-- renews its TTL. A stale write changes nothing and reports the current version.
-- KEYS[1] state hash (swarm:{id}:state)
-- ARGV[1] expected version (0: no state yet, or -1: any, for recovery)   ARGV[2] state JSON   ARGV[3] TTL (s)
-- Returns {1, new version} or {0, current version}.
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
local expected = tonumber(ARGV[1])
if expected >= 0 and current ~= expected then
  return {0, current}
end
local version = current + 1
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'version', version)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {1, version}
